package dro4j.cli;

import dro4j.data.Example;
import dro4j.data.filter.FilterConfig;
import dro4j.data.filter.FilterRunner;
import dro4j.spark.FilterJob;
import dro4j.spark.InputFailure;
import dro4j.spark.SparkFiltering;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * dro4j-spark's {@code filter}: {@code dro4j filter}'s options and outputs, the candidates sampled and
 * scored on Spark's executors and the round decided on the driver ({@link SparkFiltering}).
 */
@Command(name = "filter", footer = {"", "Runs on Spark: the candidates are partitioned and scored on the executors; the"
    + " driver decides the round and writes the files. --model must name a folder every executor sees (or bundled:NAME)."})
final class SparkFilterCommand extends FilterCommand {
  @Mixin SparkOptions spark;

  @Override
  Filtered filter(FilterConfig config, FilterRunner.Options options, List<Example> candidates, List<Example> previousSet) {
    FilterJob job = new FilterJob(model.directory == null ? null : model.directory.toString(),
        adapter.directory == null ? null : adapter.directory.toString(), config, options.template(),
        options.sampling().maxNewTokens(), options.maxPromptLength());
    try (JavaSparkContext sc = spark.start("dro4j filter")) {
      long t0 = System.nanoTime();
      SparkFiltering.Result r = SparkFiltering.run(sc, job, candidates, previousSet, round,
          spark.partitions(sc, candidates.size()));
      return new Filtered(r.result(), model.resolve(), r.modelLoadSeconds(), seconds(t0));
    } catch (InputFailure f) {
      throw f.toBadInput(data);
    }
  }
}
