package dro4j.eval;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.task.PromptRenderer;
import java.util.List;
import java.util.Map;

/**
 * Evaluation during training (transformers' {@code eval_strategy: steps}): after every {@code
 * everySteps}-th step and after the last one, the {@link Evaluator} runs on the held-out examples
 * with the current policy and its summary becomes {@code eval/...} metrics of that step ({@link
 * Evaluator#trainingMetrics}).
 */
public final class PeriodicEvaluation {
  private final Evaluator evaluator;
  private final PromptRenderer prompts;
  private final List<Example> examples;
  private final int everySteps;

  /**
   * @param evaluator the evaluation
   * @param prompts builds the prompts (the training prompts' template, model and truncation)
   * @param examples the held-out examples
   * @param everySteps steps between evaluations, &gt;= 1; 0 for none after steps (only {@link #now})
   */
  public PeriodicEvaluation(Evaluator evaluator, PromptRenderer prompts, List<Example> examples, int everySteps) {
    if (everySteps < 0) throw new IllegalArgumentException("everySteps must be >= 0, got " + everySteps);
    this.evaluator = evaluator;
    this.prompts = prompts;
    this.examples = List.copyOf(examples);
    this.everySteps = everySteps;
  }

  /** Whether step {@code step} (counted from 1) of a run of {@code totalSteps} ends with an evaluation. */
  public boolean due(long step, long totalSteps) {
    return everySteps > 0 && (step % everySteps == 0 || step == totalSteps);
  }

  /** The {@code eval/...} metrics of {@code policy} now (transformers' {@code eval_on_start} runs this before step 1). */
  public Map<String, Object> now(LanguageModel policy) {
    return Evaluator.trainingMetrics(evaluator.run(policy, prompts, examples, null).summary());
  }

  /** The {@code eval/...} metrics after step {@code step}: empty when no evaluation is due. */
  public Map<String, Object> afterStep(long step, long totalSteps, LanguageModel policy) {
    if (!due(step, totalSteps)) return Map.of();
    return now(policy);
  }
}
