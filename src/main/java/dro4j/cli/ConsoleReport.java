package dro4j.cli;

import dro4j.rl.StepListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/** One line of key numbers per reported training step, for a terminal. */
final class ConsoleReport implements StepListener {
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

  /** The run's number of steps, shown as "step n/total" once known. */
  void totalSteps(long total) {
    this.totalSteps = total;
  }

  @Override
  public void onStep(long step, Map<String, Object> metrics) {
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
    sb.append(String.format(Locale.ROOT, "  %.1fs", (System.nanoTime() - start) / 1e9));
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
