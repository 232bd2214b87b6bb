package dro4j.cli;

import dro4j.data.Example;
import dro4j.eval.EvalOptions;
import dro4j.spark.EvalJob;
import dro4j.spark.InputFailure;
import dro4j.spark.SparkEvaluation;
import dro4j.task.Task;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * dro4j-spark's {@code eval}: {@code dro4j eval}'s options and outputs, the examples sampled and judged
 * on Spark's executors ({@link SparkEvaluation}).
 */
@Command(name = "eval", footer = {"", "Runs on Spark: the examples are partitioned and sampled on the executors; the driver"
    + " writes the files. --model must name a folder every executor sees (or bundled:NAME)."})
final class SparkEvalCommand extends EvalCommand {
  @Mixin SparkOptions spark;

  @Override
  Evaluated evaluate(CommandLine cli, Task t, EvalOptions options, List<Example> examples) {
    EvalJob job = new EvalJob(model.directory == null ? null : model.directory.toString(),
        adapter.directory == null ? null : adapter.directory.toString(), taskOptions.task,
        taskOptions.template(t), options);
    try (JavaSparkContext sc = spark.start("dro4j eval")) {
      SparkEvaluation.Result r = SparkEvaluation.run(sc, job, examples, spark.partitions(sc, examples.size()));
      taskOptions.reportTruncated(cli, (Long) r.evaluation().summary().get("truncated_prompts"), examples.size());
      return new Evaluated(r.evaluation(), model.resolve());
    } catch (InputFailure f) {
      throw f.toBadInput(data);
    }
  }
}
