package dro4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The completions of one example with their verdicts: one line of {@code results.jsonl}.
 *
 * @param id the example's id
 * @param reference its reference answer
 * @param promptTokens the length of its prompt in tokens, after truncation
 * @param completions its judged completions, in sample order
 */
public record ExampleResult(String id, String reference, int promptTokens, List<CompletionResult> completions) implements java.io.Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Copies the list. */
  public ExampleResult {
    completions = List.copyOf(completions);
  }

  /** Completions the metric judged correct. */
  public int correct() {
    return (int) completions.stream().filter(c -> Boolean.TRUE.equals(c.correct())).count();
  }

  /**
   * The line of {@code results.jsonl}: {@code {"id", "reference", "prompt_tokens", "completions":
   * [{"text", "answer", "correct", "tokens"}]}}, with {@code "score"} (and the extras) for a graded metric.
   */
  public ObjectNode toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", id);
    node.put("reference", reference);
    node.put("prompt_tokens", promptTokens);
    ArrayNode list = node.putArray("completions");
    for (CompletionResult c : completions) {
      ObjectNode o = list.addObject();
      o.put("text", c.text());
      o.put("answer", c.answer());
      if (c.correct() == null) {
        o.putNull("correct");
      } else {
        o.put("correct", c.correct());
      }
      if (c.score() != null) {
        o.put("score", c.score());
      }
      c.extras().forEach(o::put);
      o.put("tokens", c.tokens());
    }
    return node;
  }
}
