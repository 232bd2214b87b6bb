package dro4j.cli;

import dro4j.data.Example;
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
    customSynopsis = "dro4j sft [--config=FILE.yaml] [--resume] [--print-config] [--<setting>=VALUE]...",
    description = {
      "Supervised fine-tuning on prompt-completion examples (the completion is each example's reference),"
          + " with the loss on the completion tokens.",
      "Settings come from --config FILE.yaml (keys as listed below, TRL SFTConfig names), then from the flags."
          + " Relative paths resolve against the working directory. With no --config, --model, --dataset or --task"
          + " the bundled demo job runs: stories260K learns to answer colour questions; with any of them and no"
          + " --config, every other setting is at its default (TRL's SFTConfig: learning_rate 2e-5, ...)."
    })
final class SftCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE.yaml", order = -4,
      description = "YAML job of settings (unknown keys are errors); bundled:demo-sft is the bundled demo job."
          + " Without it: the demo job when no --model, --dataset or --task is given, else every setting at its"
          + " default (TRL's).")
  Path config;

  @Option(names = "--resume", order = -3,
      description = "Continue from the newest checkpoint in output_dir (weights, optimizer state, step).")
  boolean resume;

  @Option(names = "--print-config", order = -2,
      description = "Print the resolved job as YAML (feed it back with --config to run the same job) and exit.")
  boolean printConfig;

  @Option(names = "--eval-dataset", paramLabel = "FILE", order = -1,
      description = "Examples whose completion NLL is printed before and after training (held-out data, in the"
          + " task's format).")
  Path evalDataset;

  /** Adds one flag per SftConfig setting. */
  static final class Settings implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      SettingOptions.add(spec, SftConfig.schema());
      spec.usageMessage().footer("%nWithout --config, --model, --dataset or --task the bundled demo job runs"
          + " (bundled:demo-sft); 'dro4j sft --print-config' prints it as YAML, and with other flags prints the job"
          + " they resolve to.");
      return spec;
    }
  }

  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    PrintWriter out = cli.getOut();
    SftConfig.Builder builder = SftConfig.builder();
    JobSettings.load(spec, builder, config, "demo-sft");
    SftConfig cfg = builder.build();
    String sources = JobSettings.describe(builder, SftConfig.schema());
    if (printConfig) {
      JobSettings.printConfig(out, "sft", SftConfig.schema(), cfg, sources);
      return 0;
    }
    out.println(sources + " (--print-config shows them all)");
    List<Example> eval = evalDataset == null ? null : Tasks.byName(cfg.training().task()).load(evalDataset);

    try (TrainingSession session = new TrainingSession(out, cfg.training(), resume, "loss",
        "mean_token_accuracy", "grad_norm", "learning_rate", "skipped_updates")) {
      SftTrainer.Builder trainer = SftTrainer.builder(cfg).checkpoints(session.checkpoints());
      session.listeners().forEach(trainer::listener);
      if (session.resumedPolicy() != null) {
        trainer.policy(session.resumedPolicy()).resumeFrom(session.resumeState());
      }
      try (SftTrainer t = trainer.build()) {
        session.started(t.totalSteps());
        out.printf("SFT: %s, %d steps x %d examples, %s%n", t.policy().directory(), t.totalSteps(), cfg.examplesPerStep(),
            TrainingSession.threads());
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
