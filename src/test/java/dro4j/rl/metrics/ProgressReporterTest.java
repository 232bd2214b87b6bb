package dro4j.rl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {

  /** A clock the test moves by hand. */
  static final class FakeClock {
    long nanos = 5_000_000_000L;

    void advanceSeconds(double s) {
      nanos += (long) (s * 1e9);
    }
  }

  private static Map<String, Object> metrics(double reward) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(MetricNames.REWARD, reward);
    m.put(MetricNames.LOSS, 0.0123);
    m.put(MetricNames.KL, 0.00041);
    m.put(MetricNames.TOKENS_PER_SECOND, 1234.4);
    m.put(MetricNames.ENTROPY, 2.0); // not a key number: not shown
    return m;
  }

  @Test
  void linesEveryNStepsWithEtaFromTheRunsOwnPace() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    FakeClock clock = new FakeClock();
    // Resumed at step 10 of 30, 3 s a step, a line every 5 steps.
    try (ProgressReporter p = ProgressReporter.lines(30, 10, 5, out, () -> clock.nanos)) {
      for (long step = 11; step <= 27; step++) {
        clock.advanceSeconds(3);
        p.update(step, metrics(step / 100.0));
      }
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).containsExactly(
        "step 11/30 (36%) | reward 0.1100 | loss 0.01230 | kl 4.100e-04 | tok/s 1234"
            + " | elapsed 0:00:03 | eta 0:00:57",
        "step 15/30 (50%) | reward 0.1500 | loss 0.01230 | kl 4.100e-04 | tok/s 1234"
            + " | elapsed 0:00:15 | eta 0:00:45",
        "step 20/30 (66%) | reward 0.2000 | loss 0.01230 | kl 4.100e-04 | tok/s 1234"
            + " | elapsed 0:00:30 | eta 0:00:30",
        "step 25/30 (83%) | reward 0.2500 | loss 0.01230 | kl 4.100e-04 | tok/s 1234"
            + " | elapsed 0:00:45 | eta 0:00:15",
        // close() prints the last reported step (27), which was not due
        "step 27/30 (90%) | reward 0.2700 | loss 0.01230 | kl 4.100e-04 | tok/s 1234"
            + " | elapsed 0:00:51 | eta 0:00:09");
  }

  @Test
  void lastStepIsAlwaysPrintedOnceAndMissingMetricsAreLeftOut() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    FakeClock clock = new FakeClock();
    try (ProgressReporter p = ProgressReporter.lines(3, 0, 100, out, () -> clock.nanos)) {
      for (long step = 1; step <= 3; step++) {
        clock.advanceSeconds(3600);
        p.update(step, Map.of(MetricNames.LOSS, Double.NaN, MetricNames.KL, "not a number"));
      }
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
        "step 1/3 (33%) | loss nan | elapsed 1:00:00 | eta 2:00:00",
        "step 3/3 (100%) | loss nan | elapsed 3:00:00 | eta 0:00:00");
  }

  @Test
  void numberFormatting() {
    assertThat(ProgressReporter.format(0)).isEqualTo("0");
    assertThat(ProgressReporter.format(0.53201)).isEqualTo("0.5320");
    assertThat(ProgressReporter.format(-12.3456)).isEqualTo("-12.35");
    assertThat(ProgressReporter.format(0.00123456)).isEqualTo("0.001235");
    assertThat(ProgressReporter.format(4.1e-7)).isEqualTo("4.100e-07");
    assertThat(ProgressReporter.format(98765.4)).isEqualTo("98765");
    assertThat(ProgressReporter.format(2.5e12)).isEqualTo("2.500e+12");
    assertThat(ProgressReporter.format(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    assertThat(ProgressReporter.clock(3_725_400_000_000L)).isEqualTo("1:02:05");
  }

  @Test
  void barShowsTheKeyNumbersAndAnEta() {
    List<String> frames = new ArrayList<>();
    try (ProgressReporter p = ProgressReporter.bar(100, 40,
        new DelegatingProgressBarConsumer(frames::add, 200))) {
      p.update(41, metrics(0.75));
      p.update(42, metrics(0.5));
    }
    String last = frames.get(frames.size() - 1);
    // e.g. "train  42% |████▎   |  42/100 steps (0:00:00 / 0:00:02) reward 0.5000 | ..."
    assertThat(last).contains("train").contains("42/100")
        .containsPattern("\\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\)") // (elapsed / ETA)
        .contains("reward 0.5000 | loss 0.01230 | kl 4.100e-04 | tok/s 1234");
  }

  @Test
  void ciOrNoConsoleMeansNoBar() {
    assertThat(ProgressReporter.isInteractive("true", null)).isFalse();
    assertThat(ProgressReporter.isInteractive(null, null)).isFalse();
    // surefire runs without a console, so the detection must say so
    assertThat(ProgressReporter.isInteractive()).isFalse();
  }

  @Test
  void rejectsImpossibleRanges() {
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ProgressReporter.lines(10, 11, 1, out, System::nanoTime))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProgressReporter.lines(10, 0, 0, out, System::nanoTime))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
