package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.model.TensorEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dro4j train} is bit-identical at two PyTorch threads, in real child processes (the suite
 * itself runs at one thread, {@code DRO4J_THREADS=1} in the pom): two runs of the same job write the
 * same checkpoints byte for byte, and a run killed with {@link Process#destroyForcibly} after its first
 * checkpoint and continued with {@code --resume} ends with the same final checkpoint as one that was
 * never stopped. The job ({@code reproducible-train.yaml}) is big enough for PyTorch to split its ops
 * across the two threads. The children run at the same time, so they also show that the result does
 * not depend on the load; they share the parent's native-library cache and run offline.
 */
class ReproducibleRunTest {
  private static final String THREADS = "2";
  private static final long TIMEOUT_MINUTES = 10;

  @TempDir static Path dir;
  private static Path config;
  /** The uninterrupted run that the other runs are compared with; started once, before the tests. */
  private static Process straight;

  @BeforeAll
  static void startTheStraightRun() throws IOException {
    config = dir.resolve("train.yaml");
    try (InputStream in = ReproducibleRunTest.class.getResourceAsStream("reproducible-train.yaml")) {
      Files.copy(in, config);
    }
    straight = start(dir.resolve("straight"));
  }

  @AfterAll
  static void stopLeftovers() {
    if (straight != null) straight.destroyForcibly();
  }

  @Test
  void twoRunsAtTwoThreadsWriteIdenticalCheckpoints() throws Exception {
    Path again = dir.resolve("again");
    finish(start(again), again);
    Path first = finishedStraightRun();
    for (String checkpoint : List.of("checkpoint-1", "checkpoint-2")) {
      assertSameFiles(out(first).resolve(checkpoint), out(again).resolve(checkpoint));
    }
    // the same rollouts and rewards, losses and statistics at every step (all but the timings)
    assertThat(metricsWithoutTimings(out(again))).isEqualTo(metricsWithoutTimings(out(first)));
    JsonNode state = new ObjectMapper().readTree(out(first).resolve("checkpoint-2").resolve("trainer_state.json").toFile());
    assertThat(state.get("extra").get("torch_num_threads").asInt()).isEqualTo(Integer.parseInt(THREADS));
  }

  @Test
  void runKilledAfterACheckpointThenResumedEndsIdenticalToAStraightRun() throws Exception {
    Path killed = dir.resolve("killed");
    Process p = start(killed);
    Path firstCheckpoint = out(killed).resolve("checkpoint-1"); // renamed into place when complete
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(TIMEOUT_MINUTES);
    while (!Files.isDirectory(firstCheckpoint)) {
      assertThat(p.isAlive()).as("the run ended before writing checkpoint-1:\n%s", log(killed)).isTrue();
      assertThat(System.nanoTime()).as("no checkpoint-1 in time").isLessThan(deadline);
      Thread.sleep(10);
    }
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, a checkpoint may be half written
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(out(killed).resolve("checkpoint-2")).as("killed before the end").doesNotExist();

    finish(start(killed, "--resume"), killed);
    assertThat(log(killed)).contains("resuming from").doesNotContain("warning: the checkpoint was written with");
    Path reference = finishedStraightRun();
    assertSameFiles(out(reference).resolve("checkpoint-2"), out(killed).resolve("checkpoint-2"));

    // The suite runs at one thread: resuming here from a two-thread checkpoint warns (and, the run
    // being complete, trains nothing).
    CliTest.Result r = CliTest.run("train", "--config", config.toString(), "--output_dir", out(killed).toString(),
        "--resume");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("warning: the checkpoint was written with 2 PyTorch threads and this run uses 1");
  }

  @Test
  void threadCountWarningOnlyWhenTheCountsDiffer() {
    assertThat(TrainingSession.threadCountWarning(null, 2)).isNull();
    assertThat(TrainingSession.threadCountWarning(2, 2)).isNull();
    assertThat(TrainingSession.threadCountWarning(1, 2)).contains("1 PyTorch thread and this run uses 2", "DRO4J_THREADS=1");
  }

  private static List<JsonNode> metricsWithoutTimings(Path outputDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(outputDir.resolve("metrics.jsonl"))) {
      ObjectNode row = (ObjectNode) json.readTree(line);
      List<String> timings = new ArrayList<>();
      row.fieldNames().forEachRemaining(k -> {
        if (k.startsWith("time/") || k.endsWith("tokens_per_second")) timings.add(k);
      });
      row.remove(timings);
      rows.add(row);
    }
    assertThat(rows).hasSize(2);
    return rows;
  }

  private static Path out(Path workDir) {
    return workDir.resolve("out");
  }

  private static synchronized Path finishedStraightRun() throws Exception {
    finish(straight, dir.resolve("straight"));
    return dir.resolve("straight");
  }

  /**
   * Starts {@code dro4j train --config train.yaml} in {@code workDir} (output_dir is the relative
   * {@code out}, so trainer_state.json is the same in every folder), output appended to its log.
   */
  private static Process start(Path workDir, String... flags) throws IOException {
    Files.createDirectories(workDir);
    TensorEngine.configure(); // the parent's cache folder, passed on so the natives are not extracted again
    String djlCache = System.getenv("DJL_CACHE_DIR") != null ? System.getenv("DJL_CACHE_DIR")
        : System.getProperty("DJL_CACHE_DIR");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"),
        "dro4j.cli.Main", "train", "--config", config.toString()));
    command.addAll(List.of(flags));
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("train.log").toFile()));
    Map<String, String> env = pb.environment();
    env.put("DRO4J_THREADS", THREADS);
    // Idle OpenMP threads spin for a shorter while (libgomp's default is 300000 turns) before they
    // sleep: on a busy two-core machine spinning threads keep each other off the cores (a step of
    // this job took 20 s instead of 0.4 s). How threads wait does not change how the work is split,
    // so the results are the same bits; sleeping at once (OMP_WAIT_POLICY=PASSIVE) is faster still but
    // lets the threads' parts of an op run one after the other, which hid the nondeterminism this
    // test is there to catch.
    env.put("GOMP_SPINCOUNT", "20000");
    env.put("DJL_CACHE_DIR", djlCache);
    env.put("DRO4J_CACHE", TensorEngine.cacheRoot().toString());
    return pb.start();
  }

  private static void finish(Process p, Path workDir) throws InterruptedException {
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("train did not finish in " + TIMEOUT_MINUTES + " minutes:\n" + log(workDir));
    }
    assertThat(p.exitValue()).as("train in %s:\n%s", workDir, log(workDir)).isZero();
  }

  private static String log(Path workDir) {
    try {
      return Files.readString(workDir.resolve("train.log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Same file names, and every file the same bytes. */
  private static void assertSameFiles(Path expected, Path actual) throws IOException {
    List<String> names = names(expected);
    assertThat(names).contains("model.safetensors", "optimizer.safetensors", "trainer_state.json");
    assertThat(names(actual)).isEqualTo(names);
    for (String name : names) {
      assertThat(Files.mismatch(expected.resolve(name), actual.resolve(name)))
          .as("%s differs from %s at byte", actual.resolve(name), expected.resolve(name)).isEqualTo(-1L);
    }
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }
}
