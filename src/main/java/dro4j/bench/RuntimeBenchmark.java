package dro4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dro4j.model.DecodeProfile;
import dro4j.model.FastDecode;
import dro4j.model.KvCache;
import dro4j.model.ModelConfig;
import dro4j.model.Transformer;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.DoubleSupplier;

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
  /**
   * Result of one throughput measurement. {@code bestStepTokensPerSecond} is the rate of the fastest
   * single decode step (NaN for prefill): on a busy machine it compares with a best-of-N bandwidth
   * pass the way the mean compares with an undisturbed run.
   */
  public record Rate(double tokensPerSecond, double flopsPerSecond, double bestStepTokensPerSecond) {}

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
    return new Rate(batch * length / best, flops / best, Double.NaN);
  }

  /** How long a decode measurement's warm-up steps must go without a gain before they count as settled ({@link WarmUp}). */
  private static final long WARM_UP_PATIENCE_NANOS = 2_000_000_000L;
  /** The most warm-up a decode measurement takes, however its step times move. */
  private static final long WARM_UP_MAX_NANOS = 30_000_000_000L;

  /**
   * Decode: {@code steps} one-token steps ({@link Transformer#nextTokenLogits}, on the decode path the
   * model is set to) for {@code batch} rows after a prompt of {@code context} tokens, with the LM head
   * on every row and the logits in Java (as the sampler needs them). Sampling itself is not included.
   */
  public Rate decode(Transformer model, int batch, int context, int steps) {
    return decode(model, batch, context, steps, null);
  }

  /** {@link #decode(Transformer, int, int, int)}, adding the timed steps' parts to {@code profile} when not null. */
  private Rate decode(Transformer model, int batch, int context, int steps, DecodeProfile profile) {
    ModelConfig c = model.config();
    boolean[] valid = allRows(batch);
    warmUp(model, batch, context, profile);
    try (NDManager m = manager.newSubManager(); KvCache cache = prefilled(model, m, batch, context, steps)) {
      model.profileJavaDecode(profile);
      long t0 = System.nanoTime();
      long bestStep = Long.MAX_VALUE;
      for (int s = 0; s < steps; s++) {
        int[] tokens = randomTokens(c, 1, batch, 4 + s)[0];
        long s0 = System.nanoTime();
        model.nextTokenLogits(cache, tokens, valid);
        bestStep = Math.min(bestStep, System.nanoTime() - s0);
      }
      long nanos = System.nanoTime() - t0;
      model.profileJavaDecode(null);
      return decodeRate(c, batch, context, steps, nanos, bestStep);
    }
  }

  /**
   * Untimed steps at this batch size until their time has settled ({@link WarmUp}), on caches of their
   * own with a short prompt, so the timed steps start from the same context however long this took.
   */
  private void warmUp(Transformer model, int batch, int context, DecodeProfile profile) {
    ModelConfig c = model.config();
    boolean[] valid = allRows(batch);
    WarmUp warmUp = new WarmUp(WARM_UP_PATIENCE_NANOS, WARM_UP_MAX_NANOS);
    // a profiled step takes paths an unprofiled one does not: warm those up too, or the first timed
    // step deoptimizes the decode step and the timed steps run while it is compiled again
    model.profileJavaDecode(profile == null ? null : new DecodeProfile());
    while (!warmUp.done()) {
      try (NDManager m = manager.newSubManager(); KvCache cache = prefilled(model, m, batch, Math.min(context, 16), 64)) {
        for (int s = 0; s < 64 && !warmUp.done(); s++) {
          int[] tokens = randomTokens(c, 1, batch, 1000 + warmUp.steps())[0];
          long s0 = System.nanoTime();
          model.nextTokenLogits(cache, tokens, valid);
          warmUp.step(System.nanoTime() - s0);
        }
      }
    }
    model.profileJavaDecode(null);
    out.printf("  (warm-up at batch %d: %d untimed steps, %.1f s, %s)%n", batch, warmUp.steps(),
        warmUp.elapsedNanos() / 1e9, warmUp.settled() ? "until the step time settled" : "stopped at the time limit");
  }

  /** Timed steps a batch size takes in turn with the other in {@link #decodeInterleaved}. */
  static final int INTERLEAVED_BLOCK = 4;

  /**
   * Decode at batch 1 and 8 over the same minutes: after each batch size's warm-up, their timed steps
   * alternate in blocks of {@link #INTERLEAVED_BLOCK} ({@code steps} of each in all), each on its own
   * cache after a prompt of {@code context} tokens. A shared machine's memory bandwidth can change
   * between one measurement and the next (27-60 GB/s between runs minutes apart on a 2-core Zen 4,
   * 2026-12-04), and batch 1 follows it while batch 8 hardly does, so two rates measured one after the
   * other can make a ratio neither moment had. The returned ratio is of the two rates over all steps.
   * {@code bandwidthPass} (null: none) times one pass of a read-bandwidth kernel after each block, so
   * batch 1's bound comes from the same minutes too.
   */
  public Interleaved decodeInterleaved(Transformer model, int context, int steps, DoubleSupplier bandwidthPass) {
    ModelConfig c = model.config();
    warmUp(model, 1, context, null);
    warmUp(model, 8, context, null);
    int[] batches = {1, 8};
    long[] nanos = new long[2];
    long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
    double minBlock = Double.POSITIVE_INFINITY;
    double maxBlock = 0;
    double bandwidthSum = 0;
    int passes = 0;
    try (NDManager m = manager.newSubManager(); KvCache one = prefilled(model, m, 1, context, steps);
        KvCache eight = prefilled(model, m, 8, context, steps)) {
      KvCache[] caches = {one, eight};
      boolean[][] valid = {allRows(batches[0]), allRows(batches[1])};
      for (int s0 = 0; s0 < steps; s0 += INTERLEAVED_BLOCK) {
        int s1 = Math.min(steps, s0 + INTERLEAVED_BLOCK);
        long[] block = new long[2];
        for (int i = 0; i < 2; i++) {
          for (int s = s0; s < s1; s++) {
            int[] tokens = randomTokens(c, 1, batches[i], 4 + s)[0];
            long t0 = System.nanoTime();
            model.nextTokenLogits(caches[i], tokens, valid[i]);
            long t = System.nanoTime() - t0;
            block[i] += t;
            best[i] = Math.min(best[i], t);
          }
          nanos[i] += block[i];
        }
        // tokens per second of each over the same number of steps
        double ratio = (double) batches[1] / batches[0] * block[0] / block[1];
        minBlock = Math.min(minBlock, ratio);
        maxBlock = Math.max(maxBlock, ratio);
        if (bandwidthPass != null) {
          bandwidthSum += bandwidthPass.getAsDouble();
          passes++;
        }
      }
    }
    return new Interleaved(decodeRate(c, 1, context, steps, nanos[0], best[0]),
        decodeRate(c, 8, context, steps, nanos[1], best[1]), minBlock, maxBlock,
        passes == 0 ? Double.NaN : bandwidthSum / passes, passes);
  }

  /**
   * {@link #decodeInterleaved}'s result: the two rates over all their steps, the least and greatest
   * batch-8 / batch-1 ratio of one block (how much the machine moved during the measurement), and the
   * mean read bandwidth (bytes/s) of the {@code bandwidthPasses} passes between the blocks (NaN for none).
   */
  public record Interleaved(Rate b1, Rate b8, double minBlockRatio, double maxBlockRatio, double meanBandwidth,
      int bandwidthPasses) {
    /** Batch 8's tokens per second over batch 1's. */
    public double ratio() {
      return b8.tokensPerSecond() / b1.tokensPerSecond();
    }
  }

  /** The rate of {@code steps} decode steps of {@code batch} rows after {@code context} tokens that took {@code nanos} in all. */
  private static Rate decodeRate(ModelConfig c, int batch, int context, int steps, long nanos, long bestStepNanos) {
    double seconds = nanos / 1e9;
    double meanKeys = context + (steps + 1) / 2.0;
    double flops = (double) batch * steps * (blockFlopsPerToken(c, meanKeys) + headFlops(c));
    return new Rate(batch * steps / seconds, flops / seconds, batch / (bestStepNanos / 1e9));
  }

  private static boolean[] allRows(int batch) {
    boolean[] valid = new boolean[batch];
    Arrays.fill(valid, true);
    return valid;
  }

  /** A cache of {@code batch} rows holding a random prompt of {@code context} tokens, with room for {@code steps} more. */
  private KvCache prefilled(Transformer model, NDManager m, int batch, int context, int steps) {
    KvCache cache = model.newCache(m, batch, context + steps + 1);
    try (NDManager p = m.newSubManager()) {
      model.forward(cache, randomTokens(model.config(), batch, context, 2), allValid(batch, context), p);
    }
    return cache;
  }

  /**
   * Bytes one decode step at batch 1 must read from memory: every fp32 weight once (the embedding
   * only as the LM head when tied; an untied embedding reads one row), plus the keys and values of
   * {@code keys} cached tokens.
   */
  public static double decodeBytesPerToken(ModelConfig c, long parameterCount, double keys) {
    double weights = parameterCount - (c.tieWordEmbeddings() ? 0 : (double) c.vocabSize() * c.hiddenSize());
    double kv = 2.0 * c.numLayers() * c.numKvHeads() * c.headDim() * keys;
    return 4 * (weights + kv);
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

  /**
   * One model's numbers: prefill at batch 1, decode at batch 1 and 8 on the Java kernels (when the
   * JVM has them) and through libtorch; {@code decodeB1BandwidthFraction} is the bytes a batch-1 step
   * reads per second over {@code readBandwidth} (bytes/s, by a kernel of its own: on the Java kernels
   * the mean of the passes between the interleaved decode's blocks, so both come from the same minutes;
   * in a JVM without them the larger of two measurements just before and after libtorch's batch 1, so a
   * busy machine's swings do not flatter the fraction; NaN when unknown).
   * {@code minBlockRatio} and {@code maxBlockRatio} are the least and greatest batch-8 / batch-1 ratio
   * of one block of the interleaved decode (NaN without the Java kernels). Decode numbers of a path
   * this JVM cannot run are null.
   */
  public record ModelNumbers(Rate prefill, Rate decodeB1, Rate decodeB8, Rate decodeB1Libtorch, Rate decodeB8Libtorch,
      double decodeB1BytesPerToken, double readBandwidth, double decodeB1BandwidthFraction, double minBlockRatio,
      double maxBlockRatio) {
    /** Decode rates on the path {@code dro4j generate} uses in this JVM. */
    public Rate decodeB1Used() {
      return decodeB1 != null ? decodeB1 : decodeB1Libtorch;
    }

    public Rate decodeB8Used() {
      return decodeB8 != null ? decodeB8 : decodeB8Libtorch;
    }
  }

  /** Prints one model's numbers: prefill, then decode at batch 1 and 8 on each path, each with its share of the peak. */
  public ModelNumbers report(String name, Transformer model, double peak, DoubleSupplier bandwidth,
      DoubleSupplier bandwidthPass, int promptLength, int decodeSteps) {
    out.printf("%s: %,d parameters, %d layers, hidden %d, vocab %d%n", name, model.parameterCount(),
        model.config().numLayers(), model.config().hiddenSize(), model.config().vocabSize());
    Rate prefill = prefill(model, 1, promptLength, 3);
    line("prefill  batch 1, " + promptLength + " tokens", prefill, peak);
    double bytes = decodeBytesPerToken(model.config(), model.parameterCount(), promptLength + 1 + (decodeSteps + 1) / 2.0);
    Rate[] java = new Rate[2];
    Rate[] torch = new Rate[2];
    Interleaved interleaved = null;
    boolean before = model.usesJavaDecode();
    double readBandwidth = Double.NaN;
    try {
      if (FastDecode.available()) {
        model.useJavaDecode(true);
        interleaved = decodeInterleaved(model, promptLength, decodeSteps, bandwidthPass);
        readBandwidth = interleaved.meanBandwidth();
        java[0] = interleaved.b1();
        java[1] = interleaved.b8();
        decodeLines("Java, interleaved", interleaved, decodeSteps, peak, bytes, true);
      } else {
        out.printf("  decode on the Java kernels: not in this JVM (run it with %s)%n", FastDecode.JVM_OPTION);
      }
      model.useJavaDecode(false);
      for (int i = 0; i < 2; i++) {
        int batch = i == 0 ? 1 : 8;
        boolean bound = batch == 1 && !FastDecode.available(); // the bound goes with the path generate uses
        double bandwidthBefore = bound ? bandwidth.getAsDouble() : Double.NaN;
        torch[i] = decode(model, batch, promptLength, decodeSteps);
        if (bound) {
          readBandwidth = Math.max(bandwidthBefore, bandwidth.getAsDouble());
        }
        line("decode   batch " + batch + ", " + decodeSteps + " steps, libtorch", torch[i], peak);
        if (bound && readBandwidth > 0) {
          boundLine(torch[i], bytes, readBandwidth, true);
        }
      }
    } finally {
      model.useJavaDecode(before);
    }
    Rate used = java[0] != null ? java[0] : torch[0];
    double fraction = readBandwidth > 0 ? used.tokensPerSecond() * bytes / readBandwidth : Double.NaN;
    if (java[0] != null) {
      out.printf("  Java kernels vs libtorch: batch 1 %.2fx, batch 8 %.2fx%n",
          java[0].tokensPerSecond() / torch[0].tokensPerSecond(), java[1].tokensPerSecond() / torch[1].tokensPerSecond());
    }
    out.flush();
    return new ModelNumbers(prefill, java[0], java[1], torch[0], torch[1], bytes, readBandwidth, fraction,
        interleaved == null ? Double.NaN : interleaved.minBlockRatio(),
        interleaved == null ? Double.NaN : interleaved.maxBlockRatio());
  }

  /**
   * Decode on the Java kernels only, at batch 1 and 8 with their steps interleaved (no prefill, no
   * libtorch): the quick check of a kernel change. Prints both rates, batch 1's share of the
   * read-bandwidth bound (the mean of {@code bandwidthPass}'s passes between the blocks) and the
   * batch-8 / batch-1 ratio.
   */
  public void javaDecode(String name, Transformer model, double peak, DoubleSupplier bandwidthPass,
      int promptLength, int decodeSteps) {
    if (!FastDecode.available()) {
      out.printf("%s: decode on the Java kernels needs %s%n", name, FastDecode.JVM_OPTION);
      return;
    }
    out.printf("%s: %,d parameters, decode on the Java kernels after a %d-token prompt%n", name, model.parameterCount(),
        promptLength);
    double bytes = decodeBytesPerToken(model.config(), model.parameterCount(), promptLength + 1 + (decodeSteps + 1) / 2.0);
    boolean before = model.usesJavaDecode();
    model.useJavaDecode(true);
    try {
      Interleaved d = decodeInterleaved(model, promptLength, decodeSteps, bandwidthPass);
      decodeLines("Java, interleaved", d, decodeSteps, peak, bytes, false);
    } finally {
      model.useJavaDecode(before);
    }
    out.flush();
  }

  /** The lines of an interleaved decode: both rates, batch 1 against the bound, the ratio and its compute ceiling. */
  private void decodeLines(String path, Interleaved d, int steps, double peak, double bytes,
      boolean withTokensPerSecondBound) {
    line("decode   batch 1, " + steps + " steps, " + path, d.b1(), peak);
    if (d.meanBandwidth() > 0) {
      boundLine(d.b1(), bytes, d.meanBandwidth(), withTokensPerSecondBound);
      out.printf("  %-42s (the bound's bandwidth: the mean of %d passes, one after each block)%n", "",
          d.bandwidthPasses());
    }
    line("decode   batch 8, " + steps + " steps, " + path, d.b8(), peak);
    out.printf("  batch 8 / batch 1 on the Java kernels %.2fx (blocks of %d steps each in turn: %.2f-%.2fx a block); %s%n",
        d.ratio(), INTERLEAVED_BLOCK, d.minBlockRatio(), d.maxBlockRatio(), computeCeiling(d.b1(), d.b8(), peak));
  }

  /** Batch 1's share of the read-bandwidth bound (and of its fastest step, or the bandwidth itself). */
  private void boundLine(Rate b1, double bytes, double readBandwidth, boolean detailed) {
    if (detailed) {
      out.printf("  %-42s %9.1f%% of the read-bandwidth bound (%.1f tokens/s at %.1f MB a token);"
          + " fastest step %.1f%%%n", "", 100 * b1.tokensPerSecond() * bytes / readBandwidth, readBandwidth / bytes,
          bytes / 1e6, 100 * b1.bestStepTokensPerSecond() * bytes / readBandwidth);
    } else {
      out.printf("  %-42s %9.1f%% of the read-bandwidth bound (%.2f GB/s)%n", "",
          100 * b1.tokensPerSecond() * bytes / readBandwidth, readBandwidth / 1e9);
    }
  }

  /**
   * Where the time of Java-kernel decode steps goes, at batch 1 and 8: per part of a step (see {@link
   * DecodeProfile.Part}) the milliseconds per step, its share of the step, and its FLOP/s and read
   * bytes/s against {@code peak} and {@code bandwidth} (both measured in this run). "step overhead" is
   * the rest of a step outside the parts (cache bookkeeping, masks, rotary angles).
   */
  public void decodeProfile(String name, Transformer model, double peak, double bandwidth, int context, int steps) {
    if (!FastDecode.available()) {
      out.printf("%s: decode profile needs the Java kernels (%s)%n", name, FastDecode.JVM_OPTION);
      return;
    }
    boolean before = model.usesJavaDecode();
    model.useJavaDecode(true);
    try {
      out.printf("%s: decode profile, %d-token context, %d steps%n", name, context, steps);
      for (int batch : new int[] {1, 8}) {
        DecodeProfile p = new DecodeProfile();
        Rate r = decode(model, batch, context, steps, p);
        double stepMs = 1e3 * batch / r.tokensPerSecond();
        out.printf("  batch %d: %.1f tokens/s, %.2f ms a step%n", batch, r.tokensPerSecond(), stepMs);
        out.printf("    %-40s %9s %6s %9s %7s %8s %7s%n", "part", "ms/step", "share", "GFLOP/s", "% peak", "GB/s", "% bw");
        double parts = 0;
        for (DecodeProfile.Part part : DecodeProfile.Part.values()) {
          double s = p.seconds(part);
          parts += s;
          double ms = 1e3 * s / p.steps();
          out.printf("    %-40s %9.2f %5.1f%% %9.2f %6.1f%% %8.2f %6.1f%%%n", part.description(), ms, 100 * ms / stepMs,
              p.flops(part) / s / 1e9, 100 * p.flops(part) / s / peak, p.bytesRead(part) / s / 1e9,
              100 * p.bytesRead(part) / s / bandwidth);
        }
        double rest = stepMs - 1e3 * parts / p.steps();
        out.printf("    %-40s %9.2f %5.1f%%%n", "step overhead (outside the parts)", rest, 100 * rest / stepMs);
      }
    } finally {
      model.useJavaDecode(before);
    }
    out.flush();
  }

  /**
   * The most batch 8 can gain over batch 1 on this machine now: batch 8's FLOPs per token run at the GEMM
   * peak measured in the same run, over batch 1's rate. Where it is below a target ratio, no kernel reaches
   * that ratio here.
   */
  static String computeCeiling(Rate b1, Rate b8, double peak) {
    double flopsPerToken = b8.flopsPerSecond() / b8.tokensPerSecond();
    return String.format(Locale.ROOT, "at the GEMM peak batch 8 would be %.2fx batch 1 (%.1f tokens/s)",
        peak / flopsPerToken / b1.tokensPerSecond(), peak / flopsPerToken);
  }

  private void line(String what, Rate r, double peak) {
    out.printf("  %-42s %10.1f tokens/s  %7.2f GFLOP/s  %5.1f%% of GEMM peak%n", what,
        r.tokensPerSecond(), r.flopsPerSecond() / 1e9, 100 * r.flopsPerSecond() / peak);
  }
}
