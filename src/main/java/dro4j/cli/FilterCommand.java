package dro4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.filter.DynamicFilter;
import dro4j.data.filter.FilterConfig;
import dro4j.data.filter.FilterRunner;
import dro4j.data.filter.PromptStatistics;
import dro4j.data.prompt.PromptTemplate;
import dro4j.rl.metrics.ProgressReporter;
import dro4j.task.Task;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dro4j filter}: R3-based dynamic data filtering of a data file with a model (DRO section 3.3),
 * writing the kept and dropped examples with their statistics and a summary. See {@link FilterRunner}.
 */
@Command(
    name = "filter",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "R3-based dynamic data filtering (DRO, arXiv 2506.13351, section 3.3).",
      "For each example, sample N reasonings with the model and score the reference",
      "answer after each one. Stage 1 drops examples out of reach: for every sample,",
      "the average of its worst rho share of reference-token ranks is above K.",
      "Stage 2 drops the F share of the rest with the lowest max_j sigma_j (the",
      "reference barely depends on the reasoning).",
      "",
      "Writes to --out DIR (the summary is also printed):",
      "  kept.jsonl     the next training set: kept examples, then the ones carried",
      "                 forward from --previous (give it as --previous next round)",
      "  dropped.jsonl  the dropped examples",
      "  summary.json   counts per decision, thresholds, sampling, timing",
      "Each line: an example {\"id\", \"fields\", \"reference\", \"metadata\"} plus",
      "  \"filter\": {\"decision\": kept | dropped_out_of_reach |",
      "             dropped_low_variation | carried_forward,",
      "             \"best_worst_rank_average\", \"max_sigma\",",
      "             \"worst_rank_averages\": [one per sample], \"reference_tokens\"}",
      "Statistics are absent for a carried example that was not a candidate; an",
      "empty reference's rank average is null.",
      ""
    })
class FilterCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "FILE", required = true, description = "The candidate examples.")
  Path data;

  @Mixin TaskOptions taskOptions;

  @Mixin ModelOption model;
  @Mixin AdapterOption adapter;

  @Option(names = "--reasoning-end", paramLabel = "TEXT",
      description = "Override the template's end of reasoning (default </think>; plain has none): sampling stops"
          + " there and the reference is scored right after it; empty: none. A sample without it is all reasoning.")
  String reasoningEnd;

  @Option(names = "--samples", paramLabel = "N", description = "Reasonings sampled per example (default: 16).")
  Integer samples;

  @Option(names = "--worst-rank-fraction", paramLabel = "R",
      description = "rho: share of worst reference-token ranks averaged per sample (default: 0.1).")
  Double worstRankFraction;

  @Option(names = "--rank-threshold", paramLabel = "K",
      description = "Stage 1 keeps an example when some sample's worst-rank average is <= K (default: 10).")
  Double rankThreshold;

  @Option(names = "--drop-low-variation", paramLabel = "F",
      description = "Stage 2 drops this share of stage-1 survivors with the lowest max sigma (default: 0.2).")
  Double dropLowVariation;

  @Option(names = "--carry-forward", paramLabel = "F",
      description = "Share of --previous carried into the training set (default: 0.1).")
  Double carryForward;

  @Option(names = "--previous", paramLabel = "FILE",
      description = "The previous round's training set in dro4j's format (e.g. its kept.jsonl).")
  Path previous;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of sampling and the carry-forward draw (default: 0).")
  Long seed;

  @Option(names = "--round", paramLabel = "R", defaultValue = "0",
      description = "Filter round, mixed into the seeds so rounds sample differently (default: ${DEFAULT-VALUE}).")
  long round;

  @Option(names = "--limit", paramLabel = "N", description = "Filter only the first N examples.")
  Integer limit;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "" + FilterRunner.DEFAULT_MAX_NEW_TOKENS,
      description = "Reasoning budget per sample, in tokens (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for kept.jsonl, dropped.jsonl, summary.json.")
  Path out;

  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    Task t = taskOptions.task(cli);
    if (limit != null && limit < 1) {
      throw new CommandLine.ParameterException(cli, "--limit must be at least 1");
    }
    if (carryForward != null && carryForward > 0 && previous == null) {
      throw new CommandLine.ParameterException(cli, "--carry-forward needs --previous FILE (the last training set)");
    }
    FilterConfig defaults = FilterConfig.defaults();
    FilterConfig config = new FilterConfig(
        samples != null ? samples : defaults.samplesPerPrompt(),
        worstRankFraction != null ? worstRankFraction : defaults.worstRankFraction(),
        rankThreshold != null ? rankThreshold : defaults.rankThreshold(),
        dropLowVariation != null ? dropLowVariation : defaults.lowVariationDropFraction(),
        carryForward != null ? carryForward : defaults.carryForwardFraction(),
        0,
        seed != null ? seed : defaults.seed());
    PromptTemplate prompt = taskOptions.template(t);
    if (reasoningEnd != null) {
      prompt = new PromptTemplate(prompt.name(), prompt.system(), prompt.user(), reasoningEnd.isEmpty() ? null : reasoningEnd);
    }
    FilterRunner.Options options = FilterRunner.Options.of(prompt, maxNewTokens, taskOptions.maxPromptLength());

    List<Example> candidates = t.load(data);
    if (limit != null && candidates.size() > limit) {
      candidates = candidates.subList(0, limit);
    }
    List<Example> previousSet = previous == null ? List.of() : ExampleFiles.read(previous);

    Filtered f = filter(config, options, candidates, previousSet);
    FilterRunner.Result result = f.result();
    Map<String, Object> summary = summary(config, options, prompt, f.model(), candidates.size(), previousSet.size(),
        result, f.loadSeconds(), f.filterSeconds());
    write(result.round(), summary);
    taskOptions.reportTruncated(cli, result.truncatedPrompts(), candidates.size());
    warnIfFewKept(cli, result.round(), candidates.size(), config.rankThreshold());
    cli.getOut().println(Json.writePretty(summary));
    return 0;
  }

  /** A filter round, the folder of the model that ran it and how long loading and filtering took. */
  record Filtered(FilterRunner.Result result, Path model, double loadSeconds, double filterSeconds) {}

  /**
   * Filters {@code candidates} (loaded and limited) in this JVM with a progress bar; dro4j-spark's
   * {@code filter} overrides this to run them on a cluster.
   */
  Filtered filter(FilterConfig config, FilterRunner.Options options, List<Example> candidates, List<Example> previousSet) {
    long t0 = System.nanoTime();
    try (LanguageModel lm = adapter.load(model)) {
      double loadSeconds = seconds(t0);
      long t1 = System.nanoTime();
      FilterRunner.Result result;
      try (ProgressReporter progress = ProgressReporter.create("filter", "examples", Math.max(1, candidates.size()),
          Math.max(1, candidates.size() / 10))) {
        result = new FilterRunner(config, options).run(lm, candidates, previousSet, round,
            done -> progress.update(done, Map.of()));
      } catch (BadInputException e) {
        throw e.file() == null ? new BadInputException(data, e.getMessage(), e) : e;
      }
      return new Filtered(result, lm.directory(), loadSeconds, seconds(t1));
    }
  }

  private Map<String, Object> summary(FilterConfig config, FilterRunner.Options options, PromptTemplate prompt,
      Path modelDir, int candidates, int previousCount, FilterRunner.Result result, double loadSeconds,
      double filterSeconds) {
    DynamicFilter.Round r = result.round();
    Map<String, Object> counts = new LinkedHashMap<>();
    for (DynamicFilter.Decision d : DynamicFilter.Decision.values()) {
      counts.put(key(d), r.count(d));
    }
    Map<String, Object> thresholds = new LinkedHashMap<>();
    thresholds.put("samples_per_prompt", config.samplesPerPrompt());
    thresholds.put("worst_rank_fraction", config.worstRankFraction());
    thresholds.put("rank_threshold", config.rankThreshold());
    thresholds.put("low_variation_drop_fraction", config.lowVariationDropFraction());
    thresholds.put("carry_forward_fraction", config.carryForwardFraction());
    thresholds.put("max_sigma_cutoff", maxSigmaCutoff(r));
    Map<String, Object> sampling = new LinkedHashMap<>();
    sampling.put("template", prompt.name());
    sampling.put("reasoning_end", prompt.reasoningEnd());
    sampling.put("max_prompt_length", options.maxPromptLength());
    sampling.put("truncated_prompts", result.truncatedPrompts());
    sampling.put("max_new_tokens", options.sampling().maxNewTokens());
    sampling.put("temperature", options.sampling().temperature());
    sampling.put("top_p", options.sampling().topP());
    sampling.put("seed", config.seed());
    sampling.put("round", round);
    sampling.put("samples", result.samples());
    sampling.put("samples_with_split", result.samplesWithSplit());
    Map<String, Object> timing = new LinkedHashMap<>();
    timing.put("model_load_s", loadSeconds);
    timing.put("filter_s", filterSeconds);
    timing.put("per_example_s", candidates == 0 ? null : filterSeconds / candidates);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("data", data.toString());
    s.put("task", taskOptions.task);
    s.put("model", modelDir.toString());
    if (adapter.directory != null) s.put("adapter", adapter.directory.toString());
    s.put("previous", previous == null ? null : previous.toString());
    s.put("candidates", candidates);
    s.put("previous_examples", previousCount);
    s.put("training_set", r.trainingSet().size());
    s.put("counts", counts);
    s.put("thresholds", thresholds);
    s.put("sampling", sampling);
    s.put("timing", timing);
    return s;
  }

  /**
   * Warns on standard error when the round keeps under {@value #FEW_KEPT_PERCENT}% of the candidates,
   * and says so plainly when it keeps none, with the counts of each reason.
   */
  private static void warnIfFewKept(CommandLine cli, DynamicFilter.Round r, int candidates, double rankThreshold) {
    long kept = r.count(DynamicFilter.Decision.KEPT);
    if (candidates == 0 || kept * 100 >= (long) FEW_KEPT_PERCENT * candidates) return;
    String why = r.count(DynamicFilter.Decision.DROPPED_OUT_OF_REACH) + " out of reach (no sample brings the reference"
        + " within --rank-threshold " + rankThreshold + "), " + r.count(DynamicFilter.Decision.DROPPED_LOW_VARIATION)
        + " low variation";
    if (kept == 0) {
      cli.getErr().printf("warning: this round keeps none of the %d examples (%s): the model cannot reach these"
          + " references; try a stronger model, more --samples or a larger --rank-threshold%n", candidates, why);
    } else {
      cli.getErr().printf("warning: this round keeps only %d of %d examples (%.0f%%, under %d%%; %s)%n", kept, candidates,
          100.0 * kept / candidates, FEW_KEPT_PERCENT, why);
    }
    cli.getErr().flush();
  }

  /** Below this share of kept candidates a round is warned about. */
  static final int FEW_KEPT_PERCENT = 10;

  /** The largest max sigma among low-variation drops: stage 2's effective cut (null when none dropped). */
  private static Double maxSigmaCutoff(DynamicFilter.Round r) {
    Double cut = null;
    for (DynamicFilter.Outcome o : r.outcomes()) {
      if (o.decision() == DynamicFilter.Decision.DROPPED_LOW_VARIATION) {
        cut = cut == null ? o.statistics().maxSigma() : Math.max(cut, o.statistics().maxSigma());
      }
    }
    return cut;
  }

  private void write(DynamicFilter.Round r, Map<String, Object> summary) {
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new BadInputException(out, "cannot create the output folder: " + e.getMessage(), e);
    }
    // A carried example that was also a candidate this round keeps its fresh statistics.
    Map<String, PromptStatistics> stats = new HashMap<>();
    for (DynamicFilter.Outcome o : r.outcomes()) {
      if (o.statistics() != null) {
        stats.putIfAbsent(o.example().id(), o.statistics());
      }
    }
    List<String> kept = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (DynamicFilter.Outcome o : r.outcomes()) {
      String line = Json.write(line(o.example(), o.decision(), stats.get(o.example().id())));
      boolean keep = o.decision() == DynamicFilter.Decision.KEPT || o.decision() == DynamicFilter.Decision.CARRIED_FORWARD;
      (keep ? kept : dropped).add(line);
    }
    writeLines(out.resolve("kept.jsonl"), kept);
    writeLines(out.resolve("dropped.jsonl"), dropped);
    writeLines(out.resolve("summary.json"), List.of(Json.writePretty(summary)));
  }

  /** One output line: the example as {@link ExampleFiles#toJson} writes it, plus its {@code filter} object. */
  static ObjectNode line(Example example, DynamicFilter.Decision decision, PromptStatistics s) {
    ObjectNode node = ExampleFiles.toJson(example);
    ObjectNode f = node.putObject("filter");
    f.put("decision", key(decision));
    if (s != null) {
      putFinite(f, "best_worst_rank_average", s.bestWorstRankAverage());
      putFinite(f, "max_sigma", s.maxSigma());
      var worst = f.putArray("worst_rank_averages");
      for (double w : s.worstRankAverages()) {
        if (Double.isFinite(w)) {
          worst.add(w);
        } else {
          worst.addNull();
        }
      }
      f.put("reference_tokens", s.sigma().length);
    }
    return node;
  }

  private static void putFinite(ObjectNode node, String name, double v) {
    if (Double.isFinite(v)) {
      node.put(name, v);
    } else {
      node.putNull(name);
    }
  }

  static String key(DynamicFilter.Decision d) {
    return d.name().toLowerCase(Locale.ROOT);
  }

  private static void writeLines(Path file, List<String> lines) {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String l : lines) {
        w.write(l);
        w.write('\n');
      }
    } catch (IOException e) {
      throw new BadInputException(file, "cannot write: " + e.getMessage(), e);
    }
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
