package dro4j.generate;

import dro4j.model.KvCache;
import java.util.List;

/**
 * The result of one batched generation: the prompts' token ids, the completions (row {@code p * n + j}
 * is the {@code j}-th of {@code n} completions of prompt {@code p}), and, when asked for, the KV cache
 * the generation left behind, whose row {@code i} belongs to completion {@code i}. The cache holds each
 * prompt and its completion except the completion's last token (which was sampled but never fed back);
 * {@link dro4j.score.Scorer#scoreContinuation} feeds whatever the cache lacks.
 */
public final class Generation implements AutoCloseable {
  private final List<int[]> promptIds;
  private final List<Completion> completions;
  private final KvCache cache;

  Generation(List<int[]> promptIds, List<Completion> completions, KvCache cache) {
    this.promptIds = List.copyOf(promptIds);
    this.completions = List.copyOf(completions);
    this.cache = cache;
  }

  /**
   * A generation assembled elsewhere, for example by a multi-turn rollout ({@code dro4j.rollout}) whose
   * rows continued one cache over several turns; the result owns {@code cache} (may be null).
   */
  public static Generation of(List<int[]> promptIds, List<Completion> completions, KvCache cache) {
    return new Generation(promptIds, completions, cache);
  }

  /** Token ids of each prompt, as given. */
  public List<int[]> promptIds() {
    return promptIds;
  }

  /** All completions, grouped by prompt. */
  public List<Completion> completions() {
    return completions;
  }

  /** The cache aligned with {@link #completions()}, or null when it was not kept. */
  public KvCache cache() {
    return cache;
  }

  /** Closes the kept cache, if any. */
  @Override
  public void close() {
    if (cache != null) {
      cache.close();
    }
  }
}
