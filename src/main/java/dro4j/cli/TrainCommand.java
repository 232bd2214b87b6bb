package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.rl.DemoData;
import dro4j.rl.GrpoTrainer;
import dro4j.rl.PromptBuilder;
import dro4j.rl.TrainingSummary;
import dro4j.rl.config.GrpoConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j train}: GRPO-family reinforcement learning with the configured rewards. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    modelTransformer = TrainCommand.Settings.class,
    sortOptions = false,
    customSynopsis = "dro4j train [--config=FILE.yaml] [--resume] [--<setting>=VALUE]...",
    description = {
      "Train a policy with GRPO-family reinforcement learning (GRPO, Dr. GRPO, DAPO; DRO with the R3 reward).",
      "Settings come from --config FILE.yaml (keys as listed below, TRL GRPOConfig names), then from the flags."
          + " Without --config the bundled demo job runs: stories260K learns to mention \"ball\" in its stories,"
          + " offline, in about a minute."
    })
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE.yaml", order = -2,
      description = "YAML file of settings (unknown keys are errors). Default: the bundled demo job.")
  Path config;

  @Option(names = "--resume", order = -1,
      description = "Continue from the newest checkpoint in output_dir (weights, optimizer state, step).")
  boolean resume;

  /** Adds one flag per GrpoConfig setting. */
  static final class Settings implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      SettingOptions.add(spec, GrpoConfig.schema());
      spec.usageMessage().footer("%nThe bundled demo job, used without --config:%n%n" + DemoData.job("train.yaml").replace("%", "%%"));
      return spec;
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    GrpoConfig.Builder builder = GrpoConfig.builder();
    if (config != null) {
      builder.load(config);
    } else {
      builder.load(DemoData.job("train.yaml"), Path.of("<bundled>/train.yaml"));
    }
    SettingOptions.apply(spec, builder);
    GrpoConfig cfg = builder.build();

    try (TrainingSession session = new TrainingSession(out, cfg.training().outputDir(), resume, "reward", "rewards",
        "frac_reward_zero_std", "loss", "kl", "clip_ratio/region_mean", "entropy", "grad_norm", "learning_rate",
        "completions/mean_length", "skipped_updates")) {
      GrpoTrainer.Builder trainer = GrpoTrainer.builder(cfg).checkpoints(session.checkpoints());
      session.listeners().forEach(trainer::listener);
      if (session.resumedPolicy() != null) {
        trainer.policy(session.resumedPolicy()).resumeFrom(session.resumeState());
      }
      try (GrpoTrainer t = trainer.build()) {
        session.started(t.totalSteps());
        out.printf("GRPO: %s, %d steps x %d prompts x %d rollouts, rewards %s, loss_type %s%n",
            t.policy().directory(), t.totalSteps(), cfg.perStepPrompts(), cfg.numGenerations(), t.rewardNames(),
            cfg.lossType().configName());
        TrainingSummary summary = t.train();
        out.printf("done: %d steps in %.1f s, %d updates skipped%n", summary.steps(), summary.seconds(), summary.skippedUpdates());
        printSample(t, cfg, out);
        session.printOutputs();
      }
    }
    return 0;
  }

  /** A completion of the first prompt after training, to show what the policy learned. */
  private static void printSample(GrpoTrainer t, GrpoConfig cfg, PrintWriter out) {
    LanguageModel lm = t.policy();
    var first = t.dataset().get(0);
    PromptBuilder prompts = new PromptBuilder(lm, cfg.training().promptTemplate(), cfg.training().systemPrompt(),
        cfg.maxPromptLength(), cfg.training().chatTemplateKwargs());
    SamplingParams p = SamplingParams.defaults().withTemperature(cfg.temperature()).withTopP(cfg.topP())
        .withTopK(cfg.topK()).withMaxNewTokens(cfg.maxCompletionLength()).withSeed(cfg.training().seed());
    try (Generation g = lm.generate(List.of(prompts.ids(first)), p, false)) {
      out.println("sample: " + prompts.text(first) + " | " + g.completions().get(0).text());
    }
  }
}
