package dro4j.eval;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.Generator;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import dro4j.task.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Evaluates a model on a task's examples: N completions per example ({@link EvalOptions}), each
 * judged by the task's metric ({@link Task#judge}), summarised by pass@k (Chen et al. 2021, {@link
 * PassAtK}) for a binary metric or by the mean score for a graded one. The same evaluation runs as
 * {@code dro4j eval} and inside training ({@code eval_strategy: steps}).
 *
 * <p>Prompts are built by the task path ({@link PromptRenderer}), so an example is evaluated under the
 * prompt it is filtered and trained with. Each example is sampled on its own with the seed {@link
 * #exampleSeed exampleSeed(seed, id)}: its completions do not depend on which other examples are
 * evaluated, in what order, or how many ({@code --limit}). Several examples are decoded in one batch
 * where that leaves each one's bits unchanged ({@link #evaluateAll}).
 */
public final class Evaluator {
  private final Task task;
  private final EvalOptions options;

  /** An evaluator of {@code task} with {@code options}. */
  public Evaluator(Task task, EvalOptions options) {
    this.task = Objects.requireNonNull(task, "task");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The task. */
  public Task task() {
    return task;
  }

  /** The sampling options. */
  public EvalOptions options() {
    return options;
  }

  /** The results of an evaluation and their summary ({@link #summary}). */
  public record Evaluation(List<ExampleResult> results, Map<String, Object> summary) {}

  /**
   * Evaluates {@code lm} on {@code examples}, building prompts with {@code prompts}.
   *
   * @param progress told the number of examples done after each one (may be null)
   */
  public Evaluation run(LanguageModel lm, PromptRenderer prompts, List<Example> examples, IntConsumer progress) {
    if (examples.isEmpty()) throw new BadInputException("nothing to evaluate: no examples");
    long start = System.nanoTime();
    List<ExampleResult> results =
        Generator.inBatches(examples, options.samples(), batch -> evaluateAll(lm, prompts, batch), progress);
    Map<String, Object> summary = summary(task, options.samples(), results, (System.nanoTime() - start) / 1e9);
    summary.put("truncated_prompts", prompts.truncated());
    return new Evaluation(results, summary);
  }

  /**
   * Samples and judges one example: its N completions as one generate call seeded by {@link
   * #exampleSeed exampleSeed(seed, id)}, the unit {@link #run} loops over and a distributed run
   * partitions. Safe to call from several threads on one model, each with its own {@code prompts}.
   */
  public ExampleResult evaluate(LanguageModel lm, PromptRenderer prompts, Example e) {
    return evaluateAll(lm, prompts, List.of(e)).get(0);
  }

  /**
   * {@link #evaluate} for each of {@code examples}, with the same results, their completions decoded in
   * one batch where that changes nothing but the time ({@link LanguageModel#generateGroups}).
   */
  public List<ExampleResult> evaluateAll(LanguageModel lm, PromptRenderer prompts, List<Example> examples) {
    List<int[]> ids = new ArrayList<>(examples.size());
    long[] seeds = new long[examples.size()];
    for (int i = 0; i < examples.size(); i++) {
      ids.add(prompts.ids(examples.get(i)));
      seeds[i] = exampleSeed(options.seed(), examples.get(i).id());
    }
    List<Generation> generations = lm.generateGroups(ids, seeds, options.sampling(), false);
    List<ExampleResult> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      Example e = examples.get(i);
      List<CompletionResult> completions = new ArrayList<>(options.samples());
      for (Completion c : generations.get(i).completions()) {
        Verdict v = task.judge(e, c.text());
        completions.add(new CompletionResult(c.text(), v.answer(), v.correct(), v.score(), c.ids().length, v.extras()));
      }
      out.add(new ExampleResult(e.id(), e.reference(), ids.get(i).length, completions));
    }
    return out;
  }

  /**
   * The summary of {@code results}: {@code {"task", "n", "samples", "pass@1", "pass@2", ...,
   * "mean_completion_tokens", "seconds"}} with pass@k for every power of two up to N, or, for a graded
   * metric, the mean score under the task's {@link Task#scoreName()} and the mean of each extra
   * (ParaRev: {@code "rougeL"} and {@code "length_ratio"}) instead of pass@k.
   */
  public static Map<String, Object> summary(Task task, int samples, List<ExampleResult> results, double seconds) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("task", task.name());
    s.put("n", results.size());
    s.put("samples", samples);
    long tokens = 0;
    int completions = 0;
    for (ExampleResult r : results) {
      for (CompletionResult c : r.completions()) {
        tokens += c.tokens();
        completions++;
      }
    }
    if (task.scoreName() == null) {
      List<PassAtK.Counts> counts = new ArrayList<>();
      for (ExampleResult r : results) counts.add(new PassAtK.Counts(r.completions().size(), r.correct()));
      PassAtK.report(counts).forEach((k, v) -> s.put("pass@" + k, v));
    } else {
      s.put(task.scoreName(), mean(results, null));
      for (String extra : results.get(0).completions().get(0).extras().keySet()) {
        s.put(extra, mean(results, extra));
      }
    }
    s.put("mean_completion_tokens", completions == 0 ? 0.0 : (double) tokens / completions);
    s.put("seconds", seconds);
    return s;
  }

  /**
   * The summary as training metrics: every pass@k (or score) and the mean completion length, each
   * prefixed with {@code eval/} ({@code eval/pass@1}, {@code eval/mean_completion_tokens}).
   */
  public static Map<String, Object> trainingMetrics(Map<String, Object> summary) {
    Map<String, Object> m = new LinkedHashMap<>();
    summary.forEach((k, v) -> {
      if (!List.of("task", "n", "samples", "truncated_prompts").contains(k)) {
        m.put("eval/" + k, v);
      }
    });
    return m;
  }

  /**
   * The sampling seed of example {@code id} under evaluation seed {@code seed}: a hash of the id's
   * UTF-8 bytes (FNV-1a, 64 bit) mixed with the seed by SplittableRandom's generator.
   */
  public static long exampleSeed(long seed, String id) {
    long h = 0xcbf29ce484222325L;
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return new SplittableRandom(new SplittableRandom(seed).nextLong() ^ h).nextLong();
  }

  private static double mean(List<ExampleResult> results, String extra) {
    double sum = 0;
    int n = 0;
    for (ExampleResult r : results) {
      for (CompletionResult c : r.completions()) {
        Double v = extra == null ? c.score() : c.extras().get(extra);
        if (v != null) {
          sum += v;
          n++;
        }
      }
    }
    return n == 0 ? 0.0 : sum / n;
  }
}
