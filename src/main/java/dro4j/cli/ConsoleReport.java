package dro4j.cli;

import dro4j.rl.StepListener;
import dro4j.rl.metrics.ProgressReporter;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Progress of a training run: on an interactive terminal a progress bar with ETA and the key numbers
 * ({@link ProgressReporter}); otherwise (redirected output, CI) one line of key numbers per reported
 * step, with elapsed time and ETA.
 */
final class ConsoleReport implements StepListener, AutoCloseable {
  private final PrintWriter out;
  private long totalSteps = -1;
  private final String[] keys;
  private final long start = System.nanoTime();

  /**
   * @param keys the metrics to show, in order, when present; {@code rewards} stands for every
   *     reward's mean ({@code rewards/<name>/mean})
   */
  ConsoleReport(PrintWriter out, String... keys) {
    this.out = out;
    this.keys = keys;
  }

  private ProgressReporter bar;
  private long startStep;

  /** The run's number of steps, shown as "step n/total" once known. */
  void totalSteps(long total) {
    totalSteps(total, 0);
  }

  /** The run's number of steps and the step it starts after (a resumed run); starts the bar on a terminal. */
  void totalSteps(long total, long startStep) {
    this.totalSteps = total;
    this.startStep = startStep;
    if (ProgressReporter.isInteractive()) {
      bar = ProgressReporter.bar(total, startStep, null);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }

  @Override
  public void onStep(long step, Map<String, Object> metrics) {
    if (bar != null) {
      bar.update(step, metrics);
      return;
    }
    StringBuilder sb = new StringBuilder("step " + step + (totalSteps > 0 ? "/" + totalSteps : ""));
    for (String key : keys) {
      if (key.equals("rewards")) {
        for (Map.Entry<String, Object> e : metrics.entrySet()) {
          String k = e.getKey();
          if (k.startsWith("rewards/") && k.endsWith("/mean")) {
            sb.append("  ").append(k, 8, k.length() - 5).append(' ').append(format(e.getValue()));
          }
        }
        continue;
      }
      Object v = metrics.get(key);
      if (v != null) sb.append("  ").append(key).append(' ').append(format(v));
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    sb.append(String.format(Locale.ROOT, "  %.1fs", elapsed));
    if (totalSteps > 0 && step > startStep && step < totalSteps) {
      double eta = elapsed / (step - startStep) * (totalSteps - step);
      sb.append(String.format(Locale.ROOT, "  eta %.0fs", eta));
    }
    out.println(sb);
    out.flush();
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      double a = Math.abs(d);
      return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.2e", d) : String.format(Locale.ROOT, "%.4f", d);
    }
    return String.valueOf(v);
  }
}
