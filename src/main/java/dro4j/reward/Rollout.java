package dro4j.reward;

import dro4j.generate.Completion;
import dro4j.generate.FinishReason;

/**
 * One sampled response as a reward sees it.
 *
 * @param ids the generated token ids (the prompt excluded)
 * @param text the decoded response
 * @param logprobs the sampling policy's log-prob of each generated token
 * @param finishReason whether the response stopped or was truncated at the length limit
 * @param cacheRow the row of {@link RewardContext#generation()}'s KV cache holding this rollout, or -1
 *     when there is no cache (the rollout was not generated in this process)
 */
public record Rollout(int[] ids, String text, double[] logprobs, FinishReason finishReason, int cacheRow) {

  /** A rollout from a completion of the generation whose cache row is {@code cacheRow}. */
  public static Rollout of(Completion c, int cacheRow) {
    return new Rollout(c.ids(), c.text(), c.logprobs(), c.finishReason(), cacheRow);
  }

  /** A rollout known only by its text (for example read from a file): no ids, no cache. */
  public static Rollout ofText(String text) {
    return new Rollout(new int[0], text, new double[0], FinishReason.STOP, -1);
  }

  /** Whether generation hit the length limit. */
  public boolean truncated() {
    return finishReason == FinishReason.LENGTH;
  }
}
