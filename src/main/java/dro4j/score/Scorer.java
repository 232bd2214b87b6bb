package dro4j.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dro4j.model.KvCache;
import dro4j.model.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Teacher-forced scoring: per-token log-probs, ranks and entropies of target spans after contexts,
 * batched.
 *
 * <p>The central operation is {@link #scoreContinuation}: score targets after contexts whose beginning
 * is already in a {@link KvCache}, typically the cache a generation left behind. Each row reuses the
 * longest prefix of its context that the cache holds (found by comparing token ids, so any prefix
 * works: the prompt alone, the prompt plus part of a rollout, the whole rollout) and runs only the rest
 * of the context and the target through the model. Scoring a reference answer after each of G rollouts
 * therefore costs a forward pass over the reference tokens only. With an empty cache the same call
 * re-encodes everything ({@link #score}).
 */
public final class Scorer {
  /** Target positions turned into vocabulary-sized rows at once; bounds memory for large vocabularies. */
  private static final int POSITIONS_PER_CHUNK = 256;

  private final Transformer model;

  /** A scorer over {@code model}. */
  public Scorer(Transformer model) {
    this.model = model;
  }

  /** Scores each {@code targets[i]} after {@code contexts[i]} by encoding both from scratch. */
  public List<TokenScores> score(List<int[]> contexts, List<int[]> targets, double temperature, NDManager manager) {
    try (KvCache cache = model.newCache(manager, contexts.size(), maxLength(contexts, targets))) {
      return scoreContinuation(cache, contexts, targets, temperature);
    }
  }

  /**
   * Scores {@code targets[b]} after {@code contexts[b]} for every row {@code b} of {@code cache}. The
   * cache is left as it was (the continuation is rolled back), so several continuations can be scored
   * from one generation. Each context must be non-empty.
   */
  public List<TokenScores> scoreContinuation(
      KvCache cache, List<int[]> contexts, List<int[]> targets, double temperature) {
    int batch = cache.batchSize();
    if (contexts.size() != batch || targets.size() != batch) {
      throw new IllegalArgumentException(
          "need one context and one target per cache row: " + batch + " rows, "
              + contexts.size() + " contexts, " + targets.size() + " targets");
    }
    if (temperature <= 0) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    KvCache.Mark mark = cache.mark();
    try {
      // Per row: keep the cached prefix of the context, but always re-feed at least the last context
      // token, whose hidden state predicts the first target token.
      int[][] fed = new int[batch][];
      int[] firstTargetIndex = new int[batch];
      int width = 0;
      for (int b = 0; b < batch; b++) {
        int[] context = contexts.get(b);
        if (context.length == 0) {
          throw new IllegalArgumentException("row " + b + ": empty context (add a BOS token)");
        }
        int keep = Math.min(cachedPrefix(cache, b, context), context.length - 1);
        cache.keepPrefix(b, keep);
        int[] target = targets.get(b);
        fed[b] = new int[context.length - keep + target.length];
        System.arraycopy(context, keep, fed[b], 0, context.length - keep);
        System.arraycopy(target, 0, fed[b], context.length - keep, target.length);
        firstTargetIndex[b] = context.length - keep - 1;
        width = Math.max(width, fed[b].length);
      }
      int[][] tokens = new int[batch][width];
      boolean[][] valid = new boolean[batch][width];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(fed[b], 0, tokens[b], 0, fed[b].length);
        Arrays.fill(valid[b], 0, fed[b].length, true);
      }
      try (NDManager m = model.manager().newSubManager()) {
        NDArray hidden = model.forward(cache, tokens, valid, m);
        return gatherScores(hidden, targets, firstTargetIndex, width, temperature, m);
      }
    } finally {
      cache.rollback(mark);
    }
  }

  /** Length of the longest prefix of {@code context} equal to the valid tokens of a cache row. */
  private static int cachedPrefix(KvCache cache, int row, int[] context) {
    int n = 0;
    for (int s = 0; s < cache.length() && n < context.length; s++) {
      if (!cache.isValid(row, s)) {
        continue;
      }
      if (cache.token(row, s) != context[n]) {
        break;
      }
      n++;
    }
    return n;
  }

  private List<TokenScores> gatherScores(
      NDArray hidden, List<int[]> targets, int[] firstTargetIndex, int width, double temperature, NDManager m) {
    int batch = targets.size();
    int total = 0;
    for (int[] t : targets) {
      total += t.length;
    }
    long[] rowsIndex = new long[total];
    long[] targetIds = new long[total];
    int n = 0;
    for (int b = 0; b < batch; b++) {
      int[] target = targets.get(b);
      for (int j = 0; j < target.length; j++) {
        rowsIndex[n] = (long) b * width + firstTargetIndex[b] + j;
        targetIds[n] = target[j];
        n++;
      }
    }
    float[] logprobs = new float[total];
    float[] entropies = new float[total];
    int[] ranks = new int[total];
    long hiddenSize = hidden.getShape().get(2);
    NDArray flat = hidden.reshape(-1, hiddenSize);
    for (int start = 0; start < total; start += POSITIONS_PER_CHUNK) {
      int end = Math.min(total, start + POSITIONS_PER_CHUNK);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray idx = m.create(Arrays.copyOfRange(rowsIndex, start, end));
        NDArray ids = m.create(Arrays.copyOfRange(targetIds, start, end), new Shape(end - start, 1));
        NDArray logits = model.logits(flat.get(new NDIndex("{}", idx)));
        if (temperature != 1.0) {
          logits = logits.div(temperature);
        }
        NDArray logSoftmax = logits.logSoftmax(-1);
        NDArray chosen = logSoftmax.gather(ids, 1);
        NDArray rank = logSoftmax.gt(chosen).sum(new int[] {1}).add(1);
        NDArray entropy = logSoftmax.exp().mul(logSoftmax).sum(new int[] {1}).neg();
        float[] lp = chosen.toFloatArray();
        float[] en = entropy.toFloatArray();
        long[] rk = rank.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        for (int i = 0; i < end - start; i++) {
          logprobs[start + i] = lp[i];
          entropies[start + i] = en[i];
          ranks[start + i] = (int) rk[i];
        }
      }
    }
    List<TokenScores> out = new ArrayList<>(batch);
    int offset = 0;
    for (int b = 0; b < batch; b++) {
      int len = targets.get(b).length;
      out.add(
          new TokenScores(
              targets.get(b).clone(),
              Arrays.copyOfRange(logprobs, offset, offset + len),
              Arrays.copyOfRange(ranks, offset, offset + len),
              Arrays.copyOfRange(entropies, offset, offset + len)));
      offset += len;
    }
    return out;
  }

  private static int maxLength(List<int[]> contexts, List<int[]> targets) {
    int max = 1;
    for (int i = 0; i < contexts.size(); i++) {
      max = Math.max(max, contexts.get(i).length + targets.get(i).length);
    }
    return max;
  }
}
