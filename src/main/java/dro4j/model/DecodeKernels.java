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
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  /** Batch rows that share one pass over a weight row (four accumulators stay in registers). */
  static final int BATCH_TILE = 4;
  /** Weight rows per block: a block is reused from cache by every tile of batch rows (~64 KB at 896 columns). */
  private static final int ROW_BLOCK = 16;

  /**
   * {@code out[b][r] = x[b] . w[r] (+ bias[r])} for the weight rows {@code from <= r < to} and every
   * batch row {@code b}. The weight rows are visited in blocks; each block is read from memory once and
   * reused from cache by every tile of {@link #BATCH_TILE} batch rows. The sum over columns runs in
   * the same order for any split of rows and any batch size, so results do not depend on the thread
   * count or on which other rows are in the batch.
   */
  static void matmul(float[][] x, Weights w, float[] bias, float[][] out, int from, int to) {
    int batch = x.length;
    for (int r0 = from; r0 < to; r0 += ROW_BLOCK) {
      int r1 = Math.min(to, r0 + ROW_BLOCK);
      int b = 0;
      for (; b + BATCH_TILE <= batch; b += BATCH_TILE) {
        int r = r0;
        for (; r + 3 < r1; r += 4) {
          tile4x4(w, r, x[b], x[b + 1], x[b + 2], x[b + 3], bias, out, b);
        }
        for (; r + 1 < r1; r += 2) {
          tile2x4(w, r, x[b], x[b + 1], x[b + 2], x[b + 3], bias, out, b);
        }
        if (r < r1) {
          for (int j = 0; j < BATCH_TILE; j++) {
            out[b + j][r] = dot(w.buffer(r), w.byteOffset(r), x[b + j], w.cols()) + (bias == null ? 0f : bias[r]);
          }
        }
      }
      for (; b < batch; b++) {
        float[] xb = x[b];
        for (int r = r0; r < r1; r++) {
          out[b][r] = dot(w.buffer(r), w.byteOffset(r), xb, w.cols()) + (bias == null ? 0f : bias[r]);
        }
      }
    }
  }

  /**
   * Weight rows {@code r .. r + 3} times batch rows {@code b .. b + 3}: sixteen accumulators, so the
   * eight vectors loaded per step feed sixteen multiply-adds and the FMA units, not the loads, set
   * the pace once the batch makes the product compute-bound. Summed in the same order as {@link #dot}.
   */
  private static void tile4x4(Weights w, int r, float[] x0, float[] x1, float[] x2, float[] x3, float[] bias,
      float[][] out, int b) {
    int cols = w.cols();
    ByteBuffer buf0 = w.buffer(r);
    int base0 = w.byteOffset(r);
    ByteBuffer buf1 = w.buffer(r + 1);
    int base1 = w.byteOffset(r + 1);
    ByteBuffer buf2 = w.buffer(r + 2);
    int base2 = w.byteOffset(r + 2);
    ByteBuffer buf3 = w.buffer(r + 3);
    int base3 = w.byteOffset(r + 3);
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
    float add0 = bias == null ? 0f : bias[r];
    out[b][r] = s00 + add0;
    out[b + 1][r] = s01 + add0;
    out[b + 2][r] = s02 + add0;
    out[b + 3][r] = s03 + add0;
    float add1 = bias == null ? 0f : bias[r + 1];
    out[b][r + 1] = s10 + add1;
    out[b + 1][r + 1] = s11 + add1;
    out[b + 2][r + 1] = s12 + add1;
    out[b + 3][r + 1] = s13 + add1;
    float add2 = bias == null ? 0f : bias[r + 2];
    out[b][r + 2] = s20 + add2;
    out[b + 1][r + 2] = s21 + add2;
    out[b + 2][r + 2] = s22 + add2;
    out[b + 3][r + 2] = s23 + add2;
    float add3 = bias == null ? 0f : bias[r + 3];
    out[b][r + 3] = s30 + add3;
    out[b + 1][r + 3] = s31 + add3;
    out[b + 2][r + 3] = s32 + add3;
    out[b + 3][r + 3] = s33 + add3;
  }

  /**
   * Weight rows {@code r, r + 1} times batch rows {@code b .. b + 3}: eight accumulators, so each
   * loaded vector feeds two or four multiply-adds (the loads, not the FMAs, limit a one-row kernel).
   * Each output is summed in the same order as {@link #dot}.
   */
  private static void tile2x4(Weights w, int r, float[] x0, float[] x1, float[] x2, float[] x3, float[] bias,
      float[][] out, int b) {
    int cols = w.cols();
    ByteBuffer bufA = w.buffer(r);
    ByteBuffer bufB = w.buffer(r + 1);
    int baseA = w.byteOffset(r);
    int baseB = w.byteOffset(r + 1);
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    FloatVector c0 = FloatVector.zero(SPECIES);
    FloatVector c1 = FloatVector.zero(SPECIES);
    FloatVector c2 = FloatVector.zero(SPECIES);
    FloatVector c3 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector wa = FloatVector.fromByteBuffer(SPECIES, bufA, baseA + 4 * i, ORDER);
      FloatVector wb = FloatVector.fromByteBuffer(SPECIES, bufB, baseB + 4 * i, ORDER);
      FloatVector v0 = FloatVector.fromArray(SPECIES, x0, i);
      a0 = wa.fma(v0, a0);
      c0 = wb.fma(v0, c0);
      FloatVector v1 = FloatVector.fromArray(SPECIES, x1, i);
      a1 = wa.fma(v1, a1);
      c1 = wb.fma(v1, c1);
      FloatVector v2 = FloatVector.fromArray(SPECIES, x2, i);
      a2 = wa.fma(v2, a2);
      c2 = wb.fma(v2, c2);
      FloatVector v3 = FloatVector.fromArray(SPECIES, x3, i);
      a3 = wa.fma(v3, a3);
      c3 = wb.fma(v3, c3);
    }
    float sa0 = a0.reduceLanes(VectorOperators.ADD);
    float sa1 = a1.reduceLanes(VectorOperators.ADD);
    float sa2 = a2.reduceLanes(VectorOperators.ADD);
    float sa3 = a3.reduceLanes(VectorOperators.ADD);
    float sc0 = c0.reduceLanes(VectorOperators.ADD);
    float sc1 = c1.reduceLanes(VectorOperators.ADD);
    float sc2 = c2.reduceLanes(VectorOperators.ADD);
    float sc3 = c3.reduceLanes(VectorOperators.ADD);
    for (; i < cols; i++) {
      float wai = bufA.getFloat(baseA + 4 * i);
      float wbi = bufB.getFloat(baseB + 4 * i);
      sa0 += wai * x0[i];
      sa1 += wai * x1[i];
      sa2 += wai * x2[i];
      sa3 += wai * x3[i];
      sc0 += wbi * x0[i];
      sc1 += wbi * x1[i];
      sc2 += wbi * x2[i];
      sc3 += wbi * x3[i];
    }
    float addA = bias == null ? 0f : bias[r];
    float addB = bias == null ? 0f : bias[r + 1];
    out[b][r] = sa0 + addA;
    out[b + 1][r] = sa1 + addA;
    out[b + 2][r] = sa2 + addA;
    out[b + 3][r] = sa3 + addA;
    out[b][r + 1] = sc0 + addB;
    out[b + 1][r + 1] = sc1 + addB;
    out[b + 2][r + 1] = sc2 + addB;
    out[b + 3][r + 1] = sc3 + addB;
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
    int bound = SPECIES.loopBound(headDim);
    for (int s = 0; s < slots; s++) {
      if (!allowed[s]) {
        continue;
      }
      int at = kvBase + 4 * s * headDim;
      FloatVector acc = FloatVector.zero(SPECIES);
      int i = 0;
      for (; i < bound; i += SPECIES.length()) {
        acc = FloatVector.fromByteBuffer(SPECIES, keys, at + 4 * i, ORDER).fma(FloatVector.fromArray(SPECIES, q, qOff + i), acc);
      }
      float score = acc.reduceLanes(VectorOperators.ADD);
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
      FloatVector pv = FloatVector.broadcast(SPECIES, p);
      int i = 0;
      for (; i < bound; i += SPECIES.length()) {
        FloatVector o = FloatVector.fromArray(SPECIES, out, outOff + i);
        FloatVector.fromByteBuffer(SPECIES, values, at + 4 * i, ORDER).fma(pv, o).intoArray(out, outOff + i);
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
