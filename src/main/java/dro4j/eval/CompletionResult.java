package dro4j.eval;

import java.util.Map;

/**
 * One judged completion.
 *
 * @param text the completion text
 * @param answer the answer extracted from it, or null
 * @param correct the task metric's verdict, or null for a graded metric
 * @param score the graded metric's score, or null for a binary metric
 * @param tokens the completion's length in tokens
 * @param extras further per-completion measures of a graded metric (empty for none)
 */
public record CompletionResult(String text, String answer, Boolean correct, Double score, int tokens,
    Map<String, Double> extras) implements java.io.Serializable {
  /** Copies {@code extras} (null for none). */
  public CompletionResult {
    // insertion order, not Map.copyOf's per-JVM order: summaries and results.jsonl list extras the same way every run
    extras = extras == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(extras));
  }
}
