package dro4j.cli;

import dro4j.rl.TrainingSummary;
import dro4j.rl.checkpoint.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a finished {@code train} run leaves for a person in its {@code output_dir}: {@code
 * summary.json} ({@code {"task", "rewards", "steps", "seconds", "eval_before", "eval_after",
 * "checkpoint"}}, the evaluations as {@code {"pass@1", ...}} or null when none ran) and {@code
 * report.md} (what ran, the curves, the before/after table, where the trained model is).
 */
final class RunReport {
  static final String SUMMARY = "summary.json";
  static final String REPORT = "report.md";

  private RunReport() {}

  /** The run's outcome, everything the two files say. */
  record Outcome(String task, String model, List<String> rewards, TrainingSummary summary,
      Map<String, Object> evalBefore, Map<String, Object> evalAfter, Path outputDir, String settings) {}

  /** Writes both files and returns the summary written. */
  static Map<String, Object> write(Outcome o) {
    Path checkpoint = Checkpoints.latest(o.outputDir()).orElse(null);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("task", o.task());
    summary.put("rewards", o.rewards());
    summary.put("steps", o.summary().steps());
    summary.put("seconds", o.summary().seconds());
    summary.put("eval_before", evaluation(o.evalBefore()));
    summary.put("eval_after", evaluation(o.evalAfter()));
    summary.put("checkpoint", checkpoint == null ? null : checkpoint.toAbsolutePath().toString());
    try {
      Files.createDirectories(o.outputDir());
      Files.writeString(o.outputDir().resolve(SUMMARY), Json.MAPPER.writerWithDefaultPrettyPrinter()
          .writeValueAsString(summary) + "\n");
      Files.writeString(o.outputDir().resolve(REPORT), markdown(o, summary, checkpoint));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return summary;
  }

  /** {@code eval/pass@1 -> pass@1}; null stays null. */
  static Map<String, Object> evaluation(Map<String, Object> metrics) {
    if (metrics == null) return null;
    Map<String, Object> out = new LinkedHashMap<>();
    metrics.forEach((k, v) -> out.put(k.startsWith("eval/") ? k.substring("eval/".length()) : k, v));
    return out;
  }

  private static String markdown(Outcome o, Map<String, Object> summary, Path checkpoint) {
    StringBuilder md = new StringBuilder();
    md.append("# dro4j train: ").append(o.task() == null ? "run" : o.task()).append("\n\n");
    md.append(String.format(Locale.ROOT, "- model: `%s`%n- rewards: %s%n- steps: %d in %.1f s (%d updates skipped)%n",
        o.model(), o.rewards(), o.summary().steps(), o.summary().seconds(), o.summary().skippedUpdates()));
    md.append("- ").append(o.settings()).append(" (`dro4j train --print-config` with the same arguments lists them all)\n\n");

    md.append("## Held-out evaluation\n\n");
    Map<String, Object> before = evaluation(o.evalBefore());
    Map<String, Object> after = evaluation(o.evalAfter());
    if (before == null && after == null) {
      md.append("No evaluation ran (set `eval_dataset` with `eval_strategy: steps` and `eval_on_start: true`).\n\n");
    } else {
      TreeSet<String> keys = new TreeSet<>();
      if (before != null) keys.addAll(before.keySet());
      if (after != null) keys.addAll(after.keySet());
      keys.remove("seconds");
      md.append("| metric | before | after |\n|---|---|---|\n");
      for (String k : keys) {
        md.append("| ").append(k).append(" | ").append(cell(before, k)).append(" | ").append(cell(after, k)).append(" |\n");
      }
      md.append('\n');
      if (before != null && after != null && before.get("pass@1") instanceof Number b && after.get("pass@1") instanceof Number a) {
        double delta = a.doubleValue() - b.doubleValue();
        md.append(String.format(Locale.ROOT, "pass@1 moved by %+.4f. ", delta));
        md.append(Math.abs(delta) < 1e-12 ? "Training did not change it in this budget."
            : "One run on a small held-out set: a change of a few examples can be noise; compare seeds"
                + " before reading it as an effect.").append("\n\n");
      }
    }

    md.append("## Curves\n\n");
    List<Path> plots = plots(o.outputDir().resolve("plots"));
    if (plots.isEmpty()) {
      md.append("No plots were drawn.\n\n");
    } else {
      for (Path p : plots) {
        String rel = o.outputDir().relativize(p).toString().replace('\\', '/');
        md.append("![").append(p.getFileName()).append("](").append(rel).append(")\n");
      }
      md.append('\n');
    }
    md.append("All metrics per step: `metrics.jsonl`.\n\n");
    md.append("## The trained model\n\n");
    if (checkpoint == null) {
      md.append("No checkpoint was written.\n");
    } else {
      md.append("`").append(checkpoint.toAbsolutePath()).append("`, a Hugging Face folder: `dro4j eval --model ")
          .append(checkpoint.toAbsolutePath()).append(" ...` or `generate --model` use it as it is.\n");
    }
    return md.toString();
  }

  private static String cell(Map<String, Object> m, String key) {
    if (m == null || !m.containsKey(key)) return "";
    Object v = m.get(key);
    return v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
  }

  private static List<Path> plots(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return new ArrayList<>(s.filter(p -> p.toString().endsWith(".png")).sorted().toList());
    } catch (IOException e) {
      return List.of();
    }
  }
}
