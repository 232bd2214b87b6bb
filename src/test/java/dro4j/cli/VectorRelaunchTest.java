package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.model.FastDecode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relaunch that gives {@code java -jar} the Vector API module, and the libtorch fallback of a JVM
 * without it: both run the real command line in a child JVM and must print the same greedy
 * completion as the fast path in this JVM.
 */
class VectorRelaunchTest {
  static final String JAVA_HOME = System.getProperty("java.home");

  static VectorRelaunch.Inputs inputs(boolean present, boolean runtime, boolean again, boolean optOut, String setting,
      List<String> options) {
    return new VectorRelaunch.Inputs(present, runtime, again, optOut, setting, JAVA_HOME, "dro4j.jar", options, null,
        false);
  }

  @Test
  void aJarStartedWithJavaJarIsRerunWithJavaJarSoItsManifestApplies() {
    String[] args = {"eval", "--master", "local[2]"};
    VectorRelaunch.Inputs asJar = new VectorRelaunch.Inputs(false, true, false, false, null, JAVA_HOME, "dro4j-spark.jar",
        List.of(), "dro4j.cli.SparkMain", false);
    assertThat(VectorRelaunch.jarCommand(asJar, "dro4j.cli.SparkMain", args)).containsSubsequence("--add-modules",
        "jdk.incubator.vector", "-jar", "dro4j-spark.jar", "eval", "--master", "local[2]").doesNotContain("-cp");
    // spark-submit (another class path, no Main-Class of ours) runs in this JVM
    assertThat(VectorRelaunch.jarCommand(inputs(false, true, false, false, null, List.of()), "dro4j.cli.SparkMain", args))
        .isNull();
    assertThat(VectorRelaunch.Inputs.jarMainClass("a.jar" + java.io.File.pathSeparator + "b.jar")).isNull();
    assertThat(VectorRelaunch.Inputs.jarMainClass("target/classes")).isNull();
  }

  @Test
  void relaunchesOnlyAJvmWithoutTheModuleWhoseRuntimeHasIt() {
    String[] args = {"generate", "--prompt", "Once"};
    List<String> cmd = VectorRelaunch.command(inputs(false, true, false, false, null, List.of("-Xmx2g")), args);
    assertThat(cmd).isNotNull();
    assertThat(cmd.get(0)).startsWith(JAVA_HOME);
    assertThat(cmd).containsSubsequence("-Xmx2g", "--add-modules", "jdk.incubator.vector", "-Ddro4j.relaunched=true",
        "-cp", "dro4j.jar", "dro4j.cli.Main", "generate", "--prompt", "Once");
    assertThat(VectorRelaunch.command(inputs(true, true, false, false, null, List.of()), args)).isNull();
    assertThat(VectorRelaunch.command(inputs(false, false, false, false, null, List.of()), args)).isNull();
    assertThat(VectorRelaunch.command(inputs(false, true, true, false, null, List.of()), args)).isNull();
    assertThat(VectorRelaunch.command(inputs(false, true, false, true, null, List.of()), args)).isNull();
    assertThat(VectorRelaunch.command(inputs(false, true, false, false, "libtorch", List.of()), args)).isNull();
    assertThat(VectorRelaunch.command(inputs(false, true, false, false, null,
        List.of("-agentlib:jdwp=transport=dt_socket,server=y,address=5005")), args)).isNull();
  }

  record Child(int code, String out, String err) {}

  /** Runs the CLI in a new JVM without the Vector API module, as {@code java -cp ... dro4j.cli.Main} would. */
  static Child child(Map<String, String> env, Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(JAVA_HOME, "bin", "java").toString(), "-Xmx1g",
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "dro4j.cli.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out").toFile())
        .redirectError(dir.resolve("err").toFile());
    pb.environment().putAll(env);
    pb.environment().put("DRO4J_THREADS", "1");
    pb.environment().putIfAbsent("GOMP_SPINCOUNT", "20000");
    int code = pb.start().waitFor();
    return new Child(code, Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
  }

  @Test
  void withoutTheModuleTheCliFallsBackToLibtorchOrRelaunchesAndPrintsTheSameCompletion(@TempDir Path tmp)
      throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(dro4j.model.KernelJdks.expected(), "JDK 19-21: no Java decode kernels");
    assertThat(FastDecode.available()).isTrue(); // this JVM: the fast path
    String[] args = {"generate", "--prompt", "Once upon a time", "--max-new-tokens", "12", "--greedy"};
    CliTest.Result here = CliTest.run(args);
    assertThat(here.code()).as(here.err()).isZero();

    Path a = Files.createDirectory(tmp.resolve("fallback"));
    Child fallback = child(Map.of("DRO4J_NO_RELAUNCH", "1"), a, args);
    assertThat(fallback.code()).as(fallback.err()).isZero();
    assertThat(fallback.out()).isEqualTo(here.out());
    assertThat(fallback.err()).contains(FastDecode.JVM_OPTION).doesNotContain("Exception");
    assertThat(fallback.err().lines().filter(l -> l.contains(FastDecode.JVM_OPTION))).hasSize(1);

    Path b = Files.createDirectory(tmp.resolve("relaunch"));
    Child relaunched = child(Map.of(), b, args);
    assertThat(relaunched.code()).as(relaunched.err()).isZero();
    assertThat(relaunched.out()).isEqualTo(here.out());
    assertThat(relaunched.err()).doesNotContain("decoding through libtorch");

    Path c = Files.createDirectory(tmp.resolve("exit-code"));
    Child bad = child(Map.of(), c, "generate", "--max-new-tokens", "x");
    assertThat(bad.code()).isEqualTo(2); // the child's exit code comes back
  }

  @Test
  void theChildGetsAFixedMmapThresholdUnlessOneIsSet() {
    java.util.Map<String, String> env = new java.util.HashMap<>();
    VectorRelaunch.allocatorSettings(env);
    assertThat(env).containsEntry("MALLOC_MMAP_THRESHOLD_", "1048576");
    java.util.Map<String, String> mine = new java.util.HashMap<>(java.util.Map.of("MALLOC_MMAP_THRESHOLD_", "65536"));
    VectorRelaunch.allocatorSettings(mine);
    assertThat(mine).containsEntry("MALLOC_MMAP_THRESHOLD_", "65536");
  }

  @Test
  void theChildGetsNoHugePageTunable() {
    // glibc.malloc.hugetlb=1 made batch-8 decode 6x slower (docs/design.md, section 6)
    java.util.Map<String, String> env = new java.util.HashMap<>();
    VectorRelaunch.allocatorSettings(env);
    assertThat(env).doesNotContainKey("GLIBC_TUNABLES");
  }

  @Test
  void aTunableThresholdIsTheUsersChoiceToo() {
    java.util.Map<String, String> env = new java.util.HashMap<>(
        java.util.Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=262144"));
    VectorRelaunch.allocatorSettings(env);
    assertThat(env).doesNotContainKey("MALLOC_MMAP_THRESHOLD_");
    assertThat(VectorRelaunch.thresholdSetting(env)).isEqualTo("GLIBC_TUNABLES=glibc.malloc.mmap_threshold=262144");
    assertThat(VectorRelaunch.thresholdSetting(java.util.Map.of())).startsWith("not set");
  }

  @Test
  void trainingWithoutAFixedThresholdOnLinuxGetsAHint() {
    java.util.Map<String, String> none = java.util.Map.of();
    assertThat(VectorRelaunch.allocatorHint(none, "Linux", new String[] {"train", "--config", "job.yaml"}))
        .contains("MALLOC_MMAP_THRESHOLD_=1048576");
    assertThat(VectorRelaunch.allocatorHint(none, "Linux", new String[] {"bench", "--lora-step"})).isNotNull();
    assertThat(VectorRelaunch.allocatorHint(none, "Linux", new String[] {"generate", "--prompt", "train"})).isNull();
    assertThat(VectorRelaunch.allocatorHint(none, "Mac OS X", new String[] {"train"})).isNull();
    assertThat(VectorRelaunch.allocatorHint(java.util.Map.of("MALLOC_MMAP_THRESHOLD_", "1048576"), "Linux",
        new String[] {"sft"})).isNull();
    assertThat(VectorRelaunch.allocatorHint(none, "Linux", new String[] {"--help"})).isNull();
  }

  @Test
  void trainingWithoutTheAllocatorSettingIsRelaunchedForItEvenWithTheModule() {
    java.util.function.BiFunction<Boolean, Boolean, VectorRelaunch.Inputs> unset = (present, runtime) ->
        new VectorRelaunch.Inputs(present, runtime, false, false, null, JAVA_HOME, "dro4j.jar",
            List.of("--add-modules=jdk.incubator.vector"), null, true);
    List<String> cmd = VectorRelaunch.command(unset.apply(true, true), new String[] {"train", "--config", "job.yaml"});
    assertThat(cmd).containsSubsequence("-Ddro4j.relaunched=true", "dro4j.cli.Main", "train", "--config", "job.yaml");
    assertThat(cmd).doesNotContain("--add-modules"); // this JVM's own option carries the module
    assertThat(VectorRelaunch.command(unset.apply(true, true), new String[] {"generate", "--prompt", "Once"})).isNull();
    // a runtime without the module: relaunched for the allocator, not given a module it lacks
    assertThat(VectorRelaunch.command(unset.apply(false, false), new String[] {"sft"})).isNotNull()
        .doesNotContain("--add-modules");
    // DRO4J_DECODE=libtorch keeps libtorch, and the child still gets the allocator setting
    VectorRelaunch.Inputs libtorch = new VectorRelaunch.Inputs(false, true, false, false, "libtorch", JAVA_HOME,
        "dro4j.jar", List.of(), null, true);
    assertThat(VectorRelaunch.command(libtorch, new String[] {"bench", "--lora-step"})).isNotNull();
    assertThat(VectorRelaunch.command(libtorch, new String[] {"generate"})).isNull();
    VectorRelaunch.Inputs optedOut = new VectorRelaunch.Inputs(true, true, false, true, null, JAVA_HOME, "dro4j.jar",
        List.of(), null, true);
    assertThat(VectorRelaunch.command(optedOut, new String[] {"train"})).isNull();
  }

  @Test
  void theRelaunchedJvmDiesWithAParentKilledBySigkill(@TempDir Path tmp) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(JAVA_HOME, "bin", "java").toString(), "-Xmx1g",
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "dro4j.cli.Main",
        "bench", "--memory-rounds", "1000000")); // minutes of work: only a kill ends it in time
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("log").toFile());
    pb.environment().put("DRO4J_THREADS", "1");
    Process middle = pb.start();
    ProcessHandle child = null;
    try {
      for (int i = 0; i < 600 && child == null && middle.isAlive(); i++) {
        child = middle.toHandle().children().findFirst().orElse(null);
        if (child == null) Thread.sleep(50);
      }
      assertThat(child).as("no relaunched JVM: %s", Files.readString(tmp.resolve("log"))).isNotNull();
      Thread.sleep(1500); // past the child's start, into its work
      middle.destroyForcibly(); // SIGKILL: the middle JVM's shutdown hook does not run
      assertThat(child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS).isAlive()).isFalse();
    } finally {
      if (child != null) child.destroyForcibly(); // only when the test failed
      middle.destroyForcibly();
    }
  }
}
