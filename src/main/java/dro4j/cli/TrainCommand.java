package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.rl.GrpoTrainer;
import dro4j.rl.RolloutWorkers;
import dro4j.rl.TrainingSummary;
import dro4j.rl.config.GrpoConfig;
import dro4j.task.Tasks;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    customSynopsis = "dro4j train [--config=FILE.yaml] [--resume] [--print-config] [--<setting>=VALUE]...",
    description = {
      "Train a policy with GRPO-family reinforcement learning (GRPO, Dr. GRPO, DAPO; DRO with the R3 reward).",
      "Settings come from --config FILE.yaml (keys as listed below, TRL GRPOConfig names), then from the flags;"
          + " relative paths resolve against the working directory. With no --config, --model, --dataset or --task"
          + " the bundled demo job runs: stories260K learns to mention \"ball\" in its stories, offline, in about a"
          + " minute. With any of them and no --config, every other setting is at its default (TRL's), and the"
          + " rewards are the job's or the task's defaults."
    })
class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE.yaml", order = -3,
      description = "YAML job of settings (unknown keys are errors); bundled:demo-train is the bundled DRO job (R3-guided"
          + " GRPO of bundled:finqa-tiny with filtering and evaluation), bundled:demo-keyword a one-minute smoke test."
          + " Without it: the demo job when no --model, --dataset or --task is given, else every setting at its"
          + " default (TRL's).")
  Path config;

  @Option(names = "--resume", order = -2,
      description = "Continue from the newest checkpoint in output_dir (weights, optimizer state, step).")
  boolean resume;

  @Option(names = "--print-config", order = -1,
      description = "Print the resolved job as YAML (feed it back with --config to run the same job) and exit.")
  boolean printConfig;

  /** Adds one flag per GrpoConfig setting. */
  static final class Settings implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      SettingOptions.add(spec, GrpoConfig.schema());
      spec.usageMessage().footer("%nWithout --config, --model, --dataset or --task the bundled DRO job runs"
          + " (bundled:demo-train: R3-guided GRPO of bundled:finqa-tiny on synthetic FinQA, filter on, evaluated before"
          + " and after); 'dro4j train --print-config' prints it as YAML, and with other flags prints the"
          + " job they resolve to.");
      return spec;
    }
  }

  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    PrintWriter out = cli.getOut();
    GrpoConfig.Builder builder = GrpoConfig.builder();
    JobSettings.load(spec, builder, config, "demo-train");
    GrpoConfig cfg = builder.build();
    String sources = JobSettings.describe(builder, GrpoConfig.schema());
    if (printConfig) {
      JobSettings.printConfig(out, "train", GrpoConfig.schema(), cfg, sources);
      return 0;
    }
    String task = cfg.training().task();
    if (cfg.rewards().isEmpty() && (task == null || Tasks.byName(task).defaultRewards().isEmpty())) {
      throw new CommandLine.ParameterException(cli, "no rewards: list them in the job (rewards: [{name: exact_match}],"
          + " or --rewards '[{name: exact_match}]'; 'dro4j reward --list' shows them all), or name a task whose default"
          + " rewards apply (--task gsm8k, finqa, ...)");
    }
    out.println(sources + " (--print-config shows them all)");

    try (TrainingSession session = new TrainingSession(out, cfg.training(), resume, "reward", "rewards",
        "frac_reward_zero_std", "loss", "kl", "clip_ratio/region_mean", "entropy", "grad_norm", "learning_rate",
        "completions/mean_length", "skipped_updates", "eval/pass@1", "eval/rougeL")) {
      GrpoTrainer.Builder trainer = GrpoTrainer.builder(cfg).checkpoints(session.checkpoints())
          .completionsListener(session.completions());
      session.listeners().forEach(trainer::listener);
      if (session.resumedPolicy() != null) {
        trainer.policy(session.resumedPolicy()).resumeFrom(session.resumeState());
      }
      try (RolloutWorkers workers = rolloutWorkers(cfg); GrpoTrainer t = trainer.rolloutWorkers(workers).build()) {
        session.started(t.totalSteps());
        out.printf("GRPO: %s, %d steps x %d prompts x %d rollouts, rewards %s, loss_type %s, %s%n",
            t.policy().directory(), t.totalSteps(), cfg.perStepPrompts(), cfg.numGenerations(), t.rewardNames(),
            cfg.lossType().configName(), TrainingSession.threads());
        TrainingSummary summary = t.train();
        out.printf("done: %d steps in %.1f s, %d updates skipped%n", summary.steps(), summary.seconds(), summary.skippedUpdates());
        RunReport.write(new RunReport.Outcome(cfg.training().task(), String.valueOf(t.policy().directory()),
            t.rewardNames(), summary, t.evaluationBefore(), t.evaluationAfter(), cfg.training().outputDir(), sources));
        printEvaluations(t, out);
        if (t.prompts().truncated() > 0) {
          out.printf("%d of %d prompts were cut to their last %d tokens (max_prompt_length)%n",
              t.prompts().truncated(), t.prompts().rendered(), cfg.maxPromptLength());
        }
        // a multi-turn run's trajectories are in completions.jsonl; a single-turn sample would mislead
        if (cfg.environment() == null) printSample(t, cfg, out);
        session.printOutputs();
      }
    }
    return 0;
  }

  /**
   * Where the rollouts run: null (this process) here; dro4j-spark's {@code train} starts Spark for {@code
   * rollout_workers: spark}.
   */
  RolloutWorkers rolloutWorkers(GrpoConfig cfg) {
    return null;
  }

  /**
   * The held-out pass@1 (or ROUGE-L; a multi-turn run's final-answer accuracy and tool-call success
   * rate) before and after training, when they were evaluated.
   */
  private static void printEvaluations(GrpoTrainer t, PrintWriter out) {
    Map<String, Object> before = RunReport.evaluation(t.evaluationBefore());
    Map<String, Object> after = RunReport.evaluation(t.evaluationAfter());
    for (String key : List.of("pass@1", "rougeL", "final_answer_accuracy", "tool_call_success_rate")) {
      Object b = before == null ? null : before.get(key);
      Object a = after == null ? null : after.get(key);
      if (b != null || a != null) {
        out.printf("held-out %s: before %s, after %s%n", key, b == null ? "-" : b, a == null ? "-" : a);
      }
    }
  }

  /** A completion of the first prompt after training, to show what the policy learned. */
  private static void printSample(GrpoTrainer t, GrpoConfig cfg, PrintWriter out) {
    LanguageModel lm = t.policy();
    var first = t.dataset().get(0);
    SamplingParams p = SamplingParams.defaults().withTemperature(cfg.temperature()).withTopP(cfg.topP())
        .withTopK(cfg.topK()).withMaxNewTokens(cfg.maxCompletionLength()).withSeed(cfg.training().seed());
    try (Generation g = lm.generate(List.of(t.prompts().ids(first)), p, false)) {
      out.println("sample: " + t.prompts().text(first) + " | " + g.completions().get(0).text());
    }
  }
}
