package dro4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java Vector API kernels of the CPU decode path ({@link CpuDecoder}): a batched matrix-vector
 * product that reads each weight row once for all rows of the batch, RMSNorm, and attention of one
 * query over the KV cache. Weights and cache are read in place from the tensors' memory (direct
 * buffers over PyTorch's storage), so nothing is copied and training updates are seen at once.
 *
 * <p>Only this class refers to {@code jdk.incubator.vector}: it is loaded only when {@link
 * FastDecode#available()} says the module is present.
 */
final class DecodeKernels {
  private DecodeKernels() {}

  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /**
   * Vectors of attention over one head: at most eight floats, so that small heads (stories260K's are
   * eight wide) are not left to scalar code. Zen 4 runs 512-bit vectors as two 256-bit halves, so this
   * costs nothing there; elsewhere attention is a few percent of a large model's step.
   */
  static final VectorSpecies<Float> HEAD_SPECIES =
      SPECIES.length() > 8 ? FloatVector.SPECIES_256 : SPECIES;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  /** Batch rows that share one pass over four weight rows (sixteen accumulators stay in registers). */
  static final int BATCH_TILE = 4;

  /**
   * {@code out[b][r] = x[b] . w[r] (+ bias[r])} for the weight rows {@code from <= r < to} and every
   * batch row {@code b}.
   *
   * <p>The rows are cut into four quarters that are walked side by side: each pass takes one row from
   * every quarter, so the four weight streams run sequentially through memory (what the hardware
   * prefetcher follows best), and the four rows of a pass are reused from the L1 cache by every tile of
   * {@link #BATCH_TILE} batch rows. Every output is one vector accumulator over the columns in order,
   * reduced once, plus the scalar tail, whatever kernel computes it: results do not depend on the
   * thread count, on how the rows are split, or on which other rows are in the batch.
   */
  static void matmul(float[][] x, Weights w, float[] bias, float[][] out, int from, int to) {
    int batch = x.length;
    int quarter = (to - from) / 4;
    for (int j = 0; j < quarter; j++) {
      int r0 = from + j;
      int r1 = r0 + quarter;
      int r2 = r1 + quarter;
      int r3 = r2 + quarter;
      int b = 0;
      for (; b + BATCH_TILE <= batch; b += BATCH_TILE) {
        tile4x4(w, r0, r1, r2, r3, x[b], x[b + 1], x[b + 2], x[b + 3], bias, out, b);
      }
      for (; b < batch; b++) {
        tile4x1(w, r0, r1, r2, r3, x[b], bias, out[b]);
      }
    }
    for (int r = from + 4 * quarter; r < to; r++) {
      float add = bias == null ? 0f : bias[r];
      for (int b = 0; b < batch; b++) {
        out[b][r] = dot(w.buffer(r), w.byteOffset(r), x[b], w.cols()) + add;
      }
    }
  }

  /**
   * Weight rows {@code r0 .. r3} times batch rows {@code b .. b + 3}: sixteen accumulators, so the
   * eight vectors loaded per step feed sixteen multiply-adds and the FMA units, not the loads, set
   * the pace once the batch makes the product compute-bound. Summed in the same order as {@link #dot}.
   */
  private static void tile4x4(Weights w, int r0, int r1, int r2, int r3, float[] x0, float[] x1, float[] x2,
      float[] x3, float[] bias, float[][] out, int b) {
    int cols = w.cols();
    ByteBuffer buf0 = w.buffer(r0);
    int base0 = w.byteOffset(r0);
    ByteBuffer buf1 = w.buffer(r1);
    int base1 = w.byteOffset(r1);
    ByteBuffer buf2 = w.buffer(r2);
    int base2 = w.byteOffset(r2);
    ByteBuffer buf3 = w.buffer(r3);
    int base3 = w.byteOffset(r3);
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = FloatVector.zero(SPECIES);
    FloatVector a02 = FloatVector.zero(SPECIES);
    FloatVector a03 = FloatVector.zero(SPECIES);
    FloatVector a10 = FloatVector.zero(SPECIES);
    FloatVector a11 = FloatVector.zero(SPECIES);
    FloatVector a12 = FloatVector.zero(SPECIES);
    FloatVector a13 = FloatVector.zero(SPECIES);
    FloatVector a20 = FloatVector.zero(SPECIES);
    FloatVector a21 = FloatVector.zero(SPECIES);
    FloatVector a22 = FloatVector.zero(SPECIES);
    FloatVector a23 = FloatVector.zero(SPECIES);
    FloatVector a30 = FloatVector.zero(SPECIES);
    FloatVector a31 = FloatVector.zero(SPECIES);
    FloatVector a32 = FloatVector.zero(SPECIES);
    FloatVector a33 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector w0 = FloatVector.fromByteBuffer(SPECIES, buf0, base0 + 4 * i, ORDER);
      FloatVector w1 = FloatVector.fromByteBuffer(SPECIES, buf1, base1 + 4 * i, ORDER);
      FloatVector w2 = FloatVector.fromByteBuffer(SPECIES, buf2, base2 + 4 * i, ORDER);
      FloatVector w3 = FloatVector.fromByteBuffer(SPECIES, buf3, base3 + 4 * i, ORDER);
      FloatVector v0 = FloatVector.fromArray(SPECIES, x0, i);
      a00 = w0.fma(v0, a00);
      a10 = w1.fma(v0, a10);
      a20 = w2.fma(v0, a20);
      a30 = w3.fma(v0, a30);
      FloatVector v1 = FloatVector.fromArray(SPECIES, x1, i);
      a01 = w0.fma(v1, a01);
      a11 = w1.fma(v1, a11);
      a21 = w2.fma(v1, a21);
      a31 = w3.fma(v1, a31);
      FloatVector v2 = FloatVector.fromArray(SPECIES, x2, i);
      a02 = w0.fma(v2, a02);
      a12 = w1.fma(v2, a12);
      a22 = w2.fma(v2, a22);
      a32 = w3.fma(v2, a32);
      FloatVector v3 = FloatVector.fromArray(SPECIES, x3, i);
      a03 = w0.fma(v3, a03);
      a13 = w1.fma(v3, a13);
      a23 = w2.fma(v3, a23);
      a33 = w3.fma(v3, a33);
    }
    float s00 = a00.reduceLanes(VectorOperators.ADD);
    float s01 = a01.reduceLanes(VectorOperators.ADD);
    float s02 = a02.reduceLanes(VectorOperators.ADD);
    float s03 = a03.reduceLanes(VectorOperators.ADD);
    float s10 = a10.reduceLanes(VectorOperators.ADD);
    float s11 = a11.reduceLanes(VectorOperators.ADD);
    float s12 = a12.reduceLanes(VectorOperators.ADD);
    float s13 = a13.reduceLanes(VectorOperators.ADD);
    float s20 = a20.reduceLanes(VectorOperators.ADD);
    float s21 = a21.reduceLanes(VectorOperators.ADD);
    float s22 = a22.reduceLanes(VectorOperators.ADD);
    float s23 = a23.reduceLanes(VectorOperators.ADD);
    float s30 = a30.reduceLanes(VectorOperators.ADD);
    float s31 = a31.reduceLanes(VectorOperators.ADD);
    float s32 = a32.reduceLanes(VectorOperators.ADD);
    float s33 = a33.reduceLanes(VectorOperators.ADD);
    for (; i < cols; i++) {
      float w0 = buf0.getFloat(base0 + 4 * i);
      float w1 = buf1.getFloat(base1 + 4 * i);
      float w2 = buf2.getFloat(base2 + 4 * i);
      float w3 = buf3.getFloat(base3 + 4 * i);
      s00 += w0 * x0[i];
      s01 += w0 * x1[i];
      s02 += w0 * x2[i];
      s03 += w0 * x3[i];
      s10 += w1 * x0[i];
      s11 += w1 * x1[i];
      s12 += w1 * x2[i];
      s13 += w1 * x3[i];
      s20 += w2 * x0[i];
      s21 += w2 * x1[i];
      s22 += w2 * x2[i];
      s23 += w2 * x3[i];
      s30 += w3 * x0[i];
      s31 += w3 * x1[i];
      s32 += w3 * x2[i];
      s33 += w3 * x3[i];
    }
    float add0 = bias == null ? 0f : bias[r0];
    out[b][r0] = s00 + add0;
    out[b + 1][r0] = s01 + add0;
    out[b + 2][r0] = s02 + add0;
    out[b + 3][r0] = s03 + add0;
    float add1 = bias == null ? 0f : bias[r1];
    out[b][r1] = s10 + add1;
    out[b + 1][r1] = s11 + add1;
    out[b + 2][r1] = s12 + add1;
    out[b + 3][r1] = s13 + add1;
    float add2 = bias == null ? 0f : bias[r2];
    out[b][r2] = s20 + add2;
    out[b + 1][r2] = s21 + add2;
    out[b + 2][r2] = s22 + add2;
    out[b + 3][r2] = s23 + add2;
    float add3 = bias == null ? 0f : bias[r3];
    out[b][r3] = s30 + add3;
    out[b + 1][r3] = s31 + add3;
    out[b + 2][r3] = s32 + add3;
    out[b + 3][r3] = s33 + add3;
  }

  /**
   * Weight rows {@code r0 .. r3} times one batch row: four independent accumulators, so a batch-1
   * step keeps four multiply-add chains and four memory streams going instead of one. Summed in the
   * same order as {@link #dot}.
   */
  private static void tile4x1(Weights w, int r0, int r1, int r2, int r3, float[] x, float[] bias, float[] out) {
    int cols = w.cols();
    ByteBuffer buf0 = w.buffer(r0);
    int base0 = w.byteOffset(r0);
    ByteBuffer buf1 = w.buffer(r1);
    int base1 = w.byteOffset(r1);
    ByteBuffer buf2 = w.buffer(r2);
    int base2 = w.byteOffset(r2);
    ByteBuffer buf3 = w.buffer(r3);
    int base3 = w.byteOffset(r3);
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, i);
      a0 = FloatVector.fromByteBuffer(SPECIES, buf0, base0 + 4 * i, ORDER).fma(v, a0);
      a1 = FloatVector.fromByteBuffer(SPECIES, buf1, base1 + 4 * i, ORDER).fma(v, a1);
      a2 = FloatVector.fromByteBuffer(SPECIES, buf2, base2 + 4 * i, ORDER).fma(v, a2);
      a3 = FloatVector.fromByteBuffer(SPECIES, buf3, base3 + 4 * i, ORDER).fma(v, a3);
    }
    float s0 = a0.reduceLanes(VectorOperators.ADD);
    float s1 = a1.reduceLanes(VectorOperators.ADD);
    float s2 = a2.reduceLanes(VectorOperators.ADD);
    float s3 = a3.reduceLanes(VectorOperators.ADD);
    for (; i < cols; i++) {
      s0 += buf0.getFloat(base0 + 4 * i) * x[i];
      s1 += buf1.getFloat(base1 + 4 * i) * x[i];
      s2 += buf2.getFloat(base2 + 4 * i) * x[i];
      s3 += buf3.getFloat(base3 + 4 * i) * x[i];
    }
    out[r0] = s0 + (bias == null ? 0f : bias[r0]);
    out[r1] = s1 + (bias == null ? 0f : bias[r1]);
    out[r2] = s2 + (bias == null ? 0f : bias[r2]);
    out[r3] = s3 + (bias == null ? 0f : bias[r3]);
  }

  /** One weight row times one vector, summed in the same order as a lane of {@link #matmul}'s tiles. */
  private static float dot(ByteBuffer buf, int base, float[] x, int cols) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      acc = FloatVector.fromByteBuffer(SPECIES, buf, base + 4 * i, ORDER).fma(FloatVector.fromArray(SPECIES, x, i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < cols; i++) {
      s += buf.getFloat(base + 4 * i) * x[i];
    }
    return s;
  }

  /** {@code out[off..off+n) = x[off..off+n) / sqrt(mean(x^2) + eps) * weight[0..n)}. */
  static void rmsNorm(float[] x, int off, int n, float[] weight, float eps, float[] out) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(n);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
      acc = v.fma(v, acc);
    }
    float sum = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      sum += x[off + i] * x[off + i];
    }
    float rms = (float) Math.sqrt(sum / n + eps);
    for (int j = 0; j < n; j++) {
      out[off + j] = x[off + j] / rms * weight[j];
    }
  }

  /**
   * Attention of one query head ({@code q[qOff .. qOff + headDim)}, already scaled) over the slots
   * {@code 0 .. keys} of one cache row and KV head, where {@code allowed[s]}; writes the weighted sum of
   * values to {@code out[outOff ..]}. {@code kvBase} is the byte offset of slot 0 of that row and head
   * in the cache buffers ({@code [batch, kvHeads, capacity, headDim]}, so slots are {@code headDim}
   * floats apart). {@code scores} is scratch of at least {@code keys} floats.
   */
  static void attend(float[] q, int qOff, ByteBuffer keys, ByteBuffer values, int kvBase, int headDim,
      boolean[] allowed, int slots, float[] scores, float[] out, int outOff) {
    float max = Float.NEGATIVE_INFINITY;
    int bound = HEAD_SPECIES.loopBound(headDim);
    for (int s = 0; s < slots; s++) {
      if (!allowed[s]) {
        continue;
      }
      int at = kvBase + 4 * s * headDim;
      int i = 0;
      float score = 0f;
      if (bound > 0) {
        FloatVector acc = FloatVector.zero(HEAD_SPECIES);
        for (; i < bound; i += HEAD_SPECIES.length()) {
          acc = FloatVector.fromByteBuffer(HEAD_SPECIES, keys, at + 4 * i, ORDER)
              .fma(FloatVector.fromArray(HEAD_SPECIES, q, qOff + i), acc);
        }
        score = acc.reduceLanes(VectorOperators.ADD);
      }
      for (; i < headDim; i++) {
        score += keys.getFloat(at + 4 * i) * q[qOff + i];
      }
      scores[s] = score;
      max = Math.max(max, score);
    }
    float total = 0f;
    for (int s = 0; s < slots; s++) {
      if (allowed[s]) {
        float e = (float) Math.exp(scores[s] - max);
        scores[s] = e;
        total += e;
      }
    }
    java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
    float inv = 1f / total;
    for (int s = 0; s < slots; s++) {
      if (!allowed[s]) {
        continue;
      }
      float p = scores[s] * inv;
      int at = kvBase + 4 * s * headDim;
      FloatVector pv = FloatVector.broadcast(HEAD_SPECIES, p);
      int i = 0;
      for (; i < bound; i += HEAD_SPECIES.length()) {
        FloatVector o = FloatVector.fromArray(HEAD_SPECIES, out, outOff + i);
        FloatVector.fromByteBuffer(HEAD_SPECIES, values, at + 4 * i, ORDER).fma(pv, o).intoArray(out, outOff + i);
      }
      for (; i < headDim; i++) {
        out[outOff + i] += p * values.getFloat(at + 4 * i);
      }
    }
  }

  /**
   * Sums {@code data[from..to)} with vector loads and returns the sum (so the JIT cannot drop the
   * reads): the streaming-read kernel of the bandwidth measurement, separate from {@link #matmul}.
   */
  static float streamSum(float[] data, int from, int to) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    int step = SPECIES.length();
    int i = from;
    for (; i + 2 * step <= to; i += 2 * step) {
      a0 = a0.add(FloatVector.fromArray(SPECIES, data, i));
      a1 = a1.add(FloatVector.fromArray(SPECIES, data, i + step));
    }
    float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      s += data[i];
    }
    return s;
  }
}
