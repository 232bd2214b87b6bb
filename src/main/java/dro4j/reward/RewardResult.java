package dro4j.reward;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reward's answer for one group: one score per rollout, plus named diagnostics for logging and
 * inspection (for R3: the per-token sigma and weights; for a judge: the raw verdicts).
 *
 * @param scores one finite score per rollout, in rollout order ({@code NaN} marks a rollout the reward
 *     could not score; the trainer's non-finite guard decides what happens to it)
 * @param diagnostics JSON-friendly values by name (numbers, strings, arrays, lists, maps)
 */
public record RewardResult(double[] scores, Map<String, Object> diagnostics) {

  public RewardResult {
    diagnostics = Collections.unmodifiableMap(new LinkedHashMap<>(diagnostics));
  }

  /** Scores without diagnostics. */
  public static RewardResult of(double... scores) {
    return new RewardResult(scores, Map.of());
  }
}
