package dro4j.model;

import java.util.Arrays;

/** The additive causal attention mask over ragged rows (padding anywhere, sliding windows). */
final class AttentionMask {
  private AttentionMask() {}

  /**
   * Bias {@code [batch, count, queryStart + count]} (flattened) for the queries at slots
   * {@code queryStart .. queryStart + count - 1}: 0 where a query may attend (a valid key, not after
   * the query, and with {@code position(query) - position(key) < slidingWindow} when there is a
   * window), -inf elsewhere. A padding query attends to itself only, so no softmax row is empty.
   *
   * @param valid {@code [batch][>= queryStart + count]} whether each slot holds a real token
   * @param positions {@code [batch][>= queryStart + count]} position id of each slot
   */
  static float[] bias(boolean[][] valid, int[][] positions, int queryStart, int count, Integer slidingWindow) {
    int batch = valid.length;
    int keysLen = queryStart + count;
    float[] bias = new float[batch * count * keysLen];
    Arrays.fill(bias, Float.NEGATIVE_INFINITY);
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < count; t++) {
        int q = queryStart + t;
        int base = (b * count + t) * keysLen;
        if (!valid[b][q]) {
          bias[base + q] = 0f;
          continue;
        }
        for (int s = 0; s <= q; s++) {
          if (valid[b][s] && (slidingWindow == null || positions[b][q] - positions[b][s] < slidingWindow)) {
            bias[base + s] = 0f;
          }
        }
      }
    }
    return bias;
  }

  /** Position ids of fully given rows: the number of valid tokens before each slot (0 for padding). */
  static int[][] positions(boolean[][] valid) {
    int[][] positions = new int[valid.length][];
    for (int b = 0; b < valid.length; b++) {
      positions[b] = new int[valid[b].length];
      int next = 0;
      for (int t = 0; t < valid[b].length; t++) {
        positions[b][t] = valid[b][t] ? next++ : 0;
      }
    }
    return positions;
  }
}
