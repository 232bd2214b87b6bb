package dro4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dro4j.model.KvCache;
import dro4j.model.ModelConfig;
import dro4j.model.Transformer;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Random;

/**
 * Measures the runtime: the fp32 GEMM peak of this machine through the engine, then prefill and decode
 * throughput of a model, each reported with its achieved FLOP/s as a fraction of that peak (measured
 * in the same process, so the ratio survives a noisy shared machine).
 *
 * <p>FLOPs are counted as 2 per multiply-add of the matrix products: the linear layers, the attention
 * scores and weighted sums over the keys actually attended, and the LM head on the positions whose
 * logits are computed (the last one per row in prefill, every row in decode). Element-wise work (norms,
 * rotary, softmax, SiLU) is not counted.
 */
public final class RuntimeBenchmark {
  private final NDManager manager;
  private final PrintWriter out;

  public RuntimeBenchmark(NDManager manager, PrintWriter out) {
    this.manager = manager;
    this.out = out;
  }

  /** Best-of-N fp32 GEMM throughput (FLOP/s) for an n x n x n product. */
  public double gemmPeak(int n, int repeats) {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      a.matMul(b).close(); // warm-up
      double best = Double.MAX_VALUE;
      for (int i = 0; i < repeats; i++) {
        long t0 = System.nanoTime();
        NDArray c = a.matMul(b);
        c.toFloatArray(); // forces completion
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        c.close();
      }
      return 2.0 * n * n * (double) n / best;
    }
  }

  /** Matrix-product FLOPs of one token through the blocks (no LM head) attending to {@code keys} keys. */
  public static double blockFlopsPerToken(ModelConfig c, double keys) {
    double h = c.hiddenSize();
    double q = (double) c.numHeads() * c.headDim();
    double kv = (double) c.numKvHeads() * c.headDim();
    double linear = h * q + 2 * h * kv + q * h + 3 * h * c.intermediateSize();
    double attention = 2 * q * keys;
    return c.numLayers() * 2 * (linear + attention);
  }

  /** FLOPs of the LM head for one position. */
  public static double headFlops(ModelConfig c) {
    return 2.0 * c.hiddenSize() * c.vocabSize();
  }

  /** Result of one throughput measurement. */
  public record Rate(double tokensPerSecond, double flopsPerSecond) {}

  /** Prefill of {@code batch} prompts of {@code length} tokens; logits of the last position only. */
  public Rate prefill(Transformer model, int batch, int length, int repeats) {
    ModelConfig c = model.config();
    int[][] tokens = randomTokens(c, batch, length, 1);
    boolean[][] valid = allValid(batch, length);
    double best = Double.MAX_VALUE;
    for (int r = 0; r < repeats + 1; r++) {
      try (NDManager m = manager.newSubManager();
          KvCache cache = model.newCache(m, batch, length)) {
        long t0 = System.nanoTime();
        NDArray hidden = model.forward(cache, tokens, valid, m);
        model.logits(hidden.get(new NDIndex(":, -1, :"))).toFloatArray();
        double s = (System.nanoTime() - t0) / 1e9;
        if (r > 0) {
          best = Math.min(best, s); // first run is warm-up
        }
      }
    }
    double flops = batch * (length * blockFlopsPerToken(c, (length + 1) / 2.0) + headFlops(c));
    return new Rate(batch * length / best, flops / best);
  }

  /**
   * Decode: {@code steps} single-token forward calls for {@code batch} rows after a prompt of
   * {@code context} tokens, with the LM head on every row and the logits copied to Java (as the sampler
   * needs them). Sampling itself is not included.
   */
  public Rate decode(Transformer model, int batch, int context, int steps) {
    ModelConfig c = model.config();
    try (NDManager m = manager.newSubManager();
        KvCache cache = model.newCache(m, batch, context + steps + 1)) {
      try (NDManager p = m.newSubManager()) {
        model.forward(cache, randomTokens(c, batch, context, 2), allValid(batch, context), p);
      }
      boolean[][] valid = allValid(batch, 1);
      // one untimed step to warm up
      step(model, cache, randomTokens(c, batch, 1, 3), valid, m);
      long t0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        step(model, cache, randomTokens(c, batch, 1, 4 + s), valid, m);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double meanKeys = context + 1 + (steps + 1) / 2.0;
      double flops = (double) batch * steps * (blockFlopsPerToken(c, meanKeys) + headFlops(c));
      return new Rate(batch * steps / seconds, flops / seconds);
    }
  }

  private static void step(Transformer model, KvCache cache, int[][] tokens, boolean[][] valid, NDManager parent) {
    try (NDManager m = parent.newSubManager()) {
      NDArray hidden = model.forward(cache, tokens, valid, m);
      model.logits(hidden.get(new NDIndex(":, 0, :"))).toFloatArray();
    }
  }

  private static int[][] randomTokens(ModelConfig c, int batch, int length, long seed) {
    Random rng = new Random(seed);
    int[][] t = new int[batch][length];
    for (int[] row : t) {
      for (int i = 0; i < length; i++) {
        row[i] = rng.nextInt(c.vocabSize());
      }
    }
    return t;
  }

  private static boolean[][] allValid(int batch, int length) {
    boolean[][] v = new boolean[batch][length];
    for (boolean[] row : v) {
      Arrays.fill(row, true);
    }
    return v;
  }

  /** Prints one model's numbers: prefill and decode at batch 1 and 8, each with its share of the peak. */
  public void report(String name, Transformer model, double peak, int promptLength, int decodeSteps) {
    out.printf("%s: %,d parameters, %d layers, hidden %d, vocab %d%n", name, model.parameterCount(),
        model.config().numLayers(), model.config().hiddenSize(), model.config().vocabSize());
    Rate prefill = prefill(model, 1, promptLength, 3);
    line("prefill  batch 1, " + promptLength + " tokens", prefill, peak);
    for (int batch : new int[] {1, 8}) {
      Rate decode = decode(model, batch, promptLength, decodeSteps);
      line("decode   batch " + batch + ", " + decodeSteps + " steps", decode, peak);
    }
    out.flush();
  }

  private void line(String what, Rate r, double peak) {
    out.printf("  %-32s %10.1f tokens/s  %7.2f GFLOP/s  %5.1f%% of GEMM peak%n", what,
        r.tokensPerSecond(), r.flopsPerSecond() / 1e9, 100 * r.flopsPerSecond() / peak);
  }
}
