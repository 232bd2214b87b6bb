package dro4j.cli;

import dro4j.data.ExampleFiles;
import dro4j.data.finqa.FinQaSftData;
import dro4j.data.finqa.SyntheticFinQa;
import dro4j.rollout.FinQaToolUseData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j synthetic-finqa}: deterministic FinQA-style SFT examples. */
@Command(
    name = "synthetic-finqa",
    mixinStandardHelpOptions = true,
    description = {
      "Write synthetic FinQA-style examples (dro4j example format, JSON Lines) for SFT and evaluation: field"
          + " 'prompt' is the finqa template's rendering (the FinQA fields are kept too), the reference is"
          + " '<think> the cells used and the steps </think> FinQA program', metadata holds exe_ans, the table"
          + " and 'messages' (user and assistant turns). Example i of a seed is always the same."
    })
final class SyntheticFinQaCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--seed", paramLabel = "S", required = true, description = "Seed (use different seeds for held-out data).")
  long seed;

  @Option(names = "--count", paramLabel = "N", required = true, description = "Number of examples.")
  int count;

  @Option(names = "--operations", paramLabel = "MIN-MAX", defaultValue = "1-2", description = "Program steps (1..2). Default 1-2.")
  String operations;

  @Option(names = "--rows", paramLabel = "MIN-MAX", defaultValue = "2-4", description = "Table rows (2..4). Default 2-4.")
  String rows;

  @Option(names = "--years", paramLabel = "MIN-MAX", defaultValue = "2-3", description = "Year columns (2..3). Default 2-3.")
  String years;

  @Option(names = "--out", paramLabel = "FILE", required = true, description = "Output file (.jsonl, or .json with --format finqa).")
  Path out;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "sft",
      description = "sft: dro4j examples for SFT as above (JSON Lines); finqa: the records in FinQA's own JSON schema"
          + " (a JSON list, what --task finqa and finqa_program read); finqa-tools: tool-use conversations for"
          + " environment finqa_calculator (JSON Lines, dro4j examples whose metadata 'messages' holds the"
          + " environment's first observation, one assistant calculator call per program step with the tool's"
          + " result, and the final answer; 'tools' holds the calculator's schemas), what sft with"
          + " assistant_only_loss trains on. Default sft.")
  String format;

  @Option(names = "--reasoning",
      description = "With --format finqa-tools: the first assistant turn starts with finqa-tiny's own reasoning"
          + " (<think> the cells the program reads and its steps </think>) before its tool call.")
  boolean reasoning;

  @Option(names = "--direct-share", paramLabel = "P", defaultValue = "0",
      description = "With --format finqa-tools: the share of conversations (drawn per example) that answer without"
          + " the calculator, the reasoning then the final number in one assistant turn (implies --reasoning"
          + " for those). Default 0.")
  double directShare;

  @Option(names = "--malformed-call-share", paramLabel = "P", defaultValue = "0",
      description = "With --format finqa-tools: the share of the conversations with calls (drawn per example) in"
          + " which one call is first written malformed (a brace or the closing tag left out, or the arguments"
          + " as a list), answered by the environment's error, then written well-formed: the slips and"
          + " corrections of distilled tool-use data. Default 0.")
  double malformedShare;

  @Override
  public Integer call() {
    int[] o = range("--operations", operations);
    int[] r = range("--rows", rows);
    int[] y = range("--years", years);
    SyntheticFinQa.Settings settings = new SyntheticFinQa.Settings(o[0], o[1], r[0], r[1], y[0], y[1]);
    if (out.toAbsolutePath().getParent() != null) out.toAbsolutePath().getParent().toFile().mkdirs();
    switch (format) {
      case "sft" -> ExampleFiles.writeJsonl(out, FinQaSftData.synthetic(seed, count, settings));
      case "finqa-tools" -> ExampleFiles.writeJsonl(out, FinQaToolUseData.synthetic(seed, count, settings, reasoning, directShare, malformedShare));
      case "finqa" -> {
        com.fasterxml.jackson.databind.node.ArrayNode list = Json.MAPPER.createArrayNode();
        for (dro4j.data.finqa.FinQaRecord rec : SyntheticFinQa.generate(seed, count, settings)) {
          list.add(rec.toJson());
        }
        try {
          java.nio.file.Files.writeString(out, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(list) + "\n");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format must be sft, finqa or finqa-tools, got '" + format + "'");
    }
    spec.commandLine().getOut().println("wrote " + count + " examples to " + out);
    return 0;
  }

  private static int[] range(String option, String text) {
    String[] parts = text.split("-", 2);
    try {
      int min = Integer.parseInt(parts[0].trim());
      return new int[] {min, parts.length == 2 ? Integer.parseInt(parts[1].trim()) : min};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be N or MIN-MAX, got '" + text + "'");
    }
  }
}
