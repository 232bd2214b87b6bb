package dro4j.cli;

import dro4j.BadInputException;
import dro4j.data.pararev.JudgeAgreement;
import dro4j.data.pararev.ParaRevLoader;
import dro4j.data.pararev.ParaRevRecord;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j agreement}: how often a pairwise judge agrees with ParaReval's human annotators. */
@Command(
    name = "agreement",
    mixinStandardHelpOptions = true,
    description = {
      "Measure how often a pairwise judge agrees with the human preferences of ParaReval"
          + " (129 pairs of LLM revisions of 43 scientific paragraphs, Jourdan et al.).",
      "Only pairs where the annotator preferred one revision are scored; a judge tie counts half. Printed beside"
          + " the agreement: the chance baseline (50%) and the majority-class rate (always naming the side the"
          + " annotators preferred more often)."
    })
final class AgreementCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "FILE.jsonl", description = "ParaReval-format JSONL (default: the bundled ParaReval rows).")
  Path data;

  @Option(names = "--heuristic", paramLabel = "NAME", description = "A built-in judge: rougeL (closer to the authors' revision), longer, shorter.")
  String heuristic;

  @Option(names = "--judge-config", paramLabel = "FILE.json",
      description = "A judge reward spec for the reward registry, e.g. {\"name\": \"pairwise_judge\", \"mode\": \"group\", \"base_url\": ..., \"model\": ...}.")
  Path judgeConfig;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    if ((heuristic == null) == (judgeConfig == null)) {
      throw new CommandLine.ParameterException(cli, "give exactly one of --heuristic NAME (rougeL, longer, shorter)"
          + " or --judge-config FILE.json");
    }
    List<ParaRevRecord> rows = ParaRevLoader.records(data != null ? data : bundledParaReval());
    String judgeName;
    JudgeAgreement.PairwiseJudge judge;
    Reward built = null;
    if (heuristic != null) {
      judgeName = heuristic;
      judge = switch (heuristic) {
        case "rougeL" -> JudgeAgreement.closerToReference();
        case "longer" -> JudgeAgreement.byLength(true);
        case "shorter" -> JudgeAgreement.byLength(false);
        default -> throw new CommandLine.ParameterException(cli, "unknown --heuristic '" + heuristic
            + "'; use rougeL, longer or shorter");
      };
    } else {
      Map<String, Object> config = RewardRegistry.readConfig(judgeConfig);
      RewardCommand.requireKnown(cli, RewardRegistry.standard(), String.valueOf(config.get("name")),
          "--judge-config " + judgeConfig);
      built = RewardRegistry.standard().build(config);
      judgeName = built.name();
      judge = JudgeAgreement.fromReward(built, RewardContext.textOnly());
    }
    JudgeAgreement.Result r;
    try {
      r = JudgeAgreement.measure(rows, judge);
    } finally {
      if (built != null) Reward.closeIfNeeded(built);
    }
    PrintWriter out = cli.getOut();
    double majority = majorityRate(rows);
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("judge", judgeName);
      m.put("rows", r.rows());
      m.put("decisive", r.decisive());
      m.put("agreement", r.rate());
      m.put("judge_ties", r.judgeTies());
      m.put("chance", 0.5);
      m.put("majority_class", majority);
      out.println(Json.write(m));
    } else {
      out.printf("judge %s: agrees with the human preference on %.1f%% of %d decisive pairs (%d rows, %d judge ties)%n",
          judgeName, 100 * r.rate(), r.decisive(), r.rows(), r.judgeTies());
      out.printf("baselines: 50.0%% by chance (a coin flip, or a judge that always ties); %.1f%% by always naming the"
          + " revision the annotators preferred more often%n", 100 * majority);
    }
    return 0;
  }

  /** The share of decisive rows whose preferred side is the more common one: a constant judge's agreement. */
  private static double majorityRate(List<ParaRevRecord> rows) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    int decisive = 0;
    for (ParaRevRecord r : rows) {
      if (r.hasHumanJudgement() && r.preference().decisive()) {
        counts.merge(r.preference().name(), 1, Integer::sum);
        decisive++;
      }
    }
    return decisive == 0 ? Double.NaN : counts.values().stream().mapToInt(Integer::intValue).max().orElse(0) / (double) decisive;
  }

  /** The ParaReval rows bundled in the jar (CC0), copied to a temporary file for the loader. */
  static Path bundledParaReval() {
    try (InputStream in = AgreementCommand.class.getResourceAsStream("/dro4j/data/pararev/parareval_second_annotation.jsonl")) {
      if (in == null) {
        throw new IllegalStateException("bundled ParaReval data missing from the jar");
      }
      Path tmp = Files.createTempFile("parareval", ".jsonl");
      tmp.toFile().deleteOnExit();
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      return tmp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
