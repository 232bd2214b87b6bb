package dro4j.cli;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.eval.EvalFiles;
import dro4j.eval.EvalOptions;
import dro4j.eval.Evaluator;
import dro4j.rl.metrics.ProgressReporter;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dro4j eval}: samples completions of a task's examples with a model, judges them with the
 * task's metric and writes {@code results.jsonl} and {@code summary.json} (see {@link Evaluator}).
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Evaluate a model on a task: N completions per example, judged by the task's metric.",
      "Prompts are built as filter and train build them (the task's template, the model's chat template,",
      "max prompt length). Each example samples with a seed derived from (--seed, its id), so results do not",
      "depend on --limit or the order of the file.",
      "",
      "Writes to --out DIR (the summary is also printed):",
      "  results.jsonl  one line per example: {\"id\", \"reference\", \"completions\":",
      "                 [{\"text\", \"answer\", \"correct\", \"tokens\"}], \"prompt_tokens\"}; answer: the extracted",
      "                 answer or null; pararev adds \"score\" (ROUGE-L F1) and \"length_ratio\",",
      "                 with correct null",
      "  summary.json   {\"task\", \"n\", \"samples\", \"pass@1\", \"pass@2\", ... (powers of two <= N),",
      "                 \"mean_completion_tokens\", \"seconds\"}; pararev: \"rougeL\" and",
      "                 \"length_ratio\" instead of pass@k",
      ""
    })
class EvalCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin TaskOptions taskOptions;

  @Option(names = "--data", paramLabel = "FILE", required = true, description = "The examples, in the task's format.")
  Path data;

  @Mixin ModelOption model;
  @Mixin AdapterOption adapter;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "1",
      description = "Completions per example (default: ${DEFAULT-VALUE}, decoded greedily).")
  int samples;

  @Option(names = "--temperature", paramLabel = "T",
      description = "Sampling temperature (default: greedy for one sample, else 1.0).")
  Double temperature;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling (default: 1.0, off).")
  Double topP;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "" + EvalOptions.DEFAULT_MAX_NEW_TOKENS,
      description = "Most tokens per completion (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of sampling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N examples.")
  Integer limit;

  @Option(names = "--overwrite", description = "Replace the results already in --out.")
  boolean overwrite;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for results.jsonl and summary.json.")
  Path out;

  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    Task t = taskOptions.task(cli);
    if (limit != null && limit < 1) throw new CommandLine.ParameterException(cli, "--limit must be at least 1");
    if (samples < 1) throw new CommandLine.ParameterException(cli, "--samples must be at least 1");
    EvalOptions options = new EvalOptions(samples, temperature, topP, maxNewTokens, seed, taskOptions.maxPromptLength());
    EvalFiles.checkWritable(out, overwrite);
    List<Example> examples = t.load(data);
    if (limit != null && examples.size() > limit) examples = examples.subList(0, limit);
    if (examples.isEmpty()) throw new BadInputException(data, "has no examples");

    Evaluated evaluated = evaluate(cli, t, options, examples);
    Evaluator.Evaluation result = evaluated.evaluation();
    Path modelDir = evaluated.model();
    EvalFiles.write(out, result.results(), result.summary());
    Map<String, Object> printed = new LinkedHashMap<>(result.summary());
    printed.put("model", modelDir.toString());
    if (adapter.directory != null) printed.put("adapter", adapter.directory.toString());
    printed.put("out", out.toString());
    cli.getOut().println(Json.writePretty(printed));
    return 0;
  }

  /** An evaluation and the folder of the model that ran it. */
  record Evaluated(Evaluator.Evaluation evaluation, Path model) {}

  /**
   * Evaluates {@code examples} (loaded, limited, not empty) in this JVM, reporting progress and cut
   * prompts; dro4j-spark's {@code eval} overrides this to run them on a cluster.
   */
  Evaluated evaluate(CommandLine cli, Task t, EvalOptions options, List<Example> examples) {
    try (LanguageModel lm = adapter.load(model)) {
      PromptRenderer prompts = new PromptRenderer(lm, taskOptions.template(t), options.maxPromptLength());
      Evaluator.Evaluation result;
      try (ProgressReporter progress = ProgressReporter.create("eval", "examples", examples.size(),
          Math.max(1, examples.size() / 10))) {
        result = new Evaluator(t, options).run(lm, prompts, examples, done -> progress.update(done, Map.of()));
      } catch (BadInputException e) {
        throw e.file() == null ? new BadInputException(data, e.getMessage(), e) : e;
      }
      taskOptions.reportTruncated(cli, prompts.truncated(), examples.size());
      return new Evaluated(result, lm.directory());
    }
  }
}
