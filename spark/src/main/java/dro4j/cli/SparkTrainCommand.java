package dro4j.cli;

import dro4j.rl.RolloutWorkers;
import dro4j.rl.config.GrpoConfig;
import dro4j.spark.SparkRollouts;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * dro4j-spark's {@code train}: {@code dro4j train}'s settings and outputs, with {@code rollout_workers:
 * spark} sampling and scoring each step's groups on Spark's executors ({@link SparkRollouts}) while the
 * trainer (advantages, updates, checkpoints, filter and evaluation) stays in this process.
 */
@Command(name = "train", modelTransformer = SparkTrainCommand.Settings.class)
final class SparkTrainCommand extends TrainCommand {
  @Mixin SparkOptions spark;

  /** {@code dro4j train}'s settings, and a footer on what runs where. */
  static final class Settings implements picocli.CommandLine.IModelTransformer {
    @Override
    public picocli.CommandLine.Model.CommandSpec transform(picocli.CommandLine.Model.CommandSpec spec) {
      new TrainCommand.Settings().transform(spec);
      spec.usageMessage().footer("%nRuns on Spark with rollout_workers: spark (needs use_peft: true): each step ships the"
          + " LoRA adapter to the executors, which hold the base model once, sample and score the step's prompt groups"
          + " and send back the rollouts and rewards; the trainer stays here. --model must name a folder every executor"
          + " sees (or bundled:NAME). --partitions N: tasks per step (default one per prompt group).");
      return spec;
    }
  }

  @Override
  RolloutWorkers rolloutWorkers(GrpoConfig cfg) {
    if (!GrpoConfig.ROLLOUT_WORKERS_SPARK.equals(cfg.rolloutWorkers())) {
      spec.commandLine().getErr().println("dro4j-spark train: rollout_workers is " + cfg.rolloutWorkers()
          + ", so the rollouts are sampled in this process; --rollout_workers spark samples them on Spark");
      return null;
    }
    JavaSparkContext sc = spark.start("dro4j train");
    if (sc.master().startsWith("local")) dro4j.spark.ExecutorModels.useTaskThreads();
    String model = cfg.training().model() == null ? null : cfg.training().model().toString();
    return new SparkRollouts(sc, model, spark.partitions, spec.commandLine().getErr());
  }
}
