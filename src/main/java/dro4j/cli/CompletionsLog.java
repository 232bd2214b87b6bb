package dro4j.cli;

import dro4j.rl.CompletionsListener;
import dro4j.rl.metrics.MetricsLog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code log_completions}: each logged step's rollouts as lines {@code {"step", "prompt", "completion",
 * "rewards": {name: value}, "advantage"}} (a multi-turn trajectory adds {@code "turns"}, see {@link
 * CompletionsListener.Row#turns()}) of {@code <output_dir>/completions.jsonl} (a resumed run first
 * drops the lines after its checkpoint's step), and a table of the first {@value #SHOWN} on the console.
 */
final class CompletionsLog implements CompletionsListener, AutoCloseable {
  /** The file name inside the output folder. */
  static final String FILE_NAME = "completions.jsonl";

  /** Rows printed per logged step. */
  static final int SHOWN = 4;

  private final PrintWriter out;
  private final Path outputDir;
  private final long resumeStep;
  private MetricsLog log;

  CompletionsLog(PrintWriter out, Path outputDir, long resumeStep) {
    this.out = out;
    this.outputDir = outputDir;
    this.resumeStep = resumeStep;
  }

  @Override
  public synchronized void onCompletions(long step, List<Row> rows) {
    if (log == null) log = MetricsLog.open(outputDir, FILE_NAME, resumeStep);
    for (Row r : rows) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("prompt", r.prompt());
      line.put("completion", r.completion());
      line.put("rewards", r.rewards());
      line.put("advantage", r.advantage());
      if (r.turns() != null) line.put("turns", r.turns());
      log.log(step, line);
    }
    out.printf("completions of step %d (%d of %d; all in %s):%n", step, Math.min(SHOWN, rows.size()), rows.size(),
        outputDir.resolve(FILE_NAME));
    out.printf("  %-30s | %-40s | %-24s | %s%n", "prompt", "completion", "rewards", "advantage");
    for (Row r : rows.subList(0, Math.min(SHOWN, rows.size()))) {
      StringBuilder rewards = new StringBuilder();
      r.rewards().forEach((k, v) -> rewards.append(rewards.length() == 0 ? "" : " ").append(k).append('=')
          .append(String.format(Locale.ROOT, "%.3f", v)));
      out.printf("  %-30s | %-40s | %-24s | %s%n", clip(r.prompt(), 30), clip(r.completion(), 40),
          clip(rewards.toString(), 24), r.advantage() == null ? "-" : String.format(Locale.ROOT, "%+.3f", r.advantage()));
    }
    out.flush();
  }

  /** The text on one line, cut to {@code width} characters with an ellipsis. */
  private static String clip(String text, int width) {
    String one = text.replaceAll("\\s+", " ").strip();
    return one.length() <= width ? one : one.substring(0, width - 3) + "...";
  }

  @Override
  public synchronized void close() {
    if (log != null) log.close();
  }
}
