package dro4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.data.prompt.PromptTemplates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The tables of the miniature DRO replication ({@code scripts/replicate-dro.sh}) from its run folders:
 * {@code OUT/<arm>-seed<S>/} with {@code metrics.jsonl}, {@code completions.jsonl} (absent for the SFT
 * start, which is only evaluated) and {@code eval/summary.json}. Prints Markdown: pass@k of the last
 * checkpoint per arm (mean and sample standard deviation over seeds), greedy held-out pass@1 during
 * training and the training time until it first reaches the threshold, and the mean reasoning length
 * (words before {@code </think>}) early and late in training.
 *
 * <pre>java -cp dro4j.jar dro4j.bench.ReplicationReport OUT_DIR THRESHOLD</pre>
 */
public final class ReplicationReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Steps averaged at each end of training for the reasoning length. */
  static final int LENGTH_WINDOW = 5;

  private ReplicationReport() {}

  /** One run: an arm at a seed. */
  record Run(String arm, int seed, Map<String, Double> passAtK, List<EvalPoint> greedy, List<StepRecord> steps) {}

  /** A greedy held-out evaluation after {@code step} optimizer steps (0: the start). */
  record EvalPoint(int step, double passAt1) {}

  /**
   * One training step: its seconds (generation, rewards, update and any filter round in it; evaluation
   * excluded), the filter's share of them, and the mean reasoning length of its rollouts in words.
   */
  record StepRecord(int step, double seconds, double filterSeconds, double reasoningWords) {}

  /** The first step whose greedy pass@1 reaches {@code threshold} (0 for the start), or -1. */
  static int stepsToThreshold(List<EvalPoint> greedy, double threshold) {
    for (EvalPoint p : greedy) {
      if (p.passAt1() >= threshold - 1e-12) return p.step();
    }
    return -1;
  }

  /** Training seconds (filter rounds included, evaluations excluded) of steps 1..{@code step}. */
  static double secondsUntil(List<StepRecord> steps, int step) {
    return steps.stream().filter(s -> s.step() <= step).mapToDouble(StepRecord::seconds).sum();
  }

  /** Words of the reasoning (before the last {@code </think>}; all words when there is none). */
  static int reasoningWords(String completion) {
    int end = completion.lastIndexOf(PromptTemplates.THINK_END);
    String reasoning = (end < 0 ? completion : completion.substring(0, end)).replace("<think>", " ").strip();
    return reasoning.isEmpty() ? 0 : reasoning.split("\\s+").length;
  }

  /** Mean and sample standard deviation ("mean ± sd"; the mean alone for one value; NaN values left out). */
  static String meanSd(List<Double> all) {
    List<Double> values = all.stream().filter(v -> !v.isNaN()).toList();
    if (values.isEmpty()) return "–";
    double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    if (values.size() == 1) return fmt(mean);
    double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
    return fmt(mean) + " ± " + fmt(Math.sqrt(ss / (values.size() - 1)));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.3f", v);
  }

  /** Reads every run folder under {@code out} (named {@code <arm>-seed<S>} with an eval summary). */
  static List<Run> read(Path out) {
    List<Run> runs = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(out)) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        String name = dir.getFileName().toString();
        int at = name.lastIndexOf("-seed");
        if (at < 0 || !Files.exists(dir.resolve("eval/summary.json"))) continue;
        runs.add(readRun(dir, name.substring(0, at), Integer.parseInt(name.substring(at + 5))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return runs;
  }

  private static Run readRun(Path dir, String arm, int seed) throws IOException {
    Map<String, Double> passAtK = new TreeMap<>();
    JsonNode summary = JSON.readTree(dir.resolve("eval/summary.json").toFile());
    summary.fields().forEachRemaining(f -> {
      if (f.getKey().startsWith("pass@")) passAtK.put(f.getKey(), f.getValue().asDouble());
    });
    Map<Integer, List<Integer>> words = new TreeMap<>();
    Path completions = dir.resolve("completions.jsonl");
    if (Files.exists(completions)) {
      for (JsonNode line : lines(completions)) {
        words.computeIfAbsent(line.get("step").asInt(), k -> new ArrayList<>())
            .add(reasoningWords(line.get("completion").asText()));
      }
    }
    List<EvalPoint> greedy = new ArrayList<>();
    List<StepRecord> steps = new ArrayList<>();
    Path metrics = dir.resolve("metrics.jsonl");
    if (Files.exists(metrics)) {
      for (JsonNode m : lines(metrics)) {
        int step = m.get("step").asInt();
        if (m.has("eval_start/pass@1")) greedy.add(new EvalPoint(0, m.get("eval_start/pass@1").asDouble()));
        if (m.has("eval/pass@1")) greedy.add(new EvalPoint(step, m.get("eval/pass@1").asDouble()));
        if (m.has("time/step")) {
          List<Integer> w = words.getOrDefault(step, List.of());
          // the first step's time includes the evaluation before training, which is not training time
          double seconds = m.get("time/step").asDouble() - m.path("eval_start/seconds").asDouble(0);
          steps.add(new StepRecord(step, seconds, m.path("filter/seconds").asDouble(0),
              w.stream().mapToInt(Integer::intValue).average().orElse(Double.NaN)));
        }
      }
    }
    return new Run(arm, seed, passAtK, greedy, steps);
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    int no = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      no++;
      if (line.isBlank()) continue;
      try {
        out.add(JSON.readTree(line));
      } catch (IOException e) {
        throw new BadInputException(file, "line " + no + " is not JSON: " + e.getMessage());
      }
    }
    return out;
  }

  /** The Markdown tables of {@code runs}. */
  static String report(List<Run> runs, double threshold) {
    Map<String, List<Run>> byArm = new TreeMap<>(ReplicationReport::armOrder);
    for (Run r : runs) byArm.computeIfAbsent(r.arm(), k -> new ArrayList<>()).add(r);
    List<String> ks = runs.stream().flatMap(r -> r.passAtK().keySet().stream()).distinct()
        .sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(5)), Integer.parseInt(b.substring(5)))).toList();
    StringBuilder md = new StringBuilder();
    md.append("### Held-out pass@k of the last checkpoint (mean ± sd over seeds)\n\n| arm | seeds |");
    ks.forEach(k -> md.append(' ').append(k).append(" |"));
    md.append("\n|---|---|").append("---|".repeat(ks.size())).append('\n');
    byArm.forEach((arm, rs) -> {
      md.append("| ").append(arm).append(" | ").append(seeds(rs)).append(" |");
      for (String k : ks) md.append(' ').append(meanSd(rs.stream().filter(r -> r.passAtK().containsKey(k)).map(r -> r.passAtK().get(k)).toList())).append(" |");
      md.append('\n');
    });
    md.append(String.format(Locale.ROOT, "%n### Greedy held-out pass@1 during training; time until it first reaches %.4f%n%n", threshold));
    md.append("| arm | seed | pass@1 by step | first step >= threshold | training s until then | training s total | filter s |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    byArm.forEach((arm, rs) -> {
      for (Run r : rs) {
        if (r.steps().isEmpty()) continue;
        int hit = stepsToThreshold(r.greedy(), threshold);
        StringBuilder curve = new StringBuilder();
        for (EvalPoint p : r.greedy()) curve.append(curve.length() == 0 ? "" : ", ").append(p.step()).append(": ").append(fmt(p.passAt1()));
        double total = secondsUntil(r.steps(), Integer.MAX_VALUE);
        double filter = r.steps().stream().mapToDouble(StepRecord::filterSeconds).sum();
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.0f | %.0f |%n", arm, r.seed(), curve,
            hit < 0 ? "not reached" : Integer.toString(hit), hit < 0 ? "–" : String.format(Locale.ROOT, "%.0f", secondsUntil(r.steps(), hit)),
            total, filter));
      }
    });
    md.append(String.format(Locale.ROOT, "%n### Mean reasoning length (words before </think>) over training, first and last %d steps%n%n", LENGTH_WINDOW));
    md.append("| arm | seeds | first steps | last steps |\n|---|---|---|---|\n");
    byArm.forEach((arm, rs) -> {
      List<Run> trained = rs.stream().filter(r -> !r.steps().isEmpty()).toList();
      if (trained.isEmpty()) return;
      List<Double> first = new ArrayList<>();
      List<Double> last = new ArrayList<>();
      for (Run r : trained) {
        List<StepRecord> s = r.steps();
        first.add(meanWords(s.subList(0, Math.min(LENGTH_WINDOW, s.size()))));
        last.add(meanWords(s.subList(Math.max(0, s.size() - LENGTH_WINDOW), s.size())));
      }
      md.append("| ").append(arm).append(" | ").append(seeds(trained)).append(" | ").append(meanSd(first))
          .append(" | ").append(meanSd(last)).append(" |\n");
    });
    return md.toString();
  }

  private static double meanWords(List<StepRecord> steps) {
    return steps.stream().mapToDouble(StepRecord::reasoningWords).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
  }

  private static String seeds(List<Run> runs) {
    return String.join(" ", runs.stream().map(r -> Integer.toString(r.seed())).toList());
  }

  /** The script's arm order first, then any other arm by name. */
  private static int armOrder(String a, String b) {
    List<String> order = List.of("sft", "r3", "r3_nofilter", "aggr", "binary");
    int ia = order.indexOf(a);
    int ib = order.indexOf(b);
    if (ia < 0 && ib < 0) return a.compareTo(b);
    if (ia < 0) return 1;
    if (ib < 0) return -1;
    return Integer.compare(ia, ib);
  }

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: ReplicationReport OUT_DIR THRESHOLD");
      System.exit(2);
    }
    System.out.print(report(read(Path.of(args[0])), Double.parseDouble(args[1])));
  }
}
