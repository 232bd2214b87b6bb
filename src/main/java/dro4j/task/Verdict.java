package dro4j.task;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task metric's judgement of one completion.
 *
 * @param answer the answer extracted from the completion, or null when none was found
 * @param correct a binary metric's verdict, or null for a graded metric
 * @param score a graded metric's score (e.g. ROUGE-L F1), or null for a binary metric
 * @param extras further per-completion measures a summary averages (e.g. {@code length_ratio}), by name
 */
public record Verdict(String answer, Boolean correct, Double score, Map<String, Double> extras) {
  /** Copies {@code extras} (null for none). */
  public Verdict {
    extras = extras == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extras));
  }

  /** A binary verdict. */
  public static Verdict binary(String answer, boolean correct) {
    return new Verdict(answer, correct, null, null);
  }

  /** A graded verdict with extra measures. */
  public static Verdict graded(String answer, double score, Map<String, Double> extras) {
    return new Verdict(answer, null, score, extras);
  }
}
