package dro4j.spark;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.filter.FilterRunner;
import dro4j.task.PromptRenderer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * A round of {@code dro4j filter} as a Spark job: the candidates are partitioned, each task samples N
 * reasonings per candidate and scores the reference after each ({@link FilterRunner#score}, the
 * in-process filter's unit) on its executor's shared model ({@link ExecutorModels}), and the driver
 * decides the round from all statistics in input order ({@link FilterRunner#decide}: the two stages
 * need every candidate's statistics, and the carry-forward draw is the driver's). Each candidate is
 * seeded by {@link FilterRunner#exampleSeed}, so the round is the in-process one whatever the
 * partitioning or the attempts Spark retries (at the same PyTorch thread count).
 */
public final class SparkFiltering {
  private SparkFiltering() {}

  /**
   * A distributed round and the longest model load of its executors.
   *
   * @param result the decisions and counts, as {@link FilterRunner#run} returns them
   * @param modelLoadSeconds the longest time an executor took to load the model (0 when already loaded)
   */
  public record Result(FilterRunner.Result result, double modelLoadSeconds) {}

  /**
   * Filters {@code candidates} in round {@code round} on {@code sc}'s executors in {@code partitions}
   * partitions, carrying part of {@code previous} forward.
   *
   * @throws InputFailure when an executor found bad input (an example its template cannot fill)
   */
  public static Result run(JavaSparkContext sc, FilterJob job, List<Example> candidates, List<Example> previous,
      long round, int partitions) {
    List<FilterRunner.ExampleScore> scores = List.of();
    double load = 0;
    if (!candidates.isEmpty()) {
      List<Partitions.Output<FilterRunner.ExampleScore>> outputs = Partitions.collect(() ->
          sc.parallelize(Partitions.indexed(candidates), partitions)
              .mapPartitions((Iterator<Tuple2<Integer, Example>> part) -> List.of(score(job, round, part)).iterator())
              .collect());
      scores = Partitions.inOrder(outputs, candidates.size());
      load = Partitions.modelLoadSeconds(outputs);
    }
    return new Result(job.runner().decide(candidates, scores, previous, round), load);
  }

  /** One task: its partition's candidates, each on its own, with this executor's model. */
  private static Partitions.Output<FilterRunner.ExampleScore> score(FilterJob job, long round,
      Iterator<Tuple2<Integer, Example>> part) {
    try {
      LanguageModel lm = ExecutorModels.get(job.model(), job.adapter());
      FilterRunner runner = job.runner();
      PromptRenderer prompts = runner.prompts(lm);
      List<Partitions.Indexed<FilterRunner.ExampleScore>> items = new ArrayList<>();
      while (part.hasNext()) {
        Tuple2<Integer, Example> e = part.next();
        items.add(new Partitions.Indexed<>(e._1(), runner.score(lm, prompts, e._2(), round)));
      }
      return new Partitions.Output<>(items, ExecutorModels.loadSeconds(job.model(), job.adapter()));
    } catch (BadInputException e) {
      throw new InputFailure(e);
    }
  }
}
