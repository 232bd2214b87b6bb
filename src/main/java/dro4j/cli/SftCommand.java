package dro4j.cli;

import dro4j.data.Example;
import dro4j.rl.DemoData;
import dro4j.rl.SftTrainer;
import dro4j.rl.TrainingSummary;
import dro4j.rl.config.SftConfig;
import dro4j.task.Tasks;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j sft}: supervised fine-tuning on prompt-completion examples. */
@Command(
    name = "sft",
    mixinStandardHelpOptions = true,
    modelTransformer = SftCommand.Settings.class,
    sortOptions = false,
    customSynopsis = "dro4j sft [--config=FILE.yaml] [--resume] [--<setting>=VALUE]...",
    description = {
      "Supervised fine-tuning on prompt-completion examples (the completion is each example's reference),"
          + " with the loss on the completion tokens.",
      "Settings come from --config FILE.yaml (keys as listed below, TRL SFTConfig names), then from the flags."
          + " Without --config the bundled demo job runs: stories260K learns to answer colour questions."
    })
final class SftCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE.yaml", order = -3,
      description = "YAML file of settings (unknown keys are errors). Default: the bundled demo job.")
  Path config;

  @Option(names = "--resume", order = -2,
      description = "Continue from the newest checkpoint in output_dir (weights, optimizer state, step).")
  boolean resume;

  @Option(names = "--eval-dataset", paramLabel = "FILE", order = -1,
      description = "Examples whose completion NLL is printed before and after training (held-out data, in the"
          + " task's format).")
  Path evalDataset;

  /** Adds one flag per SftConfig setting. */
  static final class Settings implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      SettingOptions.add(spec, SftConfig.schema());
      spec.usageMessage().footer("%nThe bundled demo job, used without --config:%n%n" + DemoData.job("sft.yaml").replace("%", "%%"));
      return spec;
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    SftConfig.Builder builder = SftConfig.builder();
    if (config != null) {
      builder.load(config);
    } else {
      builder.load(DemoData.job("sft.yaml"), Path.of("<bundled>/sft.yaml"));
    }
    SettingOptions.apply(spec, builder);
    SftConfig cfg = builder.build();
    List<Example> eval = evalDataset == null ? null : Tasks.byName(cfg.training().task()).load(evalDataset);

    try (TrainingSession session = new TrainingSession(out, cfg.training().outputDir(), resume, "loss",
        "mean_token_accuracy", "grad_norm", "learning_rate", "skipped_updates")) {
      SftTrainer.Builder trainer = SftTrainer.builder(cfg).checkpoints(session.checkpoints());
      session.listeners().forEach(trainer::listener);
      if (session.resumedPolicy() != null) {
        trainer.policy(session.resumedPolicy()).resumeFrom(session.resumeState());
      }
      try (SftTrainer t = trainer.build()) {
        session.started(t.totalSteps());
        out.printf("SFT: %s, %d steps x %d examples%n", t.policy().directory(), t.totalSteps(), cfg.examplesPerStep());
        Double before = eval == null ? null : t.evaluate(eval);
        TrainingSummary summary = t.train();
        out.printf("done: %d steps in %.1f s, %d updates skipped%n", summary.steps(), summary.seconds(), summary.skippedUpdates());
        if (eval != null) {
          out.printf("eval NLL per token: %.4f -> %.4f%n", before, t.evaluate(eval));
        }
        session.printOutputs();
      }
    }
    return 0;
  }
}
