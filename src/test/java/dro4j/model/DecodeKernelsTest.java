package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DecodeKernels#matmul}: every output is the same sum whichever tile computes it (a batch row
 * alone, in a tile of four, the rows past the last quarter), for any split of the weight rows, and
 * close to the product in double precision.
 */
class DecodeKernelsTest {
  static NDManager manager;

  @BeforeAll
  static void start() {
    org.junit.jupiter.api.Assumptions.assumeTrue(KernelJdks.expected(), "JDK 19-21: no Java decode kernels");
    manager = TensorEngine.newManager();
  }

  @AfterAll
  static void stop() {
    if (manager != null) manager.close();
  }

  /** 14 rows (three quarters of 3 plus 2 rows alone) of 2.3 vectors each (a scalar tail). */
  private static final int ROWS = 14;
  private static final int COLS = 2 * DecodeKernels.SPECIES.length() + 5;

  private static float[] gaussian(Random rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }

  /** {@code batch} input rows of {@link #COLS}. */
  private static float[][] gaussianRows(Random rng, int batch) {
    float[][] x = new float[batch][];
    for (int b = 0; b < batch; b++) {
      x[b] = gaussian(rng, COLS);
    }
    return x;
  }

  /** {@code w} as a [ROWS, COLS] tensor of {@code m}, viewed in place. */
  private static Weights weights(NDManager m, float[] w) {
    NDArray array = m.create(w, new Shape(ROWS, COLS));
    array.setName("w");
    return Weights.of(array, CpuDecoder.MAX_CHUNK_BYTES);
  }

  @Test
  void everyOutputIsTheSameSumWhateverTileComputesItAndCloseToTheExactProduct() {
    Random rng = new Random(3);
    float[] w = gaussian(rng, ROWS * COLS);
    float[] bias = gaussian(rng, ROWS);
    float[][] x = gaussianRows(rng, 9); // two tiles of four batch rows and one alone
    try (NDManager m = manager.newSubManager()) {
      Weights weights = weights(m, w);
      float[][] all = new float[9][ROWS];
      DecodeKernels.matmul(x, weights, bias, all, 0, ROWS);
      // the same rows in two ranges of other quarters, and each batch row alone
      float[][] split = new float[9][ROWS];
      DecodeKernels.matmul(x, weights, bias, split, 0, 5);
      DecodeKernels.matmul(x, weights, bias, split, 5, ROWS);
      for (int b = 0; b < 9; b++) {
        float[][] alone = new float[1][ROWS];
        DecodeKernels.matmul(new float[][] {x[b]}, weights, bias, alone, 0, ROWS);
        assertThat(alone[0]).as("batch row %d alone", b).isEqualTo(all[b]);
        assertThat(split[b]).as("batch row %d, rows split at 5", b).isEqualTo(all[b]);
        for (int r = 0; r < ROWS; r++) {
          double exact = bias[r];
          for (int i = 0; i < COLS; i++) {
            exact += (double) w[r * COLS + i] * x[b][i];
          }
          assertThat((double) all[b][r]).as("row %d, batch row %d", r, b).isCloseTo(exact, within(1e-4));
        }
      }
    }
  }

  @Test
  void pageAlignedRowsMakeEachQuarterOfAChunkWholePages() {
    // 896 columns (0.5B's hidden size): 8 rows are 7 pages, so chunks of 32 rows have whole-page quarters
    assertThat(DecodeKernels.pageAlignedRows(896)).isEqualTo(32);
    assertThat(DecodeKernels.pageAlignedRows(4864)).isEqualTo(16); // 0.5B's down projection: 4 rows are 19 pages
    assertThat(DecodeKernels.pageAlignedRows(1024)).isEqualTo(4);
    assertThat(DecodeKernels.pageAlignedRows(64)).isEqualTo(64); // stories260K
    for (int cols : new int[] {896, 4864, 1024, 64, 3584, 2048}) {
      int rows = DecodeKernels.pageAlignedRows(cols);
      assertThat(4L * cols * (rows / 4) % 4096).as("cols %d", cols).isZero();
    }
    // whole pages would need chunks of 4,096 or 512 rows: the chunks stay unaligned instead
    assertThat(DecodeKernels.pageAlignedRows(897)).isEqualTo(1);
    assertThat(DecodeKernels.pageAlignedRows(1000)).isEqualTo(1);
  }

  @Test
  void everyTilingGivesEveryOutputTheSameBitsAsEachBatchRowAlone() {
    Random rng = new Random(7);
    int batch = 13; // a tile of eight, one of four and a row alone
    float[] w = gaussian(rng, ROWS * COLS);
    float[][] x = gaussianRows(rng, batch);
    try (NDManager m = manager.newSubManager()) {
      Weights weights = weights(m, w);
      for (DecodeKernels.BatchTile tiling : DecodeKernels.BatchTile.values()) {
        float[][] all = new float[batch][ROWS];
        DecodeKernels.matmul(x, weights, null, all, 0, ROWS, tiling);
        for (int b = 0; b < batch; b++) {
          float[][] alone = new float[1][ROWS];
          DecodeKernels.matmul(new float[][] {x[b]}, weights, null, alone, 0, ROWS, tiling);
          assertThat(all[b]).as("%s, batch row %d", tiling, b).isEqualTo(alone[0]);
        }
      }
    }
  }

  @Test
  void treeSumAddsLaneIAndLaneIPlusHalfLevelByLevel() {
    int lanes = DecodeKernels.SPECIES.length();
    float[] v = new float[lanes];
    Random rng = new Random(5);
    for (int i = 0; i < lanes; i++) {
      v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8) - 4)); // magnitudes that expose the order
    }
    float[] level = v.clone();
    for (int half = lanes / 2; half >= 1; half /= 2) {
      for (int i = 0; i < half; i++) {
        level[i] = level[i] + level[i + half];
      }
    }
    assertThat(DecodeKernels.treeSum(FloatVector.fromArray(DecodeKernels.SPECIES, v, 0))).isEqualTo(level[0]);
  }

  /**
   * Attention of one query over a cache row: the softmax-weighted values in double precision, for heads
   * wider than a vector, as wide, and narrower (several slots a vector), with masked slots (NaN in the
   * cache, so reading one would show) inside and at the ends of the slot groups, an incomplete last group,
   * and the head at an offset in the cache and in the query.
   */
  @Test
  void attentionIsTheSoftmaxWeightedValuesAndNeverReadsAMaskedSlot() {
    int lanes = DecodeKernels.SPECIES.length();
    attentionMatchesDoublePrecision(13, lanes);
    attentionMatchesDoublePrecision(3 * lanes + 5, lanes); // the softmax's vectors and its scalar tail
  }

  /** The bandwidth kernel's four streams cover every element of a ragged range once (small integers: exact sums). */
  @Test
  void streamSumAddsEveryElementOfTheRangeOnce() {
    float[] data = new float[5000];
    for (int i = 0; i < data.length; i++) {
      data[i] = i % 7;
    }
    for (int[] range : new int[][] {{0, 5000}, {3, 3 + 4 * 17 + 5}, {11, 14}, {0, 0}, {1, 4 * DecodeKernels.SPECIES.length() + 1}}) {
      long expected = 0;
      for (int i = range[0]; i < range[1]; i++) {
        expected += i % 7;
      }
      assertThat(DecodeKernels.streamSum(data, range[0], range[1])).as("[%d, %d)", range[0], range[1])
          .isEqualTo((float) expected);
    }
  }

  /**
   * The norms' and attention's lane sums add lane by lane from lane 0, in every compile state: on
   * lanes where the order shows (a large value cancelled later, small ones between) the result is
   * the sequential sum, not a tree's. JDK 24+'s compiled {@code reduceLanes(ADD)} sums in another
   * order, so it fails this once compiled (JDK 25: at round 71,395), and attention's bits then changed
   * when C2 compiled it.
   */
  @Test
  void laneSumsAddInLaneOrderOnceCompiled() {
    int lanes = DecodeKernels.SPECIES.length();
    float[] values = new float[lanes];
    values[0] = 1e8f;
    values[lanes / 2] = -1e8f;
    for (int i = 1; i < lanes; i++) {
      values[i] = i == lanes / 2 ? values[i] : 3f; // lost in 1e8 one by one, kept in a tree
    }
    float sequential = 0f;
    for (float v : values) {
      sequential += v;
    }
    FloatVector vector = FloatVector.fromArray(DecodeKernels.SPECIES, values, 0);
    float tree = DecodeKernels.treeSum(vector);
    assertThat(tree).as("the values show the order").isNotEqualTo(sequential);
    for (int round = 0; round < 200_000; round++) { // long enough for C2 to compile it
      float sum = DecodeKernels.orderedSum(FloatVector.fromArray(DecodeKernels.SPECIES, values, 0));
      if (Float.floatToRawIntBits(sum) != Float.floatToRawIntBits(sequential)) {
        assertThat(sum).as("round %d", round).isEqualTo(sequential);
      }
    }
  }

  /**
   * A row whose cache starts with masked slots (left padding, or its group stacked beside longer
   * prompts) gets the same bits as the same row without them, for every prefix length and head width:
   * what lets several groups share a decode batch with each group's results unchanged.
   */
  @Test
  void aMaskedPrefixLeavesAttentionsBitsUnchanged() {
    int lanes = DecodeKernels.SPECIES.length();
    Random rng = new Random(23);
    for (int headDim : java.util.stream.IntStream.of(2, lanes / 2, lanes, 4 * lanes, 2 * lanes + 3)
        .filter(d -> d >= 2).distinct().toArray()) {
      int slots = 3 * lanes + 7;
      float[][] k = new float[slots][];
      float[][] v = new float[slots][];
      boolean[] allowed = new boolean[slots];
      for (int s = 0; s < slots; s++) {
        k[s] = gaussian(rng, headDim);
        v[s] = gaussian(rng, headDim);
        allowed[s] = s != 4 && s != slots - 3; // holes after the prefix too
      }
      float[] q = gaussian(rng, headDim);
      float[] alone = attendWithPrefix(q, k, v, allowed, 0);
      for (int prefix = 1; prefix <= lanes + 3; prefix++) {
        float[] padded = attendWithPrefix(q, k, v, allowed, prefix);
        for (int i = 0; i < headDim; i++) {
          assertThat(Float.floatToRawIntBits(padded[i])).as("head %d, prefix %d, lane %d", headDim, prefix, i)
              .isEqualTo(Float.floatToRawIntBits(alone[i]));
        }
      }
    }
  }

  /** {@link DecodeKernels#attend} over {@code prefix} masked slots (NaN in the cache) followed by the given ones. */
  private static float[] attendWithPrefix(float[] q, float[][] k, float[][] v, boolean[] allowed, int prefix) {
    int headDim = q.length;
    int slots = prefix + k.length;
    java.nio.ByteBuffer keys = java.nio.ByteBuffer.allocateDirect(4 * slots * headDim).order(java.nio.ByteOrder.nativeOrder());
    java.nio.ByteBuffer values = java.nio.ByteBuffer.allocateDirect(4 * slots * headDim).order(java.nio.ByteOrder.nativeOrder());
    boolean[] mask = new boolean[slots];
    for (int s = 0; s < slots; s++) {
      int t = s - prefix;
      mask[s] = t >= 0 && allowed[t];
      for (int i = 0; i < headDim; i++) {
        keys.putFloat(4 * (s * headDim + i), t < 0 ? Float.NaN : k[t][i]);
        values.putFloat(4 * (s * headDim + i), t < 0 ? Float.NaN : v[t][i]);
      }
    }
    float[] scores = new float[slots];
    java.util.Arrays.fill(scores, Float.NaN); // stale scratch
    float[] out = new float[headDim];
    DecodeKernels.attend(q, 0, keys, values, 0, headDim, mask, slots, scores, out, 0);
    return out;
  }

  /** A query with no slot to attend to (all masked, NaN in the cache) gets zeros, a sum over no slots. */
  @Test
  void attentionOverOnlyMaskedSlotsIsZero() {
    int lanes = DecodeKernels.SPECIES.length();
    for (int headDim : new int[] {lanes / 2, 2 * lanes + 3}) {
      int slots = 2 * lanes + 1;
      java.nio.ByteBuffer nan = java.nio.ByteBuffer.allocateDirect(4 * slots * headDim).order(java.nio.ByteOrder.nativeOrder());
      for (int i = 0; i < slots * headDim; i++) {
        nan.putFloat(4 * i, Float.NaN);
      }
      float[] out = new float[headDim];
      java.util.Arrays.fill(out, 7f);
      DecodeKernels.attend(new float[headDim], 0, nan, nan, 0, headDim, new boolean[slots], slots, new float[slots], out, 0);
      assertThat(out).as("head %d", headDim).containsOnly(0f);
    }
  }

  private static void attentionMatchesDoublePrecision(int slots, int lanes) {
    boolean[] allowed = new boolean[slots];
    for (int s = 0; s < slots; s++) {
      allowed[s] = s != 0 && s != 5 && s != 10 && s != slots - 2;
    }
    Random rng = new Random(11);
    for (int headDim : java.util.stream.IntStream.of(1, 2, lanes / 4, lanes / 2, lanes, 2 * lanes + 3)
        .filter(d -> d >= 1).distinct().toArray()) {
      int heads = 2; // the query reads the second head's slots
      java.nio.ByteBuffer keys = java.nio.ByteBuffer.allocateDirect(4 * heads * slots * headDim)
          .order(java.nio.ByteOrder.nativeOrder());
      java.nio.ByteBuffer values = java.nio.ByteBuffer.allocateDirect(4 * heads * slots * headDim)
          .order(java.nio.ByteOrder.nativeOrder());
      int kvBase = 4 * slots * headDim;
      float[][] k = new float[slots][];
      float[][] v = new float[slots][];
      for (int s = 0; s < slots; s++) {
        k[s] = gaussian(rng, headDim);
        v[s] = gaussian(rng, headDim);
        for (int i = 0; i < headDim; i++) {
          keys.putFloat(kvBase + 4 * (s * headDim + i), allowed[s] ? k[s][i] : Float.NaN);
          values.putFloat(kvBase + 4 * (s * headDim + i), allowed[s] ? v[s][i] : Float.NaN);
        }
      }
      int qOff = headDim;
      float[] q = new float[2 * headDim];
      for (int i = 0; i < headDim; i++) {
        q[qOff + i] = (float) (rng.nextGaussian() / Math.sqrt(headDim));
      }
      double[] score = new double[slots];
      double max = Double.NEGATIVE_INFINITY;
      for (int s = 0; s < slots; s++) {
        for (int i = 0; i < headDim && allowed[s]; i++) {
          score[s] += (double) k[s][i] * q[qOff + i];
        }
        max = allowed[s] ? Math.max(max, score[s]) : max;
      }
      double total = 0;
      for (int s = 0; s < slots; s++) {
        total += allowed[s] ? Math.exp(score[s] - max) : 0;
      }
      float[] out = new float[3 * headDim];
      java.util.Arrays.fill(out, 7f); // overwritten in the head's range only
      float[] scores = new float[slots];
      java.util.Arrays.fill(scores, Float.NaN); // a masked slot's score is never written: stale values must not leak
      DecodeKernels.attend(q, qOff, keys, values, kvBase, headDim, allowed, slots, scores, out, headDim);
      for (int i = 0; i < headDim; i++) {
        double expected = 0;
        for (int s = 0; s < slots; s++) {
          expected += allowed[s] ? Math.exp(score[s] - max) / total * v[s][i] : 0;
        }
        assertThat((double) out[headDim + i]).as("head %d, lane %d", headDim, i).isCloseTo(expected, within(1e-5));
        assertThat(out[i]).isEqualTo(7f);
        assertThat(out[2 * headDim + i]).isEqualTo(7f);
      }
    }
  }

  /**
   * The vector exp of softmax and SiLU: within 1 ulp of {@code Math.exp} over [-87, 0] (2 allowed), 1 at
   * 0, NaN for NaN, and at most exp(-87) below -87. The scalar twin gives the lanes of both vector
   * copies (softmax's and SiLU's) bit for bit.
   */
  @Test
  void expOfNonPositiveValuesIsWithinTwoUlpOfMathExpAndTheScalarTwinMatchesTheLanes() {
    int lanes = DecodeKernels.SPECIES.length();
    Random rng = new Random(17);
    float[] x = new float[lanes * 4096];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 3 == 0 ? (float) (-87 * rng.nextDouble()) : (float) -Math.pow(10, -8 + 9.9 * rng.nextDouble());
    }
    x[0] = 0f;
    x[1] = -0f;
    x[2] = -87f;
    float[] got = x.clone();
    boolean[] allowed = new boolean[x.length];
    java.util.Arrays.fill(allowed, true);
    DecodeKernels.exponentiate(got, allowed, 0, x.length, 0f); // exp(x - 0) in vectors
    float[] gated = new float[x.length];
    float[] ones = new float[x.length];
    java.util.Arrays.fill(ones, 1f);
    for (int i = 0; i < x.length; i++) {
      gated[i] = -x[i]; // silu(g) = g / (1 + exp(-g)) for g >= 0: the exp of SiLU's written-out copy
    }
    DecodeKernels.siluGate(gated, ones, 0, x.length);
    for (int i = 0; i < x.length; i++) {
      float expected = (float) Math.exp(x[i]);
      assertThat((double) got[i]).as("exp(%s)", x[i]).isCloseTo(expected, within(2.0 * Math.ulp(expected)));
      assertThat(Float.floatToRawIntBits(DecodeKernels.expNonPositive(x[i]))).as("scalar exp(%s)", x[i])
          .isEqualTo(Float.floatToRawIntBits(got[i]));
      float g = -x[i];
      assertThat(Float.floatToRawIntBits(gated[i])).as("silu(%s)", g)
          .isEqualTo(Float.floatToRawIntBits(1f / (DecodeKernels.expNonPositive(x[i]) + 1f) * g * 1f));
    }
    assertThat(got[0]).isEqualTo(1f);
    assertThat(got[1]).isEqualTo(1f);
    assertThat(DecodeKernels.expNonPositive(Float.NaN)).isNaN();
    for (float below : new float[] {-87.5f, -100f, -1e30f, Float.NEGATIVE_INFINITY}) {
      assertThat(DecodeKernels.expNonPositive(below)).isBetween(0f, (float) Math.exp(-87.0) * 1.0001f);
    }
  }

  /**
   * {@code silu(gate) * up} against double precision, for gates far below and above 0; values in a
   * vector and in the scalar tail give the same bits.
   */
  @Test
  void siluGateIsTheGatedSiluInEveryLaneAndInTheTail() {
    int lanes = DecodeKernels.SPECIES.length();
    Random rng = new Random(23);
    int n = 5 * lanes + 3;
    float[] gate = new float[n];
    float[] up = new float[n];
    for (int i = 0; i < n; i++) {
      gate[i] = (float) (rng.nextGaussian() * (i % 4 == 0 ? 40 : 3));
      up[i] = (float) rng.nextGaussian();
    }
    gate[0] = 0f;
    gate[1] = -120f;
    gate[2] = 120f;
    float[] vectors = gate.clone();
    DecodeKernels.siluGate(vectors, up, 0, n);
    float[] shifted = gate.clone();
    DecodeKernels.siluGate(shifted, up, 1, n); // every value moves between a vector and the tail
    for (int i = 0; i < n; i++) {
      double g = gate[i];
      double expected = g / (1 + Math.exp(-g)) * up[i];
      assertThat((double) vectors[i]).as("silu(%s) * %s", gate[i], up[i])
          .isCloseTo(expected, within(1e-6 * Math.abs(expected) + 1e-30));
      if (i > 0) {
        assertThat(Float.floatToRawIntBits(shifted[i])).isEqualTo(Float.floatToRawIntBits(vectors[i]));
      }
    }
    assertThat(shifted[0]).isEqualTo(gate[0]);
  }

  /**
   * Compiled attention over 64-wide heads boxes no vectors. C2 stops inlining once a method's graph is
   * large, and a vector op left as a call boxes its vectors: attend with a larger softmax allocated
   * 57,600 bytes a call and ran 3x slower, and with the exp as a separately compiled helper 3,552.
   * This catches vector code added to attend past that budget. On JDK 25 a compiled call allocates 64
   * bytes all the same (likely its two memory-segment views of the cache buffers), so the bound is
   * 1 KB, not 0. C2 compiles attend after some thousands of calls, so
   * the calls go on until a round of them is under the bound, for at most 20 s.
   */
  @Test
  void compiledAttentionOverWideHeadsBoxesNoVectors() {
    org.junit.jupiter.api.Assumptions.assumeTrue(DecodeKernels.allocatedBytes() >= 0, "no allocation counter");
    int headDim = 64;
    int slots = 150;
    java.nio.ByteBuffer keys = java.nio.ByteBuffer.allocateDirect(4 * slots * headDim).order(java.nio.ByteOrder.nativeOrder());
    java.nio.ByteBuffer values = java.nio.ByteBuffer.allocateDirect(4 * slots * headDim).order(java.nio.ByteOrder.nativeOrder());
    Random rng = new Random(29);
    for (int i = 0; i < slots * headDim; i++) {
      keys.putFloat(4 * i, (float) rng.nextGaussian());
      values.putFloat(4 * i, (float) rng.nextGaussian());
    }
    boolean[] allowed = new boolean[slots];
    java.util.Arrays.fill(allowed, true);
    allowed[3] = false;
    float[] q = gaussian(rng, headDim);
    float[] scores = new float[slots];
    float[] out = new float[headDim];
    long perCall = Long.MAX_VALUE;
    long deadline = System.nanoTime() + 20_000_000_000L;
    long bound = 1024;
    while (perCall >= bound && System.nanoTime() < deadline) {
      long before = DecodeKernels.allocatedBytes();
      for (int c = 0; c < 1000; c++) {
        DecodeKernels.attend(q, 0, keys, values, 0, headDim, allowed, slots, scores, out, 0);
      }
      perCall = (DecodeKernels.allocatedBytes() - before) / 1000;
    }
    assertThat(perCall).as("bytes a call of compiled attention").isLessThan(bound);
  }
}
