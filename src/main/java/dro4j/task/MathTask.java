package dro4j.task;

import dro4j.data.Example;
import dro4j.data.math.Gsm8kLoader;
import dro4j.data.math.MathAnswers;
import dro4j.data.math.SvampLoader;
import dro4j.data.metrics.AnswerExtractor;
import dro4j.data.metrics.NumericAnswers;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A math word-problem task with a numeric answer: {@code gsm8k} ({@link Gsm8kLoader}) or {@code
 * svamp} ({@link SvampLoader}), with the {@code math} prompt. Metric: the final answer after
 * {@code </think>} ({@link AnswerExtractor#finalAnswer}) equals the gold {@code answer_value} as a
 * number within 1e-6 relative ({@link MathAnswers#RELATIVE_TOLERANCE}). Default reward: {@code
 * numeric_match} with the same tolerance.
 */
public final class MathTask implements Task {
  private final String name;
  private final Function<Path, List<Example>> loader;

  private MathTask(String name, Function<Path, List<Example>> loader) {
    this.name = name;
    this.loader = loader;
  }

  /** GSM8K (Cobbe et al. 2021). */
  public static MathTask gsm8k() {
    return new MathTask("gsm8k", Gsm8kLoader::load);
  }

  /** SVAMP (Patel et al. 2021). */
  public static MathTask svamp() {
    return new MathTask("svamp", SvampLoader::load);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Example> load(Path file) {
    return loader.apply(file);
  }

  @Override
  public PromptTemplate template() {
    return PromptTemplates.MATH;
  }

  @Override
  public List<Map<String, Object>> defaultRewards() {
    return List.of(Map.of("name", "numeric_match", "tolerance", MathAnswers.RELATIVE_TOLERANCE));
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String answer = AnswerExtractor.finalAnswer(Task.afterReasoning(completion, reasoningEnd())).orElse(null);
    return Verdict.binary(answer, answer != null
        && NumericAnswers.numericMatch(answer, MathAnswers.gold(example), MathAnswers.RELATIVE_TOLERANCE));
  }
}
