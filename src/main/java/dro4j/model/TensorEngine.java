package dro4j.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dro4j.BadInputException;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;

/**
 * Starts DJL's PyTorch engine the way dro4j needs it: offline (the CPU natives come from the
 * {@code pytorch-native-cpu} jar on the classpath, nothing is downloaded) and with the ~430 MB of
 * extracted native libraries under {@code ~/.cache/dro4j/djl} instead of {@code ~/.djl.ai}.
 *
 * <p>{@code DRO4J_THREADS} sets PyTorch's intra-op thread count (DJL's {@code
 * ai.djl.pytorch.num_threads}); one thread is often faster for small models on a busy machine,
 * where spinning worker threads wait for a core. Without it the count is PyTorch's default ({@code
 * OMP_NUM_THREADS}, else the machine's physical cores; {@code MKL_NUM_THREADS} too): a function of
 * the machine and the settings only, never of the current load, because results are bit-identical
 * only between runs at the same thread count (reductions and matrix products split their sums by
 * thread). {@link #threads()} reports the count in use; checkpoints record it.
 *
 * <p>Each setting is only a default: {@code -Dai.djl.offline=false}, {@code DJL_CACHE_DIR} or
 * {@code -DDJL_CACHE_DIR=...} (and DJL's {@code PYTORCH_LIBRARY_PATH}/{@code PYTORCH_FLAVOR} for a GPU
 * libtorch) still win.
 */
public final class TensorEngine {
  private static volatile boolean configured;

  private TensorEngine() {}

  /** The cache folder dro4j uses when the user set none: {@code $DRO4J_CACHE} or {@code ~/.cache/dro4j}. */
  public static Path cacheRoot() {
    String env = System.getenv("DRO4J_CACHE");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "dro4j");
  }

  /** Applies the defaults above; idempotent, and a no-op once the engine has started. */
  public static synchronized void configure() {
    if (configured) {
      return;
    }
    NativePlatform.check();
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      System.setProperty("DJL_CACHE_DIR", cacheRoot().resolve("djl").toString());
    }
    announceFirstExtraction();
    String threads = System.getenv("DRO4J_THREADS");
    if (threads != null && !threads.isBlank() && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", threads.trim());
      System.setProperty("ai.djl.pytorch.num_interop_threads", threads.trim());
    }
    configured = true;
  }

  /**
   * Says in one line on standard error that the natives are about to be extracted, when DJL's cache
   * holds no PyTorch yet (the first run: about 430 MB, a few seconds to a minute).
   */
  private static void announceFirstExtraction() {
    String dir = System.getProperty("DJL_CACHE_DIR", System.getenv("DJL_CACHE_DIR"));
    if (dir != null && !java.nio.file.Files.isDirectory(Path.of(dir, "pytorch"))) {
      System.err.println("dro4j: first run: extracting the PyTorch CPU libraries (about 430 MB) to " + Path.of(dir, "pytorch")
          + "; later runs reuse them");
    }
  }

  /**
   * PyTorch's intra-op thread count in use ({@code torch.get_num_threads()}); starts the engine when
   * it has not started yet.
   */
  public static int threads() {
    configure();
    Engine.getEngine("PyTorch");
    return JniUtils.getNumThreads();
  }

  /** A new root manager on the PyTorch engine, on the CPU. */
  public static NDManager newManager() {
    return newManager(Device.cpu());
  }

  /**
   * A new root manager on the PyTorch engine whose arrays (and those of its sub-managers) live on
   * {@code device}.
   */
  public static NDManager newManager(Device device) {
    configure();
    return Engine.getEngine("PyTorch").newBaseManager(device);
  }

  /**
   * Checks the syntax of a {@code device} setting ({@code cpu}, {@code cuda} or {@code cuda:N}) without
   * starting the engine.
   *
   * @throws BadInputException naming the accepted forms
   */
  public static void checkDeviceName(String name) {
    if (name == null || !name.trim().matches("cpu|cuda|cuda:\\d{1,3}")) {
      throw new BadInputException("device must be cpu, cuda or cuda:N (N = 0, 1, ...), got '" + name + "'");
    }
  }

  /**
   * The DJL device a {@code device} setting names: {@code cpu}, {@code cuda} (the first GPU) or
   * {@code cuda:N}. Starts the engine to check that a CUDA device exists.
   *
   * @throws BadInputException for another name, or CUDA when the loaded libtorch sees no such GPU
   *     (the CPU build, which dro4j's jar bundles, sees none)
   */
  public static Device device(String name) {
    checkDeviceName(name);
    String n = name.trim();
    if (n.equals("cpu")) return Device.cpu();
    int index = n.equals("cuda") ? 0 : Integer.parseInt(n.substring("cuda:".length()));
    configure();
    Engine engine = Engine.getEngine("PyTorch");
    int gpus = engine.getGpuCount();
    if (index >= gpus) {
      throw new BadInputException("device " + n + " was asked for, but PyTorch " + engine.getVersion() + " sees "
          + (gpus == 0 ? "no CUDA device" : gpus + " CUDA device(s)")
          + (gpus == 0 ? ": the loaded libtorch is a CPU build or no GPU/driver is visible (see README, 'On a GPU')" : ""));
    }
    return Device.gpu(index);
  }
}
