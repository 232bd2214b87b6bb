import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Does one core overlap a weight stream from memory with the multiply-adds on it? A probe for the
 * decode kernels' batch-8 question (docs/results.md, "Batch 8: loads behind the weight stream"), with
 * no dependency on dro4j: lean Vector API loops over a Java {@code float[]} of 896-float rows, timed
 * once streamed from memory (512 MB) and once from a 516 KB copy a thread in the L2 cache. One thread
 * unless a thread count is given; each thread reads its own share of the rows.
 *
 * <pre>java --add-modules jdk.incubator.vector tools/DecodeOverlapProbe.java [threads]</pre>
 *
 * <p>Kernels, per 64-byte weight line: {@code read} sums it (the memory-alone time); {@code 8 FMAs, no
 * other loads} multiplies it into eight register accumulators (batch 8's arithmetic without its inputs);
 * {@code batch 1, 4x1} and {@code batch 8, 3x8} are dot products as the decode kernels compute them, the
 * latter with the eight batch rows' inputs packed in one L1-resident array (3.7 loads per weight line).
 * A kernel overlaps when its streamed time is near the larger of its cached time and {@code read}'s.
 */
public class DecodeOverlapProbe {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  static final int COLS = 896;
  static final FloatVector C0 = FloatVector.broadcast(S, 1.0001f);
  static final FloatVector C1 = FloatVector.broadcast(S, 0.9999f);
  static volatile float sink;

  /** Reads rows {@code first .. first + rows} of {@code w}. */
  interface Kernel {
    float run(float[] w, int first, int rows, float[] x);
  }

  public static void main(String[] args) throws InterruptedException {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int rows = 150_000 / (12 * threads) * 12 * threads;
    float[] big = new float[rows * COLS];
    for (int i = 0; i < big.length; i++) big[i] = (i % 1000) * 1e-6f;
    int cachedRows = 144 * threads; // 516 KB a thread: in L2
    float[] cached = java.util.Arrays.copyOf(big, cachedRows * COLS);
    float[] x = new float[8 * COLS];
    for (int i = 0; i < x.length; i++) x[i] = (i % 97) * 1e-3f;
    String[] names = {"read", "8 FMAs, no other loads", "batch 1, 4x1", "batch 8, 3x8"};
    Kernel[] kernels = {DecodeOverlapProbe::read, DecodeOverlapProbe::fmaOnly, DecodeOverlapProbe::batch1,
        DecodeOverlapProbe::batch8};
    System.out.printf("%d thread(s), %d MB streamed, times in ms (best of 5, after warm-up)%n", threads, 4L * big.length >> 20);
    System.out.printf("%-24s %9s %9s %9s %9s%n", "kernel", "streamed", "cached", "GB/s", "overlap");
    double readMs = 0;
    for (int k = 0; k < kernels.length; k++) {
      double streamed = best(kernels[k], big, rows, x, threads, 1);
      double inCache = best(kernels[k], cached, cachedRows, x, threads, rows / cachedRows);
      if (k == 0) readMs = streamed;
      System.out.printf("%-24s %9.1f %9.1f %9.1f %9.2f%n", names[k], streamed, inCache, 4.0 * big.length / streamed / 1e6,
          Math.max(inCache, readMs) / streamed);
    }
  }

  /**
   * Best time of five passes after three warm-up passes; in a pass each thread reads its own share of
   * the rows {@code repeats} times.
   */
  static double best(Kernel kernel, float[] w, int rows, float[] x, int threads, int repeats)
      throws InterruptedException {
    double best = Double.MAX_VALUE;
    int share = rows / threads;
    for (int round = 0; round < 8; round++) {
      Thread[] others = new Thread[threads - 1];
      long t = System.nanoTime();
      for (int k = 1; k < threads; k++) {
        int first = k * share;
        others[k - 1] = new Thread(() -> repeat(kernel, w, first, share, x, repeats));
        others[k - 1].start();
      }
      repeat(kernel, w, 0, share, x, repeats);
      for (Thread other : others) other.join();
      best = Math.min(best, round < 3 ? Double.MAX_VALUE : (System.nanoTime() - t) / 1e6);
    }
    return best;
  }

  static void repeat(Kernel kernel, float[] w, int first, int rows, float[] x, int repeats) {
    float s = 0;
    for (int i = 0; i < repeats; i++) s += kernel.run(w, first, rows, x);
    sink = s;
  }

  static float read(float[] w, int first, int rows, float[] x) {
    FloatVector a = FloatVector.zero(S);
    FloatVector b = a;
    for (int i = first * COLS; i < (first + rows) * COLS; i += 32) {
      a = a.add(FloatVector.fromArray(S, w, i));
      b = b.add(FloatVector.fromArray(S, w, i + 16));
    }
    return a.add(b).reduceLanes(VectorOperators.ADD);
  }

  static float fmaOnly(float[] w, int first, int rows, float[] x) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int i = first * COLS; i < (first + rows) * COLS; i += 16) {
      FloatVector v = FloatVector.fromArray(S, w, i);
      a0 = v.fma(C0, a0);
      a1 = v.fma(C1, a1);
      a2 = v.fma(C0, a2);
      a3 = v.fma(C1, a3);
      a4 = v.fma(C0, a4);
      a5 = v.fma(C1, a5);
      a6 = v.fma(C0, a6);
      a7 = v.fma(C1, a7);
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
  }

  /** Four rows a quarter of the share apart, as the decode kernels walk them. */
  static float batch1(float[] w, int first, int rows, float[] x) {
    float s = 0;
    int quarter = rows / 4;
    for (int r = first; r < first + quarter; r++) {
      int o = r * COLS;
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
      for (int i = 0; i < COLS; i += 16) {
        FloatVector v = FloatVector.fromArray(S, x, i);
        a0 = FloatVector.fromArray(S, w, o + i).fma(v, a0);
        a1 = FloatVector.fromArray(S, w, o + quarter * COLS + i).fma(v, a1);
        a2 = FloatVector.fromArray(S, w, o + 2 * quarter * COLS + i).fma(v, a2);
        a3 = FloatVector.fromArray(S, w, o + 3 * quarter * COLS + i).fma(v, a3);
      }
      s += a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
    return s;
  }

  /** Three weight rows times eight batch rows; {@code x} holds, per 16 columns, the eight rows' vectors side by side. */
  static float batch8(float[] w, int first, int rows, float[] x) {
    float s = 0;
    int third = rows / 3;
    for (int r = first; r < first + third; r++) {
      int o0 = r * COLS, o1 = o0 + third * COLS, o2 = o1 + third * COLS;
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0, c6 = a0, c7 = a0;
      for (int i = 0, p = 0; i < COLS; i += 16, p += 128) {
        FloatVector w0 = FloatVector.fromArray(S, w, o0 + i);
        FloatVector w1 = FloatVector.fromArray(S, w, o1 + i);
        FloatVector w2 = FloatVector.fromArray(S, w, o2 + i);
        FloatVector v = FloatVector.fromArray(S, x, p);
        a0 = w0.fma(v, a0); b0 = w1.fma(v, b0); c0 = w2.fma(v, c0);
        v = FloatVector.fromArray(S, x, p + 16);
        a1 = w0.fma(v, a1); b1 = w1.fma(v, b1); c1 = w2.fma(v, c1);
        v = FloatVector.fromArray(S, x, p + 32);
        a2 = w0.fma(v, a2); b2 = w1.fma(v, b2); c2 = w2.fma(v, c2);
        v = FloatVector.fromArray(S, x, p + 48);
        a3 = w0.fma(v, a3); b3 = w1.fma(v, b3); c3 = w2.fma(v, c3);
        v = FloatVector.fromArray(S, x, p + 64);
        a4 = w0.fma(v, a4); b4 = w1.fma(v, b4); c4 = w2.fma(v, c4);
        v = FloatVector.fromArray(S, x, p + 80);
        a5 = w0.fma(v, a5); b5 = w1.fma(v, b5); c5 = w2.fma(v, c5);
        v = FloatVector.fromArray(S, x, p + 96);
        a6 = w0.fma(v, a6); b6 = w1.fma(v, b6); c6 = w2.fma(v, c6);
        v = FloatVector.fromArray(S, x, p + 112);
        a7 = w0.fma(v, a7); b7 = w1.fma(v, b7); c7 = w2.fma(v, c7);
      }
      FloatVector a = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7);
      FloatVector b = b0.add(b1).add(b2).add(b3).add(b4).add(b5).add(b6).add(b7);
      FloatVector c = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7);
      s += a.add(b).add(c).reduceLanes(VectorOperators.ADD);
    }
    return s;
  }
}
