package dro4j.cli;

import dro4j.model.FastDecode;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reruns the command line in a JVM with {@code --add-modules jdk.incubator.vector} (which a jar
 * manifest cannot set), so {@code java -jar dro4j.jar} decodes on the Java kernels. The child gets
 * the same JVM options, class path and arguments and inherits standard input, output and error
 * (and the environment, plus glibc's {@code MALLOC_MMAP_THRESHOLD_} unless set: see {@link
 * #allocatorSettings}); its exit code is returned. No relaunch for the module when the module is
 * already there, when the child would not have it either (a runtime image without it), or when
 * {@code DRO4J_DECODE=libtorch} asks for libtorch anyway; then the command runs in this JVM through
 * libtorch (with a one-line hint on the first decode). A training command ({@code train}, {@code
 * sft}, {@code bench}) on Linux is relaunched for the allocator setting alone when the threshold is
 * not set. Never under a debugger or agent, nor with {@code DRO4J_NO_RELAUNCH} set.
 */
final class VectorRelaunch {
  /** System property the child carries so it never relaunches again. */
  static final String MARKER = "dro4j.relaunched";

  private VectorRelaunch() {}

  /** What decides the relaunch, read from this JVM. */
  record Inputs(boolean modulePresent, boolean runtimeHasModule, boolean alreadyRelaunched, boolean optedOut,
      String decodeSetting, String javaHome, String classPath, List<String> jvmOptions, String jarMainClass,
      boolean allocatorUnset) {
    static Inputs current() {
      String setting = System.getProperty("dro4j.decode", System.getenv("DRO4J_DECODE"));
      List<String> options;
      try {
        options = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
      } catch (RuntimeException | LinkageError e) {
        options = null; // no java.management: cannot repeat the options faithfully
      }
      return new Inputs(FastDecode.modulePresent(), ModuleFinder.ofSystem().find(FastDecode.MODULE).isPresent(),
          System.getProperty(MARKER) != null, System.getenv("DRO4J_NO_RELAUNCH") != null, setting,
          System.getProperty("java.home"), System.getProperty("java.class.path"), options,
          jarMainClass(System.getProperty("java.class.path")),
          VectorRelaunch.allocatorUnset(System.getenv(), System.getProperty("os.name")));
    }

    /** The manifest's Main-Class when the class path is one jar (as under {@code java -jar}), else null. */
    static String jarMainClass(String classPath) {
      if (classPath == null || !classPath.endsWith(".jar") || classPath.contains(java.io.File.pathSeparator)) return null;
      try (java.util.jar.JarFile jar = new java.util.jar.JarFile(classPath)) {
        java.util.jar.Manifest manifest = jar.getManifest();
        return manifest == null ? null : manifest.getMainAttributes().getValue("Main-Class");
      } catch (IOException | SecurityException e) {
        return null;
      }
    }
  }

  /** The child's command line for dro4j's {@link Main}, or null when this JVM should run the command itself. */
  static List<String> command(Inputs in, String[] args) {
    return command(in, Main.class.getName(), false, args);
  }

  /**
   * The child's command line for {@code mainClass} only when this JVM runs the jar whose Main-Class it is
   * ({@code java -jar}), else null: dro4j-spark relaunches from {@code java -jar dro4j-spark.jar}, never
   * under {@code spark-submit}, whose launcher a second JVM would bypass.
   */
  static List<String> jarCommand(Inputs in, String mainClass, String[] args) {
    return command(in, mainClass, true, args);
  }

  private static List<String> command(Inputs in, String mainClass, boolean onlyAsJar, String[] args) {
    if (onlyAsJar && !mainClass.equals(in.jarMainClass())) {
      return null;
    }
    boolean libtorchChosen = in.decodeSetting() != null
        && in.decodeSetting().trim().toLowerCase(Locale.ROOT).equals("libtorch");
    boolean forModule = !in.modulePresent() && in.runtimeHasModule() && !libtorchChosen;
    // training keeps its freed activations resident without the allocator setting: worth a JVM start
    boolean forAllocator = in.allocatorUnset() && TRAINING_COMMANDS.contains(commandName(args));
    if (!(forModule || forAllocator) || in.alreadyRelaunched() || in.optedOut()
        || in.jvmOptions() == null || in.classPath() == null || in.classPath().isBlank() || in.javaHome() == null) {
      return null;
    }
    for (String option : in.jvmOptions()) {
      if (option.startsWith("-agentlib") || option.startsWith("-agentpath") || option.startsWith("-javaagent")
          || option.startsWith("-Xrunjdwp")) {
        return null; // a second JVM would fight the first for the debugger's port
      }
    }
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    Path java = Path.of(in.javaHome(), "bin", windows ? "java.exe" : "java");
    if (!Files.isExecutable(java)) {
      return null;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(in.jvmOptions());
    if (!in.modulePresent() && in.runtimeHasModule()) {
      cmd.add("--add-modules");
      cmd.add(FastDecode.MODULE);
    }
    cmd.add("-D" + MARKER + "=true");
    if (mainClass.equals(in.jarMainClass())) {
      // rerun the jar itself, so that its manifest (dro4j-spark's Add-Opens for Spark) applies to the child too
      cmd.add("-jar");
      cmd.add(in.classPath());
    } else {
      cmd.add("-cp");
      cmd.add(in.classPath());
      cmd.add(mainClass);
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** glibc's setting for the size from which malloc maps memory of its own, which free gives back. */
  static final String MMAP_THRESHOLD = "MALLOC_MMAP_THRESHOLD_";

  /**
   * The child's allocator setting, unless the user chose one: glibc serves blocks below the mmap
   * threshold from heaps that rarely shrink, and raises the threshold to 32 MiB after the first
   * large block is freed, so a training step's layer activations (5-30 MB each on a 0.5B model) stay
   * resident after they are freed. A fixed 1 MiB threshold returns them: on the Qwen2.5-0.5B shape
   * a LoRA step's peak RSS drops from 5.7 GB to 3.5 GB ({@code bench --lora-step}). Only glibc reads it.
   */
  static void allocatorSettings(java.util.Map<String, String> environment) {
    if (!thresholdChosen(environment)) environment.put(MMAP_THRESHOLD, "1048576");
    // not glibc.malloc.hugetlb=1: huge pages sped up a weight stream in isolation, but with every
    // mapped block madvised, the decode step's own temporaries fault and zero 2 MiB pages each step
    // (quiet machine, 0.5B shape: batch 8 7.3 tokens/s with it, 46.5 without; sys time 54 s vs 7 s)
  }

  /** Whether {@code environment} fixes glibc's mmap threshold, by its variable or by a tunable. */
  static boolean thresholdChosen(java.util.Map<String, String> environment) {
    String tunables = environment.get("GLIBC_TUNABLES");
    return environment.containsKey(MMAP_THRESHOLD) || (tunables != null && tunables.contains("malloc.mmap_threshold"));
  }

  /** Whether a JVM on {@code osName} with {@code environment} runs glibc without a fixed mmap threshold. */
  static boolean allocatorUnset(java.util.Map<String, String> environment, String osName) {
    return osName != null && osName.startsWith("Linux") && !thresholdChosen(environment);
  }

  /** How {@code environment} sets glibc's mmap threshold, for a benchmark's record of what it measured. */
  static String thresholdSetting(java.util.Map<String, String> environment) {
    if (environment.containsKey(MMAP_THRESHOLD)) return MMAP_THRESHOLD + "=" + environment.get(MMAP_THRESHOLD);
    if (thresholdChosen(environment)) return "GLIBC_TUNABLES=" + environment.get("GLIBC_TUNABLES");
    return "not set (glibc's dynamic threshold)";
  }

  /** The commands whose steps free large tensors layer after layer: training, and the benchmarks of it. */
  private static final java.util.Set<String> TRAINING_COMMANDS = java.util.Set.of("train", "sft", "bench");

  /** The subcommand of a command line: its first argument that is not an option ("" when none). */
  static String commandName(String[] args) {
    for (String arg : args) {
      if (!arg.startsWith("-")) return arg;
    }
    return "";
  }

  /**
   * One line for a JVM on Linux that runs a training command without a fixed mmap threshold and was not
   * relaunched with {@link #allocatorSettings} (opted out, under an agent), or null.
   * glibc then keeps each step's freed activations resident: a LoRA step on the Qwen2.5-0.5B shape
   * peaked at 7,390 MiB instead of 3,443 ({@code bench --lora-step}, docs/results.md).
   */
  static String allocatorHint(java.util.Map<String, String> environment, String osName, String[] args) {
    if (!allocatorUnset(environment, osName) || !TRAINING_COMMANDS.contains(commandName(args))) return null;
    return "dro4j: MALLOC_MMAP_THRESHOLD_ is not set, so glibc may keep freed training tensors resident (a LoRA"
        + " step on a 0.5B model: 7.4 GB instead of 3.4 GB); export MALLOC_MMAP_THRESHOLD_=1048576 (the relaunch"
        + " that sets it did not run: DRO4J_NO_RELAUNCH, a debugger or an agent)";
  }

  /**
   * Runs {@code cmd} (a {@link #command} or {@link #jarCommand}; nothing when null) and exits this JVM with
   * its exit code; returns when there is no child to run or it could not start, so the caller runs the
   * command itself. A relaunched JVM (the marker set) first ties its life to its parent's ({@link
   * #exitWithParent}).
   */
  static void runAndExit(List<String> cmd) {
    if (System.getProperty(MARKER) != null) exitWithParent();
    if (cmd == null) return;
    int code = run(cmd);
    if (code >= 0) System.exit(code);
  }

  /**
   * In a relaunched JVM: halts this JVM as soon as the one that started it is gone. A parent stopped
   * with SIGTERM stops its child itself (a shutdown hook in {@link #run}); one killed with SIGKILL
   * (Java's {@code destroyForcibly}, an out-of-memory killer) runs no hook, and its child would go on
   * training, writing checkpoints beside a run resumed in the same folder. The exit code mimics the
   * kill's (137); the checkpoint being written is left half done, as a killed run leaves it.
   */
  static void exitWithParent() {
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(137)));
  }

  /**
   * Runs {@code cmd} with this process's standard streams and returns its exit code, or -1 when it
   * could not start (the caller then runs the command itself).
   */
  static int run(List<String> cmd) {
    Process child;
    try {
      ProcessBuilder builder = new ProcessBuilder(cmd).inheritIO();
      allocatorSettings(builder.environment());
      child = builder.start();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    Thread stopChild = new Thread(child::destroy, "dro4j-relaunch-stop");
    Runtime.getRuntime().addShutdownHook(stopChild); // a killed parent takes the child with it
    while (true) {
      try {
        return child.waitFor();
      } catch (InterruptedException e) {
        // keep waiting: the child owns the terminal until it exits
      }
    }
  }
}
