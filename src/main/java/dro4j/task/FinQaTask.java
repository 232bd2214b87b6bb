package dro4j.task;

import dro4j.data.Example;
import dro4j.data.finqa.FinQaAnswers;
import dro4j.data.finqa.FinQaLoader;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * FinQA (Chen et al. 2021): numeric questions over a financial report's text and table, in the
 * official JSON schema ({@link FinQaLoader}), with the {@code finqa} prompt and R3 as the default
 * reward (DRO's FinQA setting).
 *
 * <p>Metric: DRO's, as {@link FinQaAnswers} defines it (a program answer is executed over the
 * example's table; within 2% of {@code exe_ans} at three scales; yes/no as text).
 */
public final class FinQaTask implements Task {
  private final boolean programReference;

  /** The task; stateless, so one instance serves every command. */
  public FinQaTask() {
    this(false);
  }

  /**
   * @param programReference the reference answer is the gold FinQA program ({@code finqa_program}:
   *     for models that answer with programs, as FinQA's own models and the bundled finqa-tiny do, so
   *     that R3 and the filter score the answer such a model writes) instead of the executed value
   *     ({@code finqa})
   */
  public FinQaTask(boolean programReference) {
    this.programReference = programReference;
  }

  @Override
  public String name() {
    return programReference ? "finqa_program" : "finqa";
  }

  @Override
  public List<Example> load(Path file) {
    List<Example> examples = FinQaLoader.load(file);
    if (!programReference) return examples;
    List<Example> out = new java.util.ArrayList<>(examples.size());
    for (Example e : examples) {
      Object program = e.metadata().get("program");
      if (!(program instanceof String p) || p.isBlank()) {
        throw new dro4j.BadInputException(file, "example " + e.id() + " has no qa.program, which finqa_program"
            + " uses as the reference answer");
      }
      // no leading space: the reference is tokenized on its own, and a SentencePiece-style tokenizer
      // (finqa-tiny's, Llama's) already starts it with the word-start marker the model writes after </think>
      out.add(new Example(e.id(), e.fields(), p, e.metadata()));
    }
    return out;
  }

  @Override
  public PromptTemplate template() {
    return PromptTemplates.FINQA;
  }

  @Override
  public List<Map<String, Object>> defaultRewards() {
    return List.of(Map.of("name", "r3"));
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String answer = FinQaAnswers.answer(Task.afterReasoning(completion, reasoningEnd()), FinQaAnswers.table(example));
    return Verdict.binary(answer, answer != null && FinQaAnswers.correct(answer, FinQaMetrics.gold(example)));
  }
}
