package dro4j.spark;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.eval.Evaluator;
import dro4j.eval.ExampleResult;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import dro4j.task.Tasks;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * {@code dro4j eval} as a Spark job: the examples are partitioned, each task samples and judges its
 * examples one at a time with {@link Evaluator#evaluate} on its executor's shared model ({@link
 * ExecutorModels}), and the driver puts the results back in input order and summarises them with
 * {@link Evaluator#summary}. Each example is seeded by {@link Evaluator#exampleSeed}, so the results are
 * the in-process evaluation's whatever the partitioning, the order tasks run in or the attempts Spark
 * retries (at the same PyTorch thread count, as any two dro4j runs).
 */
public final class SparkEvaluation {
  private SparkEvaluation() {}

  /**
   * A distributed evaluation's results and the longest model load of its executors.
   *
   * @param evaluation the results and summary, as {@link Evaluator#run} returns them
   * @param modelLoadSeconds the longest time an executor took to load the model (0 when already loaded)
   */
  public record Result(Evaluator.Evaluation evaluation, double modelLoadSeconds) {}

  private record Judged(ExampleResult result, boolean truncatedPrompt) implements Serializable {}

  /**
   * Evaluates {@code examples} (not empty) on {@code sc}'s executors in {@code partitions} partitions.
   *
   * @throws InputFailure when an executor found bad input (an example its template cannot fill)
   */
  public static Result run(JavaSparkContext sc, EvalJob job, List<Example> examples, int partitions) {
    if (examples.isEmpty()) throw new BadInputException("nothing to evaluate: no examples");
    Task task = Tasks.byName(job.task());
    long start = System.nanoTime();
    List<Partitions.Output<Judged>> outputs = Partitions.collect(() -> sc.parallelize(Partitions.indexed(examples), partitions)
        .mapPartitions((Iterator<Tuple2<Integer, Example>> part) -> List.of(evaluate(job, part)).iterator())
        .collect());
    List<Judged> judged = Partitions.inOrder(outputs, examples.size());
    List<ExampleResult> results = new ArrayList<>(judged.size());
    long truncated = 0;
    for (Judged j : judged) {
      results.add(j.result());
      if (j.truncatedPrompt()) truncated++;
    }
    Map<String, Object> summary = Evaluator.summary(task, job.options().samples(), results, (System.nanoTime() - start) / 1e9);
    summary.put("truncated_prompts", truncated);
    return new Result(new Evaluator.Evaluation(results, summary), Partitions.modelLoadSeconds(outputs));
  }

  /** One task: its partition's examples, each on its own, with this executor's model. */
  private static Partitions.Output<Judged> evaluate(EvalJob job, Iterator<Tuple2<Integer, Example>> part) {
    try {
      LanguageModel lm = ExecutorModels.get(job.model(), job.adapter());
      Evaluator evaluator = new Evaluator(Tasks.byName(job.task()), job.options());
      PromptRenderer prompts = new PromptRenderer(lm, job.template(), job.options().maxPromptLength());
      List<Partitions.Indexed<Judged>> items = new ArrayList<>();
      while (part.hasNext()) {
        Tuple2<Integer, Example> e = part.next();
        long cutBefore = prompts.truncated();
        ExampleResult r = evaluator.evaluate(lm, prompts, e._2());
        items.add(new Partitions.Indexed<>(e._1(), new Judged(r, prompts.truncated() > cutBefore)));
      }
      return new Partitions.Output<>(items, ExecutorModels.loadSeconds(job.model(), job.adapter()));
    } catch (BadInputException e) {
      throw new InputFailure(e);
    }
  }
}
