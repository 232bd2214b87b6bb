package dro4j.task;

import dro4j.data.Example;
import dro4j.data.PromptRecords;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import dro4j.reward.verifiable.TextNormalization;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prompt data in TRL's standard ({@code {"prompt", "solution"}}) or conversational ({@code {"prompt":
 * [messages]}}) format or dro4j's own ({@code {"id", "fields", "reference", "metadata"}}); see {@link
 * PromptRecords} for the mapping. The {@code plain} prompt (the field {@code prompt}, or an example's only
 * field); a conversational prompt is rendered with the chat template.
 * Metric: the completion (after the reasoning end, when the prompt has one) equals the reference
 * after SQuAD normalisation ({@link TextNormalization#squad}). Default reward: {@code exact_match}.
 */
public final class JsonlTask implements Task {
  /** The task; stateless, so one instance serves every command. */
  public JsonlTask() {}

  @Override
  public String name() {
    return "jsonl";
  }

  @Override
  public List<Example> load(Path file) {
    return PromptRecords.read(file);
  }

  @Override
  public PromptTemplate template() {
    return PromptTemplates.PLAIN;
  }

  @Override
  public List<Map<String, Object>> defaultRewards() {
    return List.of(Map.of("name", "exact_match"));
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String answer = Task.afterReasoning(completion, reasoningEnd());
    if (answer.isEmpty()) {
      return Verdict.binary(null, false);
    }
    return Verdict.binary(answer, TextNormalization.squad(answer).equals(TextNormalization.squad(example.reference())));
  }
}
