package dro4j.rl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

  private static Map<String, Object> metrics(long step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("reward", 0.5 + step);
    m.put("loss", 0.1f);
    m.put("kl", step == 2 ? Double.NaN : 0.001);
    m.put("grad_norm", step == 3 ? Double.POSITIVE_INFINITY : 1.5);
    m.put("entropy", Double.NEGATIVE_INFINITY);
    m.put("completions/max_length", (int) step * 10);
    m.put("note", "ok");
    m.put("dropped_group", true);
    m.put("missing", null);
    return m;
  }

  @Test
  void writesOneLinePerStepStepFirstInInsertionOrder(@TempDir Path out) throws IOException {
    try (MetricsLog log = MetricsLog.open(out, 0)) {
      for (long step = 1; step <= 3; step++) {
        log.log(step, metrics(step));
        // flushed: the line is in the file before the log is closed
        assertThat(Files.readAllLines(log.file())).hasSize((int) step);
      }
    }
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertThat(lines).containsExactly(
        "{\"step\":1,\"reward\":1.5,\"loss\":0.1,\"kl\":0.001,\"grad_norm\":1.5,"
            + "\"entropy\":\"-Infinity\",\"completions/max_length\":10,\"note\":\"ok\","
            + "\"dropped_group\":true,\"missing\":null}",
        "{\"step\":2,\"reward\":2.5,\"loss\":0.1,\"kl\":\"NaN\",\"grad_norm\":1.5,"
            + "\"entropy\":\"-Infinity\",\"completions/max_length\":20,\"note\":\"ok\","
            + "\"dropped_group\":true,\"missing\":null}",
        "{\"step\":3,\"reward\":3.5,\"loss\":0.1,\"kl\":0.001,\"grad_norm\":\"Infinity\","
            + "\"entropy\":\"-Infinity\",\"completions/max_length\":30,\"note\":\"ok\","
            + "\"dropped_group\":true,\"missing\":null}");

    List<MetricsLog.Row> rows = MetricsLog.read(out.resolve("metrics.jsonl"));
    assertThat(rows).extracting(MetricsLog.Row::step).containsExactly(1L, 2L, 3L);
    MetricsLog.Row second = rows.get(1);
    assertThat(second.values().keySet()).containsExactly("reward", "loss", "kl", "grad_norm",
        "entropy", "completions/max_length", "note", "dropped_group", "missing");
    assertThat(second.number("kl")).isNaN();
    assertThat(second.number("entropy")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(rows.get(2).number("grad_norm")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(second.values().get("completions/max_length")).isEqualTo(20L);
    assertThat(second.number("note")).isNaN();
    assertThat(second.number("absent")).isNaN();
    assertThat(second.values().get("dropped_group")).isEqualTo(true);
  }

  @Test
  void resumeDropsLaterStepsAndAppends(@TempDir Path out) throws IOException {
    try (MetricsLog log = MetricsLog.open(out, 0)) {
      for (long step = 1; step <= 7; step++) {
        log.log(step, Map.of("reward", (double) step));
      }
    }
    Path file = out.resolve("metrics.jsonl");
    String firstFive = String.join("\n", Files.readAllLines(file).subList(0, 5)) + "\n";

    try (MetricsLog log = MetricsLog.open(out, 5)) {
      assertThat(Files.readString(file)).isEqualTo(firstFive);
      log.log(6, Map.of("reward", 60.0));
    }
    assertThat(MetricsLog.read(file)).extracting(MetricsLog.Row::step)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(MetricsLog.read(file).get(5).number("reward")).isEqualTo(60.0);
    // no temporary file left beside it
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("metrics.jsonl");
    }

    // resuming at or after the last step keeps the file byte for byte
    String before = Files.readString(file);
    MetricsLog.open(out, 6).close();
    MetricsLog.open(out, 100).close();
    assertThat(Files.readString(file)).isEqualTo(before);

    // a fresh run (step 0) starts an empty file
    MetricsLog.open(out, 0).close();
    assertThat(Files.readString(file)).isEmpty();
  }

  @Test
  void aLineCutShortByACrashIsDroppedOnResume(@TempDir Path out) throws IOException {
    Path file = out.resolve("metrics.jsonl");
    Files.writeString(file, "{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n{\"step\":3,\"lo");
    assertThat(MetricsLog.read(file)).extracting(MetricsLog.Row::step).containsExactly(1L, 2L);
    try (MetricsLog log = MetricsLog.open(out, 2)) {
      log.log(3, Map.of("loss", 0.3));
    }
    assertThat(Files.readAllLines(file)).containsExactly("{\"step\":1,\"loss\":0.5}",
        "{\"step\":2,\"loss\":0.4}", "{\"step\":3,\"loss\":0.3}");
  }

  @Test
  void aCompleteLastLineWithoutNewlineIsKeptAndTerminated(@TempDir Path out) throws IOException {
    Path file = out.resolve("metrics.jsonl");
    Files.writeString(file, "{\"step\":1,\"loss\":0.5}");
    try (MetricsLog log = MetricsLog.open(out, 1)) {
      log.log(2, Map.of("loss", 0.4));
    }
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .isEqualTo("{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n");
  }

  @Test
  void malformedLineInTheMiddleIsAnErrorNamingFileAndLine(@TempDir Path out) throws IOException {
    Path file = out.resolve("metrics.jsonl");
    Files.writeString(file, "{\"step\":1}\n[1,2]\n{\"step\":3}\n");
    assertThatThrownBy(() -> MetricsLog.open(out, 1)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("line 2");
    Files.writeString(file, "{\"step\":1}\n{\"loss\":1}\n{\"step\":3}\n");
    assertThatThrownBy(() -> MetricsLog.read(file)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("line 2").hasMessageContaining("step");
    assertThatThrownBy(() -> MetricsLog.read(out.resolve("none.jsonl")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("does not exist");
  }

  @Test
  void rejectsAStepMetricAndValuesThatAreNotScalars(@TempDir Path out) {
    try (MetricsLog log = MetricsLog.open(out, 0)) {
      assertThatThrownBy(() -> log.log(1, Map.of("step", 1)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> log.log(1, Map.of("x", List.of(new Object()))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"x\"");
    }
  }
}
