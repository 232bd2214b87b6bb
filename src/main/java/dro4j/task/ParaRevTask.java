package dro4j.task;

import dro4j.data.Example;
import dro4j.data.pararev.ParaRevLoader;
import dro4j.data.pararev.ParaRevMetrics;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * ParaRev (Jourdan et al. 2025): revise a scientific paragraph following an instruction
 * ({@link ParaRevLoader}), with the {@code pararev} prompt and R3 as the default reward (DRO's
 * ParaRev setting). Graded metric: the revision after {@code </think>} against the authors' revision,
 * ROUGE-L F1 as the score and the length ratio (words of the revision over words of the reference)
 * as an extra, both from {@link ParaRevMetrics}.
 */
public final class ParaRevTask implements Task {
  /** The task; stateless, so one instance serves every command. */
  public ParaRevTask() {}

  @Override
  public String name() {
    return "pararev";
  }

  @Override
  public List<Example> load(Path file) {
    return ParaRevLoader.load(file);
  }

  @Override
  public PromptTemplate template() {
    return PromptTemplates.PARAREV;
  }

  @Override
  public List<Map<String, Object>> defaultRewards() {
    return List.of(Map.of("name", "r3"));
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String answer = Task.afterReasoning(completion, reasoningEnd());
    ParaRevMetrics m = ParaRevMetrics.evaluate(List.of(example), List.of(answer));
    return Verdict.graded(answer.isEmpty() ? null : answer, m.rougeL(), Map.of("length_ratio", m.lengthRatio()));
  }

  @Override
  public String scoreName() {
    return "rougeL";
  }
}
