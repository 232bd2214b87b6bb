package dro4j.model;

import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java Vector API kernels of the CPU decode path ({@link CpuDecoder}): a batched matrix-vector
 * product that reads each weight row once for all rows of the batch, RMSNorm, attention of one
 * query over the KV cache, and the MLP's gated SiLU (with an exp of its own, {@link
 * #expNonPositive(float)}). Weights and cache are read in place from the tensors' memory (direct
 * buffers over PyTorch's storage, loaded through {@link VectorLoads}), so nothing is copied and
 * training updates are seen at once.
 *
 * <p>Only this class and {@link VectorLoads} refer to {@code jdk.incubator.vector}: they are loaded
 * only when {@link FastDecode#available()} says the module is present and its loads link.
 */
final class DecodeKernels {
  private DecodeKernels() {}

  /** The machine's preferred vectors, kept within 4 to 16 floats (the tree sums below have at most four levels). */
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED.length() > 16 ? FloatVector.SPECIES_512
      : FloatVector.SPECIES_PREFERRED.length() < 4 ? FloatVector.SPECIES_128 : FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /*
   * The matmul kernels sum each accumulator's lanes as a tree: lane i plus lane i + L/2, then of those
   * lane i plus lane i + L/4, and so on down to one lane. Four accumulators are summed together in one
   * vector: each level folds two of them and blends the halves that hold their partial sums, so four
   * outputs cost a few shuffles and adds instead of four ordered lane-by-lane reductions (those were
   * about a quarter of the instructions of a batch-8 step at 896 columns). One accumulator alone folds
   * through the same levels, so every output is the same sum of the same numbers whichever kernel
   * computes it.
   */
  private static final VectorShuffle<Float> SWAP_HALF = swap(LANES / 2);
  private static final VectorMask<Float> HALF_SET = bitSet(LANES / 2);
  private static final VectorShuffle<Float> SWAP_QUARTER = swap(LANES / 4);
  private static final VectorMask<Float> QUARTER_SET = bitSet(LANES / 4);
  private static final VectorShuffle<Float> SWAP_EIGHTH = LANES >= 8 ? swap(LANES / 8) : null;
  private static final VectorShuffle<Float> SWAP_SIXTEENTH = LANES >= 16 ? swap(LANES / 16) : null;
  /** Where {@link #tile4x4}'s and {@link #tile4x1}'s folded vector holds the sum of its 1st .. 4th accumulator. */
  private static final int LANE_A = 0;
  private static final int LANE_B = LANES / 2;
  private static final int LANE_C = LANES / 4;
  private static final int LANE_D = 3 * LANES / 4;
  /*
   * One vector species for every kernel, attention included. The Vector API's methods are shared JDK
   * code with one profile each: when a second species (256-bit vectors for attention beside 512-bit
   * ones for the matmuls, as on AVX-512 machines before 2026-12-03) reaches a method compiled for one,
   * its class check traps, and after a few such traps C2 compiles the next kernel that inlines it with
   * a virtual call beside the inlined path. Then every FMA of the loop boxes its vector. Measured on a
   * 2-core Zen 4: 3 of 6 `bench --decode-only` runs had batch 8 at 6-7 tokens/s instead of 42-44, all
   * the time in tile4x4 and ~10 GB/s of float[] garbage from FloatVector.lanewiseTemplate under fma;
   * stories260K at batch 8 ran at 256-470 tokens/s instead of ~5,800. Heads narrower than a vector
   * are covered by several cache slots per vector instead ({@link #attendNarrow}).
   */
  /** Lane {@code i} takes lane {@code i / d}: one weight per slot of a narrow head, spread over its lanes. */
  private static final VectorShuffle<Float> SPREAD_2 = VectorShuffle.fromOp(SPECIES, i -> i / 2);
  private static final VectorShuffle<Float> SPREAD_4 = VectorShuffle.fromOp(SPECIES, i -> i / 4);
  private static final VectorShuffle<Float> SPREAD_8 = VectorShuffle.fromOp(SPECIES, i -> i / 8);
  /** Batch rows that share one pass over four weight rows (sixteen accumulators stay in registers). */
  static final int BATCH_TILE = 4;

  /**
   * How {@link #matmul} covers eight batch rows at a time. With 16 vector registers (AVX2's 256-bit
   * vectors) the 4x4 tile's sixteen accumulators, four weights and one input do not fit: C2 keeps
   * seven accumulators on the stack, a load and a store per FMA. The 1x8 tile keeps eight
   * accumulators and one weight vector, and loads each weight once for eight FMAs instead of four,
   * which matters where every load from a {@code ByteBuffer} carries a dozen instructions of checks.
   * Measured on a 2-core Zen 3 (2026-12-03, 0.5B shape, batch 8, the two alternating step by step in
   * one process, five runs of 30-60 steps each): median step 3-19% shorter with 1x8. With 32
   * registers (AVX-512) the 4x4 tile fits, and 1x8 measured slower on a Zen 4 (175-212 ms a step
   * against 105-132).
   */
  enum BatchTile {
    /** Four weight rows times four batch rows ({@link #tile4x4}). */
    FOUR_BY_FOUR,
    /** One weight row times eight batch rows ({@link #tile1x8}), each of a pass's four rows in turn. */
    ONE_BY_EIGHT,
    /** Two weight rows times four batch rows ({@link #tile2x4}), a pass's rows in two pairs. */
    TWO_BY_FOUR
  }

  /**
   * The tiling of this machine's vectors for rows of {@code cols} floats. With 32 registers: {@link
   * BatchTile#FOUR_BY_FOUR}. With 16 (eight lanes, AVX2): {@link BatchTile#TWO_BY_FOUR}, which loads
   * six vectors for eight multiply-adds where {@link BatchTile#ONE_BY_EIGHT} loads nine, while its pair
   * of weight rows stays in a 32 KB L1 cache for the second four batch rows (up to {@link
   * #PAIR_IN_L1_COLS} columns); wider rows come back from L2, and there {@code ONE_BY_EIGHT}, which
   * reads each weight once, was faster. Measured on a 2-core Zen 1 (2026-12-04, one thread, batch 8,
   * the three tilings alternating in one process, median of 60 rounds): 896 columns (0.5B's q/o,
   * gate/up, LM head; three runs) 2x4 7-20% faster than 1x8; 4,864 (0.5B's down projection) 4-7%
   * slower; in one run 1,024-1,536 columns 0-12% faster and 3,072 equal. The tilings give the same bits.
   */
  static BatchTile batchTiling(int cols) {
    if (LANES != 8) return BatchTile.FOUR_BY_FOUR;
    return cols <= PAIR_IN_L1_COLS ? BatchTile.TWO_BY_FOUR : BatchTile.ONE_BY_EIGHT;
  }

  /** The widest rows whose pair of weight rows (2 x 4 bytes a column) fits a 32 KB L1 data cache. */
  static final int PAIR_IN_L1_COLS = 4096;

  /**
   * The row multiple at which a parallel chunk of {@link #matmul} should start, for rows of {@code
   * cols} floats: in a chunk whose length is a multiple of it, the four quarters {@link #matmul} walks
   * side by side are whole 4 KiB pages apart, so their four weight streams cross page boundaries in
   * the same pass. The hardware prefetcher stops at the end of a page, and a new page's first lines
   * wait for a full miss; crossing together, the four streams wait once instead of four times apart.
   * Measured on a 2-core Zen 4 (2026-12-04, one thread, batch 8, ten [4864, 896] matrices streamed,
   * the chunk lengths alternating in one process): chunks of 64 or 128 rows (quarters 14 and 28
   * pages long) 44.7-45.4 GFLOP/s, of 72, 76, 80 or 152 rows (quarters a quarter or half page off)
   * 38.5-42.0. Where whole pages would need chunks longer than {@link #MAX_PAGE_ALIGNED_ROWS} rows
   * (columns with few factors of two), 1: the chunks stay fine-grained instead.
   */
  static int pageAlignedRows(int cols) {
    int floatsInPage = 1024;
    // rows whose floats fill whole pages: a page over the largest power of two dividing cols (up to a page)
    int rows = 4 * (floatsInPage / Math.min(Integer.lowestOneBit(cols), floatsInPage));
    return rows <= MAX_PAGE_ALIGNED_ROWS ? rows : 1;
  }

  /** The longest row multiple {@link #pageAlignedRows} asks a chunk to start on. */
  static final int MAX_PAGE_ALIGNED_ROWS = 64;

  /**
   * {@code out[b][r] = x[b] . w[r] (+ bias[r])} for the weight rows {@code from <= r < to} and every
   * batch row {@code b}, in {@link #batchTiling} of its columns.
   *
   * <p>The rows are cut into four quarters that are walked side by side: each pass takes one row from
   * every quarter, so the four weight streams run sequentially through memory (what the hardware
   * prefetcher follows best), and the four rows of a pass are reused from the L1 cache by every tile of
   * batch rows. Every output is one vector accumulator over the columns in order, summed by the same
   * tree of lanes ({@link #treeSum}), plus the scalar tail, whatever kernel computes it: results do not
   * depend on the thread count, on how the rows are split, on the tiling, or on which other rows are
   * in the batch.
   */
  static void matmul(float[][] x, Weights w, float[] bias, float[][] out, int from, int to) {
    matmul(x, w, bias, out, from, to, batchTiling(w.cols()));
  }

  /** {@link #matmul(float[][], Weights, float[], float[][], int, int)} in the given tiling (tests compare them). */
  static void matmul(float[][] x, Weights w, float[] bias, float[][] out, int from, int to, BatchTile tiling) {
    int batch = x.length;
    int quarter = (to - from) / 4;
    for (int j = 0; j < quarter; j++) {
      int r0 = from + j;
      int r1 = r0 + quarter;
      int r2 = r1 + quarter;
      int r3 = r2 + quarter;
      int b = 0;
      if (tiling == BatchTile.ONE_BY_EIGHT) {
        for (; b + 8 <= batch; b += 8) {
          tile1x8(w, r0, x, b, bias, out);
          tile1x8(w, r1, x, b, bias, out);
          tile1x8(w, r2, x, b, bias, out);
          tile1x8(w, r3, x, b, bias, out);
        }
      }
      if (tiling == BatchTile.TWO_BY_FOUR) {
        for (; b + BATCH_TILE <= batch; b += BATCH_TILE) {
          tile2x4(w, r0, r1, x[b], x[b + 1], x[b + 2], x[b + 3], bias, out, b);
          tile2x4(w, r2, r3, x[b], x[b + 1], x[b + 2], x[b + 3], bias, out, b);
        }
      }
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
        out[b][r] = dot(w.buffer(r), w.memory(r), w.byteOffset(r), x[b], w.cols()) + add;
      }
    }
  }

  /**
   * Weight row {@code r} times batch rows {@code b .. b + 7}: eight accumulators and one weight vector
   * in registers, each weight loaded once for eight FMAs. Summed in the same order as {@link #dot}: the
   * accumulators are folded four at a time as in {@link #tile4x4}.
   */
  private static void tile1x8(Weights w, int r, float[][] x, int b, float[] bias, float[][] out) {
    int cols = w.cols();
    ByteBuffer buf = w.buffer(r);
    Object mem = w.memory(r);
    int base = w.byteOffset(r);
    float[] x0 = x[b];
    float[] x1 = x[b + 1];
    float[] x2 = x[b + 2];
    float[] x3 = x[b + 3];
    float[] x4 = x[b + 4];
    float[] x5 = x[b + 5];
    float[] x6 = x[b + 6];
    float[] x7 = x[b + 7];
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    FloatVector a4 = FloatVector.zero(SPECIES);
    FloatVector a5 = FloatVector.zero(SPECIES);
    FloatVector a6 = FloatVector.zero(SPECIES);
    FloatVector a7 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector wv = VectorLoads.load(SPECIES, mem, base + 4 * i);
      a0 = wv.fma(FloatVector.fromArray(SPECIES, x0, i), a0);
      a1 = wv.fma(FloatVector.fromArray(SPECIES, x1, i), a1);
      a2 = wv.fma(FloatVector.fromArray(SPECIES, x2, i), a2);
      a3 = wv.fma(FloatVector.fromArray(SPECIES, x3, i), a3);
      a4 = wv.fma(FloatVector.fromArray(SPECIES, x4, i), a4);
      a5 = wv.fma(FloatVector.fromArray(SPECIES, x5, i), a5);
      a6 = wv.fma(FloatVector.fromArray(SPECIES, x6, i), a6);
      a7 = wv.fma(FloatVector.fromArray(SPECIES, x7, i), a7);
    }
    // tree sums, batch rows 0-3 in one folded vector and 4-7 in another (inline: a helper taking vectors
    // would box them, as tile4x4 says)
    FloatVector tab = a0.add(a0.rearrange(SWAP_HALF)).blend(a1.add(a1.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector tcd = a2.add(a2.rearrange(SWAP_HALF)).blend(a3.add(a3.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t = tab.add(tab.rearrange(SWAP_QUARTER)).blend(tcd.add(tcd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t = SWAP_EIGHTH == null ? t : t.add(t.rearrange(SWAP_EIGHTH));
    t = SWAP_SIXTEENTH == null ? t : t.add(t.rearrange(SWAP_SIXTEENTH));
    FloatVector uab = a4.add(a4.rearrange(SWAP_HALF)).blend(a5.add(a5.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector ucd = a6.add(a6.rearrange(SWAP_HALF)).blend(a7.add(a7.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector u = uab.add(uab.rearrange(SWAP_QUARTER)).blend(ucd.add(ucd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    u = SWAP_EIGHTH == null ? u : u.add(u.rearrange(SWAP_EIGHTH));
    u = SWAP_SIXTEENTH == null ? u : u.add(u.rearrange(SWAP_SIXTEENTH));
    float s0 = t.lane(LANE_A);
    float s1 = t.lane(LANE_B);
    float s2 = t.lane(LANE_C);
    float s3 = t.lane(LANE_D);
    float s4 = u.lane(LANE_A);
    float s5 = u.lane(LANE_B);
    float s6 = u.lane(LANE_C);
    float s7 = u.lane(LANE_D);
    for (; i < cols; i++) {
      float wi = buf.getFloat(base + 4 * i);
      s0 += wi * x0[i];
      s1 += wi * x1[i];
      s2 += wi * x2[i];
      s3 += wi * x3[i];
      s4 += wi * x4[i];
      s5 += wi * x5[i];
      s6 += wi * x6[i];
      s7 += wi * x7[i];
    }
    float add = bias == null ? 0f : bias[r];
    out[b][r] = s0 + add;
    out[b + 1][r] = s1 + add;
    out[b + 2][r] = s2 + add;
    out[b + 3][r] = s3 + add;
    out[b + 4][r] = s4 + add;
    out[b + 5][r] = s5 + add;
    out[b + 6][r] = s6 + add;
    out[b + 7][r] = s7 + add;
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
    Object mem0 = w.memory(r0);
    int base0 = w.byteOffset(r0);
    ByteBuffer buf1 = w.buffer(r1);
    Object mem1 = w.memory(r1);
    int base1 = w.byteOffset(r1);
    ByteBuffer buf2 = w.buffer(r2);
    Object mem2 = w.memory(r2);
    int base2 = w.byteOffset(r2);
    ByteBuffer buf3 = w.buffer(r3);
    Object mem3 = w.memory(r3);
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
      FloatVector w0 = VectorLoads.load(SPECIES, mem0, base0 + 4 * i);
      FloatVector w1 = VectorLoads.load(SPECIES, mem1, base1 + 4 * i);
      FloatVector w2 = VectorLoads.load(SPECIES, mem2, base2 + 4 * i);
      FloatVector w3 = VectorLoads.load(SPECIES, mem3, base3 + 4 * i);
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
    // tree sums, one folded vector per weight row (kept inline: a call would box the vectors)
    FloatVector t0ab = a00.add(a00.rearrange(SWAP_HALF)).blend(a01.add(a01.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t0cd = a02.add(a02.rearrange(SWAP_HALF)).blend(a03.add(a03.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t0 = t0ab.add(t0ab.rearrange(SWAP_QUARTER)).blend(t0cd.add(t0cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t0 = SWAP_EIGHTH == null ? t0 : t0.add(t0.rearrange(SWAP_EIGHTH));
    t0 = SWAP_SIXTEENTH == null ? t0 : t0.add(t0.rearrange(SWAP_SIXTEENTH));
    FloatVector t1ab = a10.add(a10.rearrange(SWAP_HALF)).blend(a11.add(a11.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t1cd = a12.add(a12.rearrange(SWAP_HALF)).blend(a13.add(a13.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t1 = t1ab.add(t1ab.rearrange(SWAP_QUARTER)).blend(t1cd.add(t1cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t1 = SWAP_EIGHTH == null ? t1 : t1.add(t1.rearrange(SWAP_EIGHTH));
    t1 = SWAP_SIXTEENTH == null ? t1 : t1.add(t1.rearrange(SWAP_SIXTEENTH));
    FloatVector t2ab = a20.add(a20.rearrange(SWAP_HALF)).blend(a21.add(a21.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t2cd = a22.add(a22.rearrange(SWAP_HALF)).blend(a23.add(a23.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t2 = t2ab.add(t2ab.rearrange(SWAP_QUARTER)).blend(t2cd.add(t2cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t2 = SWAP_EIGHTH == null ? t2 : t2.add(t2.rearrange(SWAP_EIGHTH));
    t2 = SWAP_SIXTEENTH == null ? t2 : t2.add(t2.rearrange(SWAP_SIXTEENTH));
    FloatVector t3ab = a30.add(a30.rearrange(SWAP_HALF)).blend(a31.add(a31.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t3cd = a32.add(a32.rearrange(SWAP_HALF)).blend(a33.add(a33.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t3 = t3ab.add(t3ab.rearrange(SWAP_QUARTER)).blend(t3cd.add(t3cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t3 = SWAP_EIGHTH == null ? t3 : t3.add(t3.rearrange(SWAP_EIGHTH));
    t3 = SWAP_SIXTEENTH == null ? t3 : t3.add(t3.rearrange(SWAP_SIXTEENTH));
    float s00 = t0.lane(LANE_A);
    float s01 = t0.lane(LANE_B);
    float s02 = t0.lane(LANE_C);
    float s03 = t0.lane(LANE_D);
    float s10 = t1.lane(LANE_A);
    float s11 = t1.lane(LANE_B);
    float s12 = t1.lane(LANE_C);
    float s13 = t1.lane(LANE_D);
    float s20 = t2.lane(LANE_A);
    float s21 = t2.lane(LANE_B);
    float s22 = t2.lane(LANE_C);
    float s23 = t2.lane(LANE_D);
    float s30 = t3.lane(LANE_A);
    float s31 = t3.lane(LANE_B);
    float s32 = t3.lane(LANE_C);
    float s33 = t3.lane(LANE_D);
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
   * Weight rows {@code r0, r1} times batch rows {@code b .. b + 3}: eight accumulators, two weight
   * vectors and one input in registers (11 of AVX2's 16), six loads for eight multiply-adds. Summed
   * in the same order as {@link #dot}: each weight row's four accumulators folded as in {@link #tile4x4}.
   */
  private static void tile2x4(Weights w, int r0, int r1, float[] x0, float[] x1, float[] x2, float[] x3,
      float[] bias, float[][] out, int b) {
    int cols = w.cols();
    ByteBuffer buf0 = w.buffer(r0);
    Object mem0 = w.memory(r0);
    int base0 = w.byteOffset(r0);
    ByteBuffer buf1 = w.buffer(r1);
    Object mem1 = w.memory(r1);
    int base1 = w.byteOffset(r1);
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = FloatVector.zero(SPECIES);
    FloatVector a02 = FloatVector.zero(SPECIES);
    FloatVector a03 = FloatVector.zero(SPECIES);
    FloatVector a10 = FloatVector.zero(SPECIES);
    FloatVector a11 = FloatVector.zero(SPECIES);
    FloatVector a12 = FloatVector.zero(SPECIES);
    FloatVector a13 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector w0 = VectorLoads.load(SPECIES, mem0, base0 + 4 * i);
      FloatVector w1 = VectorLoads.load(SPECIES, mem1, base1 + 4 * i);
      FloatVector v0 = FloatVector.fromArray(SPECIES, x0, i);
      a00 = w0.fma(v0, a00);
      a10 = w1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(SPECIES, x1, i);
      a01 = w0.fma(v1, a01);
      a11 = w1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(SPECIES, x2, i);
      a02 = w0.fma(v2, a02);
      a12 = w1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(SPECIES, x3, i);
      a03 = w0.fma(v3, a03);
      a13 = w1.fma(v3, a13);
    }
    // tree sums, one folded vector per weight row (kept inline: a call would box the vectors)
    FloatVector t0ab = a00.add(a00.rearrange(SWAP_HALF)).blend(a01.add(a01.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t0cd = a02.add(a02.rearrange(SWAP_HALF)).blend(a03.add(a03.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t0 = t0ab.add(t0ab.rearrange(SWAP_QUARTER)).blend(t0cd.add(t0cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t0 = SWAP_EIGHTH == null ? t0 : t0.add(t0.rearrange(SWAP_EIGHTH));
    t0 = SWAP_SIXTEENTH == null ? t0 : t0.add(t0.rearrange(SWAP_SIXTEENTH));
    FloatVector t1ab = a10.add(a10.rearrange(SWAP_HALF)).blend(a11.add(a11.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t1cd = a12.add(a12.rearrange(SWAP_HALF)).blend(a13.add(a13.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t1 = t1ab.add(t1ab.rearrange(SWAP_QUARTER)).blend(t1cd.add(t1cd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t1 = SWAP_EIGHTH == null ? t1 : t1.add(t1.rearrange(SWAP_EIGHTH));
    t1 = SWAP_SIXTEENTH == null ? t1 : t1.add(t1.rearrange(SWAP_SIXTEENTH));
    float s00 = t0.lane(LANE_A);
    float s01 = t0.lane(LANE_B);
    float s02 = t0.lane(LANE_C);
    float s03 = t0.lane(LANE_D);
    float s10 = t1.lane(LANE_A);
    float s11 = t1.lane(LANE_B);
    float s12 = t1.lane(LANE_C);
    float s13 = t1.lane(LANE_D);
    for (; i < cols; i++) {
      float w0 = buf0.getFloat(base0 + 4 * i);
      float w1 = buf1.getFloat(base1 + 4 * i);
      s00 += w0 * x0[i];
      s01 += w0 * x1[i];
      s02 += w0 * x2[i];
      s03 += w0 * x3[i];
      s10 += w1 * x0[i];
      s11 += w1 * x1[i];
      s12 += w1 * x2[i];
      s13 += w1 * x3[i];
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
  }

  /**
   * Weight rows {@code r0 .. r3} times one batch row: four independent accumulators, so a batch-1
   * step keeps four multiply-add chains and four memory streams going instead of one. Summed in the
   * same order as {@link #dot}.
   */
  private static void tile4x1(Weights w, int r0, int r1, int r2, int r3, float[] x, float[] bias, float[] out) {
    int cols = w.cols();
    ByteBuffer buf0 = w.buffer(r0);
    Object mem0 = w.memory(r0);
    int base0 = w.byteOffset(r0);
    ByteBuffer buf1 = w.buffer(r1);
    Object mem1 = w.memory(r1);
    int base1 = w.byteOffset(r1);
    ByteBuffer buf2 = w.buffer(r2);
    Object mem2 = w.memory(r2);
    int base2 = w.byteOffset(r2);
    ByteBuffer buf3 = w.buffer(r3);
    Object mem3 = w.memory(r3);
    int base3 = w.byteOffset(r3);
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, i);
      a0 = VectorLoads.load(SPECIES, mem0, base0 + 4 * i).fma(v, a0);
      a1 = VectorLoads.load(SPECIES, mem1, base1 + 4 * i).fma(v, a1);
      a2 = VectorLoads.load(SPECIES, mem2, base2 + 4 * i).fma(v, a2);
      a3 = VectorLoads.load(SPECIES, mem3, base3 + 4 * i).fma(v, a3);
    }
    FloatVector tab = a0.add(a0.rearrange(SWAP_HALF)).blend(a1.add(a1.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector tcd = a2.add(a2.rearrange(SWAP_HALF)).blend(a3.add(a3.rearrange(SWAP_HALF)), HALF_SET);
    FloatVector t = tab.add(tab.rearrange(SWAP_QUARTER)).blend(tcd.add(tcd.rearrange(SWAP_QUARTER)), QUARTER_SET);
    t = SWAP_EIGHTH == null ? t : t.add(t.rearrange(SWAP_EIGHTH));
    t = SWAP_SIXTEENTH == null ? t : t.add(t.rearrange(SWAP_SIXTEENTH));
    float s0 = t.lane(LANE_A);
    float s1 = t.lane(LANE_B);
    float s2 = t.lane(LANE_C);
    float s3 = t.lane(LANE_D);
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
  private static float dot(ByteBuffer buf, Object mem, int base, float[] x, int cols) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = 0;
    int bound = SPECIES.loopBound(cols);
    for (; i < bound; i += SPECIES.length()) {
      acc = VectorLoads.load(SPECIES, mem, base + 4 * i).fma(FloatVector.fromArray(SPECIES, x, i), acc);
    }
    float s = treeSum(acc);
    for (; i < cols; i++) {
      s += buf.getFloat(base + 4 * i) * x[i];
    }
    return s;
  }

  /** The lanes of {@code v} summed by the tree of the matmul kernels: lane i plus lane i + L/2, and so on. */
  static float treeSum(FloatVector v) {
    v = v.add(v.rearrange(SWAP_HALF));
    v = v.add(v.rearrange(SWAP_QUARTER));
    v = SWAP_EIGHTH == null ? v : v.add(v.rearrange(SWAP_EIGHTH));
    v = SWAP_SIXTEENTH == null ? v : v.add(v.rearrange(SWAP_SIXTEENTH));
    return v.lane(0);
  }

  /**
   * The lanes of {@code v} added one by one from lane 0 onto 0: what JDK 17's C2 and every JDK's
   * interpreter compute for {@code reduceLanes(ADD)}. From JDK 24 C2 compiles that reduction on x86
   * in an order of its own (JDK-8337062: the Vector API leaves the order open), so its bits would
   * depend on whether the caller ran interpreted or compiled at that moment; this sum does not.
   */
  static float orderedSum(FloatVector v) {
    float s = 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3);
    if (LANES == 4) {
      return s;
    }
    s = s + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
    if (LANES == 8) {
      return s;
    }
    return s + v.lane(8) + v.lane(9) + v.lane(10) + v.lane(11) + v.lane(12) + v.lane(13) + v.lane(14) + v.lane(15);
  }

  /** The shuffle that swaps lane i with lane i ^ {@code stride}. */
  private static VectorShuffle<Float> swap(int stride) {
    return VectorShuffle.fromOp(SPECIES, i -> i ^ stride);
  }

  /** The lanes whose index has the bit {@code stride} set. */
  private static VectorMask<Float> bitSet(int stride) {
    boolean[] set = new boolean[LANES];
    for (int i = 0; i < LANES; i++) {
      set[i] = (i & stride) != 0;
    }
    return VectorMask.fromArray(SPECIES, set, 0);
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
    float sum = orderedSum(acc);
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
   *
   * <p>Every sum runs from the first allowed slot on, so a row whose cache starts with {@code k}
   * masked slots (left padding, or its group stacked beside longer prompts) gets the bits it gets
   * with those slots removed: the scores are per slot, the exp's lanes are counted from the first
   * allowed slot, and a masked slot after it adds an exact zero to the values' sums. That is what
   * lets {@code Generator#generateGroups} decode several groups in one batch with each group's
   * results unchanged.
   */
  static void attend(float[] q, int qOff, ByteBuffer keys, ByteBuffer values, int kvBase, int headDim,
      boolean[] allowed, int slots, float[] scores, float[] out, int outOff) {
    attend(q, qOff, keys, VectorLoads.memory(keys), values, VectorLoads.memory(values), kvBase, headDim, allowed, slots,
        scores, out, outOff);
  }

  /**
   * {@link #attend(float[], int, ByteBuffer, ByteBuffer, int, int, boolean[], int, float[], float[], int)}
   * with the buffers' {@link VectorLoads#memory} views made once by the caller, for all heads of a
   * layer. On JDK 22+ a view is a new memory segment, and making two per head cost more than the
   * attention itself: measured on a 2-core Zen 1 (2026-12-04, JDK 25, {@code bench --decode-profile},
   * 0.5B shape, 128-token context), attention took 9.81 ms of a batch-1 step and 38.45 ms of a batch-8
   * one with a view per head, 2.12 and 8.79 ms with one per layer; unprofiled, {@code bench
   * --decode-only} gained 5% at batch 1 and 3.5% at batch 8.
   */
  static void attend(float[] q, int qOff, ByteBuffer keys, Object keysMem, ByteBuffer values, Object valuesMem,
      int kvBase, int headDim, boolean[] allowed, int slots, float[] scores, float[] out, int outOff) {
    if (headDim >= 2 && headDim < LANES && LANES % headDim == 0) {
      attendNarrow(q, qOff, keys, keysMem, values, valuesMem, kvBase, headDim, allowed, slots, scores, out, outOff);
      return;
    }
    float max = Float.NEGATIVE_INFINITY;
    int bound = SPECIES.loopBound(headDim);
    int first = -1;
    for (int s = 0; s < slots; s++) {
      if (!allowed[s]) {
        continue;
      }
      first = first < 0 ? s : first;
      int at = kvBase + 4 * s * headDim;
      int i = 0;
      float score = 0f;
      if (bound > 0) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (; i < bound; i += SPECIES.length()) {
          acc = VectorLoads.load(SPECIES, keysMem, at + 4 * i)
              .fma(FloatVector.fromArray(SPECIES, q, qOff + i), acc);
        }
        score = orderedSum(acc);
      }
      for (; i < headDim; i++) {
        score += keys.getFloat(at + 4 * i) * q[qOff + i];
      }
      scores[s] = score;
      max = Math.max(max, score);
    }
    java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
    if (first < 0) {
      return; // nothing to attend to: zeros, as a sum over no slots
    }
    // everything from here on starts at the first allowed slot: see attendFrom's note on the masked prefix
    float total = exponentiate(scores, allowed, first, slots, max);
    float inv = 1f / total;
    for (int s = first; s < slots; s++) {
      scores[s] *= inv; // masked slots hold 0
    }
    // one vector of the head at a time over all slots, its sum kept in a register; a masked slot adds
    // 0 times the first allowed slot's values (finite), so no branch and no masked slot is read
    int d = 0;
    for (; d + 2 * LANES <= bound; d += 2 * LANES) {
      FloatVector o0 = FloatVector.zero(SPECIES);
      FloatVector o1 = FloatVector.zero(SPECIES);
      for (int s = first; s < slots; s++) {
        int at = kvBase + 4 * ((allowed[s] ? s : first) * headDim + d);
        FloatVector p = FloatVector.broadcast(SPECIES, scores[s]);
        o0 = VectorLoads.load(SPECIES, valuesMem, at).fma(p, o0);
        o1 = VectorLoads.load(SPECIES, valuesMem, at + 4 * LANES).fma(p, o1);
      }
      o0.intoArray(out, outOff + d);
      o1.intoArray(out, outOff + d + LANES);
    }
    for (; d < bound; d += LANES) {
      FloatVector o = FloatVector.zero(SPECIES);
      for (int s = first; s < slots; s++) {
        int at = kvBase + 4 * (allowed[s] ? s : first) * headDim;
        o = VectorLoads.load(SPECIES, valuesMem, at + 4 * d).fma(FloatVector.broadcast(SPECIES, scores[s]), o);
      }
      o.intoArray(out, outOff + d);
    }
    for (int s = first; s < slots; s++) {
      if (allowed[s]) {
        int at = kvBase + 4 * s * headDim;
        for (int i = bound; i < headDim; i++) {
          out[outOff + i] += scores[s] * values.getFloat(at + 4 * i);
        }
      }
    }
  }

  /**
   * {@link #attend} for a head of {@code headDim} floats that divides a vector (stories260K's heads are
   * eight wide): a vector covers {@code LANES / headDim} consecutive cache slots, whose keys and values
   * are adjacent in the cache. A group of slots goes through vectors when every slot in it is allowed,
   * a slot of a partly masked or incomplete group through scalar code, so masked slots are never read.
   * Scores: the keys times the query repeated per slot, each slot's lanes summed in order. Values: each
   * slot's weight spread over its lanes by a shuffle, summed per lane over the groups, then over a
   * vector's slots onto the scalar slots' sum.
   *
   * <p>No vector value crosses a branch or a loop iteration here: where one did (a vector chosen by
   * {@code headDim ? :}, an accumulator updated in one arm of an if), C2 boxed it, and the compiled
   * method allocated ~7 GB in a stories260K decode benchmark. The accumulator lives in an array instead.
   */
  private static void attendNarrow(float[] q, int qOff, ByteBuffer keys, Object keysMem, ByteBuffer values,
      Object valuesMem, int kvBase, int headDim, boolean[] allowed, int slots, float[] scores, float[] out, int outOff) {
    int perVector = LANES / headDim;
    float[] lanes = new float[LANES];
    for (int j = 0; j < LANES; j++) {
      lanes[j] = q[qOff + j % headDim];
    }
    FloatVector repeated = FloatVector.fromArray(SPECIES, lanes, 0);
    float max = Float.NEGATIVE_INFINITY;
    int first = 0;
    while (first < slots && !allowed[first]) {
      first++;
    }
    // groups of slots are counted from the first allowed one (see attend)
    for (int s0 = first; s0 < slots; s0 += perVector) {
      boolean whole = wholeGroup(allowed, s0, perVector, slots);
      if (whole) {
        VectorLoads.load(SPECIES, keysMem, kvBase + 4 * s0 * headDim).mul(repeated).intoArray(lanes, 0);
      }
      for (int s = s0; s < Math.min(slots, s0 + perVector); s++) {
        if (allowed[s]) {
          int at = kvBase + 4 * s * headDim;
          int lane = (s - s0) * headDim;
          float score = 0f;
          for (int i = 0; i < headDim; i++) {
            score += whole ? lanes[lane + i] : keys.getFloat(at + 4 * i) * q[qOff + i]; // the same products
          }
          scores[s] = score;
          max = Math.max(max, score);
        }
      }
    }
    float total = exponentiate(scores, allowed, first, slots, max);
    float inv = 1f / total;
    float[] weights = new float[slots + LANES]; // a whole vector from any group's first slot
    for (int s = first; s < slots; s++) {
      weights[s] = allowed[s] ? scores[s] * inv : 0f;
    }
    float[] partial = new float[LANES];
    java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
    for (int s0 = first; s0 < slots; s0 += perVector) {
      if (wholeGroup(allowed, s0, perVector, slots)) {
        FloatVector v = VectorLoads.load(SPECIES, valuesMem, kvBase + 4 * s0 * headDim);
        FloatVector w = FloatVector.fromArray(SPECIES, weights, s0);
        FloatVector sum = FloatVector.fromArray(SPECIES, partial, 0);
        if (headDim == 2) {
          v.fma(w.rearrange(SPREAD_2), sum).intoArray(partial, 0);
        } else if (headDim == 4) {
          v.fma(w.rearrange(SPREAD_4), sum).intoArray(partial, 0);
        } else {
          v.fma(w.rearrange(SPREAD_8), sum).intoArray(partial, 0);
        }
      } else {
        for (int s = s0; s < Math.min(slots, s0 + perVector); s++) {
          if (allowed[s]) {
            float p = weights[s];
            int at = kvBase + 4 * s * headDim;
            for (int i = 0; i < headDim; i++) {
              out[outOff + i] += p * values.getFloat(at + 4 * i);
            }
          }
        }
      }
    }
    for (int j = 0; j < perVector; j++) {
      for (int i = 0; i < headDim; i++) {
        out[outOff + i] += partial[j * headDim + i];
      }
    }
  }

  /**
   * {@code scores[s] = exp(scores[s] - max)} for the allowed slots of {@code from <= s < slots} and 0
   * for the others, in place; returns their sum. The vectors' masked lanes may have read anything (a
   * stale score, NaN): the blend drops them. The lanes are counted from {@code from}, so the sum's
   * order does not depend on how many slots come before it (see {@link #attend}).
   *
   * <p>{@link #attend} inlines this, and C2 stops inlining a method once its graph is large
   * (NodeCountInliningCutoff). With {@link #treeSum} here and a final blend in the exp, attend's graph
   * ran out before its value loop, whose vector loads then became calls that box: 57,600 bytes a call
   * and 72 ns a cache slot instead of 21 (64-wide heads, 2026-12-03). So the sum is one {@link
   * #orderedSum} (a {@code reduceLanes} until 2026-12-04, whose order C2 changes from JDK 24);
   * DecodeKernelsTest checks that compiled attention boxes no vectors.
   */
  static float exponentiate(float[] scores, boolean[] allowed, int from, int slots, float max) {
    FloatVector sum = FloatVector.zero(SPECIES);
    int s = from;
    int bound = from + SPECIES.loopBound(slots - from);
    for (; s < bound; s += LANES) {
      FloatVector x = FloatVector.fromArray(SPECIES, scores, s).sub(max);
      // exp(x), as expNonPositive(float) computes it, written out: see the note above it
      FloatVector clamped = x.max(EXP_LOW);
      FloatVector t = clamped.fma(LOG2_E, ROUNDER);
      FloatVector n = t.sub(ROUNDER);
      FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HIGH), clamped);
      r = n.fma(FloatVector.broadcast(SPECIES, -LN2_LOW), r);
      FloatVector p = r.fma(1f / 5040, 1f / 720);
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 120));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 24));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 6));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 0.5f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
      FloatVector e = p.mul(t.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23)
          .reinterpretAsFloats());
      e = FloatVector.zero(SPECIES).blend(e, VectorMask.fromArray(SPECIES, allowed, s));
      e.intoArray(scores, s);
      sum = sum.add(e);
    }
    float total = orderedSum(sum);
    for (; s < slots; s++) {
      float e = allowed[s] ? expNonPositive(scores[s] - max) : 0f;
      scores[s] = e;
      total += e;
    }
    return total;
  }

  /*
   * exp(x) for x <= 0 (softmax's exp(score - max), SiLU's exp(-|x|)), in vectors. Math.exp is scalar:
   * 5-7 ns a value on a 2-core Zen 4 (2026-12-03), a fifth of attention's time per cache slot and
   * 6-14 ms of a batch-8 step's SiLU on the Qwen2.5-0.5B shape (934,000 values, one thread).
   * FloatVector's lanewise EXP is fast only where the JDK has vector math stubs for the platform (x86)
   * and elsewhere falls back to Java code lane by lane. This is plain Vector API arithmetic, the same
   * on every platform: x = n ln 2 + r with n = round(x / ln 2) and |r| <= ln 2 / 2, exp(r) by its
   * Taylor series to r^7 (truncation below 1e-8, relative), times 2^n built in the exponent bits.
   * Within 2 ulp of Math.exp over [-87, 0] (DecodeKernelsTest), exactly 1 at 0, NaN for NaN. Below
   * EXP_LOW it returns exp(EXP_LOW), 1.6e-38, for the smaller exact value: an absolute error under
   * 2e-38, which neither a softmax (its largest term is 1) nor a sigmoid can show. The scalar twin
   * computes the same operations, so a tail gives the lanes' bits.
   *
   * The vector code is written out in exponentiate and siluGate rather than called: a helper that takes
   * and returns vectors is inlined only while it has no large compiled body of its own. Once called
   * often enough from code that did not inline it (C1's code of its callers, a test), C2 compiles it
   * alone with boxed arguments, and the kernels compiled after that call it and box every vector:
   * attend then allocated 3,552 bytes a call for good in one test JVM. DecodeKernelsTest checks that
   * both copies give the scalar twin's bits. Measured (docs/results.md, 2026-12-03 evening): the
   * batch-8 step's SiLU values in 0.59-1.05 ms instead of 6.3-14.0 ms on one thread, about 6 ms of
   * a 150-170 ms step on two; with this exp alone, attention took 21.0-22.2 ns a cache slot instead
   * of 25.4-26.8 (64-wide heads) and 11.9-12.6 instead of 15.6-22.6 (8-wide).
   */
  /** The least argument exp takes (lower ones are raised to it): 2^n stays a normal float down to here. */
  private static final float EXP_LOW = -87f;
  private static final float LOG2_E = 1.44269504088896341f;
  /** ln 2 in two parts, so that n ln 2 is subtracted without losing r's low bits. */
  private static final float LN2_HIGH = 0.6931472f;
  private static final float LN2_LOW = (float) (Math.log(2.0) - 0.6931472f);
  /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer in the low mantissa bits. */
  private static final float ROUNDER = 12582912f;
  private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

  /** {@code exp(x)} for {@code x <= 0}, as the vector code of the kernels computes it in every lane (see above). */
  static float expNonPositive(float x) {
    float clamped = Math.max(x, EXP_LOW);
    float t = Math.fma(clamped, LOG2_E, ROUNDER);
    float n = t - ROUNDER;
    float r = Math.fma(n, -LN2_HIGH, clamped);
    r = Math.fma(n, -LN2_LOW, r);
    float p = Math.fma(r, 1f / 5040, 1f / 720);
    p = Math.fma(p, r, 1f / 120);
    p = Math.fma(p, r, 1f / 24);
    p = Math.fma(p, r, 1f / 6);
    p = Math.fma(p, r, 0.5f);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f);
    float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUNDER_BITS - 127)) << 23);
    return p * scale;
  }

  /**
   * {@code gate[j] = silu(gate[j]) * up[j]} for {@code from <= j < to}, with {@code silu(g) = g * sigmoid(g)}
   * and the sigmoid from {@code e = exp(-|g|)}: {@code 1 / (1 + e)} for {@code g >= 0}, {@code e / (1 + e)}
   * below, so exp never overflows.
   */
  static void siluGate(float[] gate, float[] up, int from, int to) {
    int j = from;
    for (; j + LANES <= to; j += LANES) {
      FloatVector g = FloatVector.fromArray(SPECIES, gate, j);
      // exp(-|g|), as expNonPositive(float) computes it, written out: see the note above it
      FloatVector clamped = g.abs().neg().max(EXP_LOW);
      FloatVector t = clamped.fma(LOG2_E, ROUNDER);
      FloatVector n = t.sub(ROUNDER);
      FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HIGH), clamped);
      r = n.fma(FloatVector.broadcast(SPECIES, -LN2_LOW), r);
      FloatVector p = r.fma(1f / 5040, 1f / 720);
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 120));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 24));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 6));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 0.5f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
      FloatVector e = p.mul(t.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23)
          .reinterpretAsFloats());
      FloatVector sigmoid = FloatVector.broadcast(SPECIES, 1f).blend(e, g.lt(0f)).div(e.add(1f));
      sigmoid.mul(g).mul(FloatVector.fromArray(SPECIES, up, j)).intoArray(gate, j);
    }
    for (; j < to; j++) {
      float g = gate[j];
      float e = expNonPositive(-Math.abs(g));
      float sigmoid = (g < 0f ? e : 1f) / (e + 1f);
      gate[j] = sigmoid * g * up[j];
    }
  }

  /** Whether slots {@code s0 .. s0 + count} all exist and are allowed. */
  private static boolean wholeGroup(boolean[] allowed, int s0, int count, int slots) {
    if (s0 + count > slots) {
      return false;
    }
    for (int s = s0; s < s0 + count; s++) {
      if (!allowed[s]) {
        return false;
      }
    }
    return true;
  }

  /*
   * Compiling the kernels ahead. A kernel runs in C1's code until C2 has compiled it, and C1 does not
   * turn Vector API calls into vector instructions: each vector is an object, and a matmul there is
   * 20-60x slower. The first steps at batch >= 4 are the first calls of a batch tile; they also deoptimize
   * the decode step, whose C2 compiles take 1-1.5 s each on a 2-core machine, and the one C2 thread
   * such a machine has serves them in turn. Measured (2026-12-03, 2-core Zen 3, `bench --decode-profile`
   * on stories260K, before tile1x8): tile4x4 waited 2.65 s in the queue behind two compiles of the step (1.5 s and
   * 1.1 s), and in 4 of 14 runs batch 8 ran at 270-600 tokens/s instead of ~4,000 for the whole
   * measurement (on a 0.5B model, Zen 4: 7 tokens/s instead of 42).
   * So the first decoder of a JVM runs every kernel on scratch data, with batches of 1, 5 and 8 and
   * with and without bias, until they run at compiled speed: C2 then compiles them before any step
   * needs them, with profiles that have seen every path.
   */
  /** Rounds of scratch work whose time tells when the kernels run compiled. */
  private static final int AHEAD_EARLY_ROUNDS = 8;
  /** How much faster than the early rounds (C1 and the interpreter) a round must be to count as compiled. */
  static final int AHEAD_SPEED_UP = 16;
  /** Rounds that run on after the first compiled-speed round, for the kernels compiled last. */
  static final int AHEAD_ROUNDS_AFTER = 20;
  /** The most time compiling ahead takes, compiled or not (a JVM without C2, or a very busy machine). */
  private static final long AHEAD_MAX_NANOS = 3_000_000_000L;
  private static volatile boolean compiledAhead;

  /**
   * Runs every kernel on scratch data until the rounds run at compiled speed ({@link #looksCompiled}),
   * at most a few seconds; once per JVM, the later calls return at once. Touches nothing but its own
   * scratch buffers.
   *
   * @return the nanoseconds it took (0 when it had already run)
   */
  static long compileAhead() {
    if (compiledAhead) {
      return 0;
    }
    synchronized (DecodeKernels.class) {
      if (compiledAhead) {
        return 0;
      }
      long start = System.nanoTime();
      aheadRounds(start);
      compiledAhead = true;
      return System.nanoTime() - start;
    }
  }

  private static void aheadRounds(long start) {
    int cols = 16 * LANES + 3; // three columns past the last whole vector: the scalar tails run too
    int rows = 4 * 8 + 3; // quarters of eight rows, and three left to the single-row path
    Weights w = Weights.over(scratch(rows * cols), rows, cols);
    float[] bias = new float[rows];
    int headDim = 2 * SPECIES.length() + 1;
    int narrowHead = Math.max(2, LANES / 2); // attendNarrow's path
    int slots = 24;
    ByteBuffer keys = scratch(slots * headDim);
    ByteBuffer values = scratch(slots * headDim);
    boolean[] allowed = new boolean[slots];
    for (int s = 0; s < slots; s++) {
      allowed[s] = s % 5 != 3;
    }
    float[] scores = new float[slots];
    int[] batches = {1, 5, 8};
    float[][][] xs = new float[batches.length][][];
    float[][][] outs = new float[batches.length][][];
    for (int i = 0; i < batches.length; i++) {
      xs[i] = new float[batches[i]][cols];
      outs[i] = new float[batches[i]][rows];
      for (float[] row : xs[i]) {
        for (int c = 0; c < cols; c++) {
          row[c] = (float) Math.sin(c);
        }
      }
    }
    float[] q = new float[headDim];
    float[] attended = new float[headDim];
    float[] ones = new float[cols];
    java.util.Arrays.fill(ones, 1f);
    float[] normed = new float[cols];
    // every tiling that some width of rows gets here (AVX2: 2x4 for narrow rows, 1x8 for wide ones)
    BatchTile[] tilings = java.util.stream.Stream.of(batchTiling(1), batchTiling(PAIR_IN_L1_COLS + 1)).distinct()
        .toArray(BatchTile[]::new);
    Runnable matmuls = () -> {
      for (int it = 0; it < 10; it++) {
        for (int i = 0; i < batches.length; i++) {
          matmul(xs[i], w, (it & 1) == 0 ? null : bias, outs[i], 0, rows, tilings[(it >> 1) % tilings.length]);
        }
      }
    };
    long[] rounds = new long[4096];
    int n = 0;
    while (n < rounds.length && !looksCompiled(rounds, n) && System.nanoTime() - start < AHEAD_MAX_NANOS) {
      long t0 = System.nanoTime();
      matmuls.run();
      for (int it = 0; it < 10; it++) {
        for (int i = 0; i < batches.length; i++) {
          rmsNorm(xs[i][0], 0, cols, ones, 1e-6f, normed);
        }
        attend(q, 0, keys, values, 0, headDim, allowed, slots, scores, attended, 0);
        attend(q, 0, keys, values, 0, narrowHead, allowed, slots, scores, attended, 0);
      }
      rounds[n++] = System.nanoTime() - t0;
    }
    // a kernel still in C1 allocates too, until C2's code is installed: boxing is what does not stop
    if (looksCompiled(rounds, n) && boxedWarning(matmuls, AHEAD_ALLOCATION_ROUNDS, AHEAD_MAX_NANOS) != null) {
      // still allocating: boxed, or a tile still waiting for C2 behind a busy machine's compile queue
      // (seen once in five bench --json runs on a 2-core Zen 1, whose decoding then ran at full speed)
      pendingSince = System.nanoTime();
      pendingRound = matmuls;
    }
  }

  /** compileAhead's round of matmuls when its last check still allocated, until {@link #recheckBoxing}; else null. */
  private static volatile Runnable pendingRound;
  private static volatile long pendingSince;
  /** How long after compileAhead a doubtful check is repeated: C2's queue has drained by then. */
  static final long RECHECK_AFTER_NANOS = 10_000_000_000L;

  /**
   * Repeats compileAhead's doubtful allocation check once, {@link #RECHECK_AFTER_NANOS} after it,
   * and prints {@link #boxedWarning} if the matmuls still allocate; a volatile read otherwise. Called
   * by every decode step, so the warning comes while the JVM decodes, and only for boxing that lasts.
   */
  static void recheckBoxing() {
    if (pendingRound == null || System.nanoTime() - pendingSince < RECHECK_AFTER_NANOS) return;
    Runnable round;
    synchronized (DecodeKernels.class) {
      round = pendingRound;
      pendingRound = null;
    }
    if (round != null) {
      String warning = boxedWarning(round, AHEAD_ALLOCATION_ROUNDS, AHEAD_MAX_NANOS);
      if (warning != null) System.err.println(warning);
    }
  }

  /**
   * Runs {@code round} until one run allocates no more than a compiled round may ({@link #boxes}), at
   * most {@code rounds} runs and {@code maxNanos}: the warning line when every run allocated more, null
   * when one did not or allocation is not counted here.
   */
  static String boxedWarning(Runnable round, int rounds, long maxNanos) {
    if (allocatedBytes() < 0) return null;
    long allocated = Long.MAX_VALUE;
    long start = System.nanoTime();
    for (int r = 0; r < rounds && boxes(allocated) && System.nanoTime() - start < maxNanos; r++) {
      long before = allocatedBytes();
      round.run();
      allocated = allocatedBytes() - before;
    }
    return boxes(allocated) ? boxedWarning(allocated) : null;
  }

  /** Rounds of matmuls, at most, in which one must allocate next to nothing before compileAhead warns. */
  static final int AHEAD_ALLOCATION_ROUNDS = 1000;

  /**
   * What the matmuls of a compiled round may allocate: nothing but noise (a few bytes a call measured).
   * Boxed, they allocate megabytes: each vector an object and a {@code float[]}, about 5 MB a round.
   * The matmuls are nearly all of a step, so only they are counted. The norms and attention reach C2
   * later: {@link #rmsNorm} allocated 3 KB a call (C1 boxes every vector) for up to ~9,000 calls after
   * compileAhead returned, {@link #attendNarrow} for up to ~50,000, and then nothing but the latter's
   * three small arrays; counting them would make the line cry wolf.
   */
  static final long AHEAD_ROUND_ALLOCATION_LIMIT = 64 * 1024;

  /** Whether a compiled round of matmuls that allocated {@code bytes} had its vectors boxed. */
  static boolean boxes(long bytes) {
    return bytes > AHEAD_ROUND_ALLOCATION_LIMIT;
  }

  /** The one line printed when the compiled kernels box their vectors. */
  static String boxedWarning(long bytes) {
    return "dro4j: the Java decode kernels allocate " + bytes / 1024 + " KB a round once compiled: the JIT boxed"
        + " vectors in them, which can make decoding in this JVM several times slower. Other code using the Vector"
        + " API with another vector size can cause this (docs/design.md, \"One vector species\");"
        + " DRO4J_DECODE=libtorch avoids the kernels.";
  }

  /** Bytes this thread has allocated so far, or -1 where the JVM does not count them. */
  static long allocatedBytes() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    if (threads instanceof com.sun.management.ThreadMXBean counted && counted.isThreadAllocatedMemorySupported()
        && counted.isThreadAllocatedMemoryEnabled()) {
      return counted.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return -1;
  }

  private static ByteBuffer scratch(int floats) {
    ByteBuffer b = ByteBuffer.allocateDirect(4 * floats).order(java.nio.ByteOrder.nativeOrder());
    for (int i = 0; i < floats; i++) {
      b.putFloat(4 * i, (i % 7) * 0.01f);
    }
    return b;
  }

  /**
   * Whether the round times {@code rounds[0 .. n)} show the kernels compiled: {@link #AHEAD_ROUNDS_AFTER}
   * rounds have passed since the first that took at most 1/{@link #AHEAD_SPEED_UP} of the median of
   * rounds 1-{@value #AHEAD_EARLY_ROUNDS} (round 0 is mostly class loading). Noise does not make a
   * 16-fold change; a tier of the JIT does.
   */
  static boolean looksCompiled(long[] rounds, int n) {
    if (n <= AHEAD_EARLY_ROUNDS) {
      return false;
    }
    long[] early = java.util.Arrays.copyOfRange(rounds, 1, AHEAD_EARLY_ROUNDS + 1);
    java.util.Arrays.sort(early);
    long threshold = early[AHEAD_EARLY_ROUNDS / 2] / AHEAD_SPEED_UP;
    for (int i = AHEAD_EARLY_ROUNDS + 1; i < n; i++) {
      if (rounds[i] <= threshold) {
        return n - i > AHEAD_ROUNDS_AFTER;
      }
    }
    return false;
  }

  /**
   * Sums {@code data[from..to)} with vector loads and returns the sum (so the JIT cannot drop the
   * reads): the streaming-read kernel of the bandwidth measurement, separate from {@link #matmul}. It
   * reads the range's four quarters side by side, four sequential streams as {@link #matmul} walks its
   * rows, because one stream a core reads slower than decoding does: on a 2-core Zen 1 (2026-12-04,
   * 512 MB, two threads) one stream a thread read 19.6-20.8 GB/s, four 23.9-25.9, eight 24.1-24.9.
   * With one stream, batch-1 decoding measured up to 106.8% of that "bound".
   */
  static float streamSum(float[] data, int from, int to) {
    int quarter = (to - from) / 4;
    int q1 = from + quarter;
    int q2 = q1 + quarter;
    int q3 = q2 + quarter;
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    FloatVector a2 = FloatVector.zero(SPECIES);
    FloatVector a3 = FloatVector.zero(SPECIES);
    int bound = SPECIES.loopBound(quarter);
    for (int i = 0; i < bound; i += SPECIES.length()) {
      a0 = a0.add(FloatVector.fromArray(SPECIES, data, from + i));
      a1 = a1.add(FloatVector.fromArray(SPECIES, data, q1 + i));
      a2 = a2.add(FloatVector.fromArray(SPECIES, data, q2 + i));
      a3 = a3.add(FloatVector.fromArray(SPECIES, data, q3 + i));
    }
    float s = orderedSum(a0.add(a1).add(a2.add(a3)));
    for (int i = bound; i < quarter; i++) {
      s += data[from + i] + data[q1 + i] + data[q2 + i] + data[q3 + i];
    }
    for (int i = q3 + quarter; i < to; i++) {
      s += data[i];
    }
    return s;
  }
}
