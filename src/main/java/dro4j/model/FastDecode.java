package dro4j.model;

import java.util.Locale;

/**
 * Whether incremental decoding runs on the Java Vector API kernels ({@code jdk.incubator.vector}) or
 * through libtorch. The Java path reads the weights and the KV cache in place and reads each weight
 * row once for all rows of a batch; libtorch serves prefill, training and everything on a GPU.
 *
 * <p>The Java path needs the JVM option {@code --add-modules jdk.incubator.vector} (the {@code dro4j}
 * command line adds it by relaunching itself). Without it, or with {@code DRO4J_DECODE=libtorch}
 * (or {@code -Ddro4j.decode=libtorch}), decoding goes through libtorch; a missing module is said once
 * on standard error.
 */
public final class FastDecode {
  /** The module the Java decode kernels need. */
  public static final String MODULE = "jdk.incubator.vector";
  /** The JVM option that enables them. */
  public static final String JVM_OPTION = "--add-modules " + MODULE;

  private static final boolean MODULE_PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();
  /** The module is there and its vector loads from off-heap memory link ({@link VectorLoads#linkable}). */
  private static final boolean KERNELS_USABLE = MODULE_PRESENT && VectorLoads.linkable();
  private static volatile boolean hinted;
  private static DecodeThreads sharedThreads;

  private FastDecode() {}

  /**
   * Whether the Java kernels can run: {@code jdk.incubator.vector} is in this JVM and its API has the
   * off-heap vector loads they use (JDK 17-18 and 22+: {@link VectorLoads}).
   */
  public static boolean available() {
    return KERNELS_USABLE;
  }

  /** Whether {@code jdk.incubator.vector} is in this JVM (its streaming kernel, {@link #readBandwidth}, runs). */
  public static boolean modulePresent() {
    return MODULE_PRESENT;
  }

  /**
   * Whether decoding uses the Java kernels by default: the module is present and neither {@code
   * DRO4J_DECODE} nor {@code -Ddro4j.decode} says {@code libtorch}.
   */
  public static boolean enabledByDefault() {
    return choose(KERNELS_USABLE, setting());
  }

  /** The decision, as a function of its inputs: {@code setting} is null, "auto", "vector" or "libtorch". */
  static boolean choose(boolean modulePresent, String setting) {
    if (setting != null && !setting.isBlank()) {
      String s = setting.trim().toLowerCase(Locale.ROOT);
      if (s.equals("libtorch")) {
        return false;
      }
      if (!s.equals("auto") && !s.equals("vector")) {
        throw new IllegalArgumentException("DRO4J_DECODE / dro4j.decode must be auto, vector or libtorch, not '" + setting + "'");
      }
    }
    return modulePresent;
  }

  private static String setting() {
    String p = System.getProperty("dro4j.decode");
    return p != null ? p : System.getenv("DRO4J_DECODE");
  }

  /** The one-line hint printed when the module is missing. */
  static String hint() {
    return hint(false, Runtime.version().feature());
  }

  /**
   * The hint for a JVM without the module ({@code modulePresent} false) or whose Vector API lacks the
   * kernels' loads (JDK {@code feature}).
   */
  static String hint(boolean modulePresent, int feature) {
    if (modulePresent) {
      return "dro4j: decoding through libtorch: the Java decode kernels need JDK 17-18 or 22+, and this is JDK "
          + feature + " (DRO4J_DECODE=libtorch silences this)";
    }
    return "dro4j: decoding through libtorch; for the faster Java decode path run java with " + JVM_OPTION
        + " (DRO4J_DECODE=libtorch silences this)";
  }

  /** Prints the hint once per JVM when the kernels cannot run and the setting does not ask for libtorch. */
  static void hintOnce() {
    if (!hinted && !KERNELS_USABLE && setting() == null) {
      hinted = true;
      System.err.println(hint(MODULE_PRESENT, Runtime.version().feature()));
    }
  }

  /** The decode thread pool, one per JVM, as many threads as PyTorch's intra-op pool. */
  static synchronized DecodeThreads threads() {
    if (sharedThreads == null) {
      sharedThreads = new DecodeThreads(TensorEngine.threads());
    }
    return sharedThreads;
  }

  /**
   * Streaming-read bandwidth of this machine in bytes/s: the best of {@code repeats} passes summing a
   * {@code bytes}-sized float array with vector loads, split over the decode threads, each reading four
   * sequential streams at once as the decode matmuls do ({@code DecodeKernels.streamSum}). A kernel of its
   * own (not the decode kernels), so the decode bandwidth fraction compares two separate measurements.
   *
   * @throws IllegalStateException without {@code jdk.incubator.vector}
   */
  public static double readBandwidth(long bytes, int repeats) {
    java.util.function.DoubleSupplier pass = bandwidthPasses(bytes);
    double best = 0;
    for (int r = 0; r < repeats; r++) {
      best = Math.max(best, pass.getAsDouble());
    }
    return best;
  }

  /**
   * The kernel of {@link #readBandwidth} over one {@code bytes}-sized array, made, compiled and read
   * once here: each call of the supplier times one more pass and returns its bytes/s. For measuring
   * between other work (the bench's decode steps) without a new array each time.
   *
   * @throws IllegalStateException without {@code jdk.incubator.vector}
   */
  public static java.util.function.DoubleSupplier bandwidthPasses(long bytes) {
    if (!MODULE_PRESENT) {
      throw new IllegalStateException("measuring the read bandwidth needs " + JVM_OPTION);
    }
    float[] data = new float[Math.toIntExact(bytes / 4)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i & 1023) * 1e-3f;
    }
    DecodeThreads pool = threads();
    float[] sums = new float[pool.threads()];
    // compile the kernel first: an interpreted Vector API loop is a thousand times slower
    int warm = Math.min(data.length, 1 << 16);
    for (int i = 0; i < 2000; i++) {
      sums[0] += DecodeKernels.streamSum(data, 0, warm);
    }
    java.util.function.DoubleSupplier pass = () -> {
      long t0 = System.nanoTime();
      pool.run(pool.threads(), p -> {
        long n = data.length;
        sums[p] += DecodeKernels.streamSum(data, (int) (n * p / pool.threads()), (int) (n * (p + 1) / pool.threads()));
      });
      double s = (System.nanoTime() - t0) / 1e9;
      if (Float.isNaN(sums[0])) {
        throw new IllegalStateException("unreachable: the sum keeps the reads alive");
      }
      return 4.0 * data.length / s;
    };
    pass.getAsDouble(); // the first pass warms up (page faults, JIT)
    return pass;
  }
}
