package dro4j.rl;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.filter.FilterConfig;
import dro4j.data.filter.FilterRunner;
import dro4j.eval.EvalOptions;
import dro4j.eval.Evaluator;
import dro4j.eval.PeriodicEvaluation;
import dro4j.generate.Completion;
import dro4j.generate.FinishReason;
import dro4j.generate.SamplingParams;
import dro4j.model.TensorEngine;
import dro4j.reward.Reward;
import dro4j.rl.config.GrpoConfig;
import dro4j.rl.config.RewardSpec;
import dro4j.rl.config.TrainingArguments;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import dro4j.task.Tasks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO-family policy optimisation (GRPO, Dr. GRPO, DAPO, and DRO once its R3 reward is configured),
 * as thin orchestration over the pure pieces of {@code dro4j.rl}. Each step:
 *
 * <ol>
 *   <li>takes the next {@code per_step_prompts} examples ({@link DataOrder}: a pure function of seed and
 *       step) and builds their prompts through the task path ({@link PromptRenderer});
 *   <li>samples {@code num_generations} rollouts per prompt, each prompt's group as a generate call of its
 *       own seeded by (seed, step, example id) ({@link Seeds#groupRollouts}), and scores them with the
 *       weighted rewards from that group's KV cache, each logged ({@link GroupRollout}, {@link
 *       RewardScoring}); where the groups run is {@code rollout_workers} ({@link RolloutWorkers}: this
 *       process, or Spark executors through dro4j-spark);
 *   <li>turns the total into advantages ({@link AdvantageEstimator}, {@code scale_rewards}, optional
 *       dynamic sampling), masks truncated rollouts when asked;
 *   <li>runs {@code num_iterations} updates of micro-batches with gradient accumulation ({@link
 *       GrpoUpdate}, {@link GrpoObjective}, {@link Optimization}).
 * </ol>
 *
 * <p>Non-finite guard: a NaN or infinite reward skips the step's updates, a non-finite loss or
 * gradient norm skips that update; both are counted in {@code skipped_updates} and training goes on.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * try (GrpoTrainer trainer = GrpoTrainer.builder(config).build()) {
 *   TrainingSummary summary = trainer.train();
 * }
 * }</pre>
 */
public final class GrpoTrainer implements AutoCloseable, TrainingLoop.Trainer {
  private final GrpoConfig config;
  private final TrainingArguments args;
  private final LanguageModel policy;
  private final LanguageModel reference;
  private final List<AutoCloseable> owned;
  private final List<Example> dataset;
  private final TrainingSet trainingSet;
  private final PromptRenderer prompts;
  private final PeriodicEvaluation evaluation;
  private final TrajectoryEvaluation trajectoryEvaluation;
  private Map<String, Object> evaluationBefore;
  private Map<String, Object> evaluationAfter;
  private final RewardScoring rewards;
  private final Optimization optimization;
  private final GrpoUpdate update;
  private final SamplingParams sampling;
  private final RolloutWorkers workers;
  private final List<RewardSpec> rewardSpecs;
  private final List<StepListener> listeners;
  private final CheckpointSink checkpoints;
  private final TrajectoryTraining trajectories;
  private final CompletionsListener completionsListener;
  private final long totalSteps;
  private final List<Map<String, Object>> resumedHistory;
  private long completedSteps;
  private long skippedUpdates;

  private GrpoTrainer(Builder b, LanguageModel policy, LanguageModel reference, List<AutoCloseable> owned,
      List<Example> dataset, List<RewardScoring.Weighted> rewards, List<RewardSpec> rewardSpecs, Task task,
      List<Example> evalExamples) {
    this.config = b.config;
    this.args = config.training();
    this.policy = policy;
    this.reference = reference;
    this.owned = owned;
    this.dataset = List.copyOf(dataset);
    this.prompts = PromptRenderer.forTask(policy, task, args.promptTemplate(), args.systemPrompt(), config.maxPromptLength(),
        args.chatTemplateKwargs());
    this.trainingSet = new TrainingSet(this.dataset, config.filterDataset() ? filter(config, prompts) : null,
        config.filterEverySteps(), args.seed(), args.shuffleDataset());
    // a multi-turn run is evaluated in its environment
    this.evaluation = evalExamples == null || config.environment() != null ? null
        : evaluation(policy, task, config, evalExamples);
    this.trajectoryEvaluation = evalExamples == null || config.environment() == null ? null
        : new TrajectoryEvaluation(config, policy, evalExamples);
    // a multi-turn run may be rewarded by its environment alone
    this.rewards = rewards.isEmpty() && config.environment() != null ? null : new RewardScoring(rewards);
    this.totalSteps = args.totalSteps(dataset.size(), config.perStepPrompts());
    this.optimization = new Optimization(policy.transformer(), args, totalSteps * config.numIterations());
    this.update = new GrpoUpdate(policy, reference, optimization, GrpoObjective.Settings.of(config),
        config.numIterations(), args.gradientAccumulationSteps(), args.seed());
    this.sampling = GroupRollout.sampling(config);
    this.rewardSpecs = rewardSpecs;
    this.workers = b.workers != null ? b.workers : this::sampleHere;
    this.trajectories = config.environment() == null ? null
        : new TrajectoryTraining(config, policy, reference, this.rewards, update, sampling);
    this.listeners = List.copyOf(b.listeners);
    this.checkpoints = b.checkpoints;
    this.completionsListener = b.completionsListener;
    this.resumedHistory = b.resume == null ? List.of() : b.resume.logHistory();
    if (b.resume != null) {
      optimization.restore(b.resume);
      this.completedSteps = b.resume.step();
      this.skippedUpdates = b.resume.skippedUpdates();
      trainingSet.restore(b.resume.trainingSet());
    }
  }

  /** A builder for a run with {@code config}. */
  public static Builder builder(GrpoConfig config) {
    return new Builder(config);
  }

  /** Runs the remaining steps up to the configured total, reporting and checkpointing on the way. */
  public TrainingSummary train() {
    return TrainingLoop.run(this, totalSteps, args, listeners, checkpoints, resumedHistory);
  }

  /** Runs the next step and returns its metrics (listeners and checkpoints are {@link #train()}'s job). */
  @Override
  public Map<String, Object> step() {
    long index = completedSteps;
    long stepStart = System.nanoTime();
    Map<String, Object> filterMetrics = new LinkedHashMap<>(evaluateOnStart(index));
    filterMetrics.putAll(trainingSet.beforeStep(index, policy, config.perStepPrompts()));
    List<Example> examples = trainingSet.examples(index, config.perStepPrompts());
    if (trajectories != null) return trajectoryStep(index, stepStart, examples, filterMetrics);
    Sampled sampled = sampleAndScore(index, examples);

    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("step", index + 1);
    metrics.put("epoch", trainingSet.epoch(index + 1, config.perStepPrompts()));
    metrics.putAll(filterMetrics);
    StepMetrics.rewards(metrics, sampled.scores());
    StepMetrics.completions(metrics, sampled.completions());
    int nonFinite = sampled.scores().nonFinite();
    metrics.put("nonfinite_rewards", nonFinite);
    Trained trained = Trained.NONE;
    if (nonFinite > 0) {
      // guard: advantages of a NaN reward are meaningless; skip this step's updates, go on with the next
      skippedUpdates += config.numIterations();
    } else {
      trained = advantagesAndUpdate(index, sampled, metrics);
    }
    logCompletions(index + 1, examples, sampled.completions(), sampled.scores(), trained.advantages());
    StepMetrics.update(metrics, trained.result(), config.beta() > 0);
    metrics.put("skipped_updates", skippedUpdates);
    metrics.put("learning_rate", trained.result() != null ? trained.result().learningRate()
        : optimization.learningRate(index * config.numIterations()));
    StepMetrics.timing(metrics, sampled.completions(), trained.result(), sampled.generationSeconds(),
        sampled.rewardSeconds(), trained.seconds(), (System.nanoTime() - stepStart) / 1e9);
    metrics.put("time/rollouts", sampled.rolloutSeconds());
    metrics.put("prompts/truncated", prompts.truncated());
    metrics.putAll(evaluateAfter(index + 1));
    completedSteps++;
    return metrics;
  }

  /**
   * A step's rollouts (G per prompt, prompt-major) and their rewards, with the time each took (summed over
   * the groups) and the wall time of the whole rollout phase.
   */
  private record Sampled(List<int[]> promptIds, List<Completion> completions, RewardScoring.Scores scores,
      double generationSeconds, double rewardSeconds, double rolloutSeconds) {}

  /** The step's update: its advantages (null when skipped) and optimizer result (null when nothing was trained). */
  private record Trained(Advantages advantages, GrpoUpdate.Result result, double seconds) {
    static final Trained NONE = new Trained(null, null, 0);
  }

  /** Samples and scores each prompt's group of G rollouts ({@link GroupRollout}) where {@code rollout_workers} says. */
  private Sampled sampleAndScore(long index, List<Example> examples) {
    List<int[]> promptIds = new ArrayList<>();
    for (Example e : examples) promptIds.add(prompts.ids(e));
    List<GroupRollout.Group> groups = GroupRollout.groups(args.seed(), index, examples, promptIds);
    long t0 = System.nanoTime();
    List<GroupRollout.Result> results = workers.sample(new RolloutWorkers.Step(index, policy, groups, sampling, rewardSpecs));
    double rolloutSeconds = (System.nanoTime() - t0) / 1e9;
    if (results.size() != groups.size()) {
      throw new IllegalStateException("rollout workers returned " + results.size() + " groups for " + groups.size());
    }
    List<Completion> completions = new ArrayList<>();
    double generationSeconds = 0;
    double rewardSeconds = 0;
    for (GroupRollout.Result r : results) {
      completions.addAll(r.completions());
      generationSeconds += r.generationSeconds();
      rewardSeconds += r.rewardSeconds();
    }
    return new Sampled(promptIds, completions, GroupRollout.scores(results), generationSeconds, rewardSeconds,
        rolloutSeconds);
  }

  /** {@code rollout_workers: local}: every group in this process, decoded in one batch ({@link GroupRollout#sampleAll}). */
  private List<GroupRollout.Result> sampleHere(RolloutWorkers.Step step) {
    return GroupRollout.sampleAll(step.policy(), reference, rewards, step.sampling(), step.groups(), step.step());
  }

  /** Group advantages of the step's rewards, then the policy update on the rows they keep. */
  private Trained advantagesAndUpdate(long index, Sampled sampled, Map<String, Object> metrics) {
    int g = config.numGenerations();
    List<Completion> completions = sampled.completions();
    int[] groupIds = new int[completions.size()];
    for (int i = 0; i < groupIds.length; i++) groupIds[i] = i / g;
    Advantages adv = config.advantageEstimator().compute(
        sampled.scores().total(), groupIds, config.scaleRewards(), config.dynamicSampling());
    StepMetrics.advantages(metrics, adv);
    int[] rows = adv.keptRows();
    metrics.put("rows_trained", rows.length);
    if (rows.length == 0) return new Trained(adv, null, 0);
    List<int[]> rowPrompts = new ArrayList<>();
    List<int[]> rowCompletions = new ArrayList<>();
    boolean[] countsInLoss = new boolean[rows.length];
    double[] rowAdvantages = new double[rows.length];
    for (int k = 0; k < rows.length; k++) {
      Completion c = completions.get(rows[k]);
      rowPrompts.add(sampled.promptIds().get(rows[k] / g));
      rowCompletions.add(c.ids());
      countsInLoss[k] = !(config.maskTruncatedCompletions() && c.finishReason() == FinishReason.LENGTH);
      rowAdvantages[k] = adv.get(rows[k]);
    }
    long t0 = System.nanoTime();
    GrpoUpdate.Result result = update.run(rowPrompts, rowCompletions, countsInLoss, rowAdvantages,
        index * config.numIterations());
    skippedUpdates += result.skipped();
    return new Trained(adv, result, (System.nanoTime() - t0) / 1e9);
  }


  /**
   * With {@code eval_on_start}, the evaluation of the initial policy before step 1 (of a fresh run),
   * logged as {@code eval_start/...} with step 1's metrics and kept as {@link #evaluationBefore()}.
   */
  private Map<String, Object> evaluateOnStart(long index) {
    if (evaluation == null && trajectoryEvaluation == null || index != 0 || !config.evalOnStart()) return Map.of();
    evaluationBefore = evaluation != null ? evaluation.now(policy) : trajectoryEvaluation.now();
    Map<String, Object> m = new LinkedHashMap<>();
    evaluationBefore.forEach((k, v) -> m.put("eval_start/" + k.substring("eval/".length()), v));
    return m;
  }

  /** The {@code eval/...} metrics after step {@code step} (1-based) when an evaluation is due; kept as {@link #evaluationAfter()}. */
  private Map<String, Object> evaluateAfter(long step) {
    if (evaluation == null && trajectoryEvaluation == null) return Map.of();
    Map<String, Object> m = evaluation != null ? evaluation.afterStep(step, totalSteps, policy)
        : trajectoryEvaluation.afterStep(step, totalSteps);
    if (!m.isEmpty()) evaluationAfter = m;
    return m;
  }

  /** The evaluation before training ({@code eval_on_start}), as {@code eval/...} metrics; null when none ran. */
  public Map<String, Object> evaluationBefore() {
    return evaluationBefore;
  }

  /** The latest evaluation during training (after the last step at the end of a run); null when none ran. */
  public Map<String, Object> evaluationAfter() {
    return evaluationAfter;
  }

  /** A multi-turn step ({@code environment} set): {@link TrajectoryTraining} does the rollout, rewards and update. */
  private Map<String, Object> trajectoryStep(long index, long stepStart, List<Example> examples,
      Map<String, Object> filterMetrics) {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("step", index + 1);
    metrics.put("epoch", trainingSet.epoch(index + 1, config.perStepPrompts()));
    metrics.putAll(filterMetrics);
    TrajectoryTraining.Outcome o = trajectories.step(index, examples, args.seed(), metrics, logsCompletions(index + 1));
    if (!o.completions().isEmpty()) completionsListener.onCompletions(index + 1, o.completions());
    if (o.skipped()) skippedUpdates += config.numIterations();
    if (o.result() != null) skippedUpdates += o.result().skipped();
    StepMetrics.update(metrics, o.result(), config.beta() > 0);
    metrics.put("skipped_updates", skippedUpdates);
    metrics.put("learning_rate", o.result() != null ? o.result().learningRate()
        : optimization.learningRate(index * config.numIterations()));
    metrics.put("tokens_per_second", o.generatedTokens() / Math.max(o.generationSeconds(), 1e-9));
    metrics.put("time/generation", o.generationSeconds());
    metrics.put("time/step", (System.nanoTime() - stepStart) / 1e9);
    metrics.putAll(evaluateAfter(index + 1));
    completedSteps++;
    return metrics;
  }

  /** Whether step {@code step} (1-based) hands its rollouts to the completions listener ({@code log_completions}). */
  private boolean logsCompletions(long step) {
    return config.logCompletions() && completionsListener != null && (step % args.loggingSteps() == 0 || step == totalSteps);
  }

  /** Hands a logged step's rollouts to the completions listener when {@code log_completions} is on. */
  private void logCompletions(long step, List<Example> examples, List<Completion> completions,
      RewardScoring.Scores scores, Advantages adv) {
    if (!logsCompletions(step)) return;
    List<CompletionsListener.Row> rows = new ArrayList<>(completions.size());
    for (int i = 0; i < completions.size(); i++) {
      Map<String, Double> values = new LinkedHashMap<>();
      for (Map.Entry<String, double[]> e : scores.perReward().entrySet()) values.put(e.getKey(), e.getValue()[i]);
      rows.add(new CompletionsListener.Row(step, prompts.text(examples.get(i / config.numGenerations())),
          completions.get(i).text(), values, adv == null ? null : adv.get(i)));
    }
    completionsListener.onCompletions(step, rows);
  }

  /** The in-training filter: dro4j filter's runner with the run's prompts, sampling budget and seed. */
  private static FilterRunner filter(GrpoConfig c, PromptRenderer prompts) {
    FilterConfig fc = new FilterConfig(c.filterSamplesPerPrompt(), c.filterWorstRankFraction(), c.filterRankThreshold(),
        c.filterLowVariationDropFraction(), c.filterCarryForwardFraction(), c.filterEverySteps(), c.training().seed());
    FilterRunner.Options o = FilterRunner.Options.of(prompts.template())
        .withMaxPromptLength(prompts.maxPromptLength()).withChatTemplateKwargs(c.training().chatTemplateKwargs());
    o = o.withSampling(o.sampling().withMaxNewTokens(
        c.filterMaxNewTokens() != null ? c.filterMaxNewTokens() : c.maxCompletionLength()));
    return new FilterRunner(fc, o);
  }

  private static PeriodicEvaluation evaluation(LanguageModel policy, Task task, GrpoConfig config, List<Example> examples) {
    int n = config.effectiveNumGenerationsEval();
    EvalOptions options = new EvalOptions(n, n > 1 ? config.temperature() : null, n > 1 ? config.topP() : null,
        config.maxCompletionLength(), config.training().seed(), config.maxPromptLength());
    return new PeriodicEvaluation(new Evaluator(task, options),
        PromptRenderer.forTask(policy, task, config.training().promptTemplate(), config.training().systemPrompt(),
            config.maxPromptLength(), config.training().chatTemplateKwargs()), examples, config.effectiveEvalSteps());
  }

  /** The prompts built so far, and how many were cut to {@code max_prompt_length}. */
  public PromptRenderer prompts() {
    return prompts;
  }

  /** The run's state now: what a checkpoint saves. */
  @Override
  public TrainingSnapshot snapshot() {
    return new TrainingSnapshot(completedSteps, policy.transformer(), policy.directory(), optimization.optimizer(),
        skippedUpdates, completedSteps * config.perStepPrompts(), args.seed(), config.toMap(), args.outputDir(),
        args.saveTotalLimit(), args.saveDtype(), trainingSet.state(),
        trainingSet.epoch(completedSteps, config.perStepPrompts()), List.of());
  }

  /** Steps completed (including those before a resume). */
  @Override
  public long completedSteps() {
    return completedSteps;
  }

  /** Updates skipped by the non-finite guard. */
  @Override
  public long skippedUpdates() {
    return skippedUpdates;
  }

  /** Steps of the whole run ({@code max_steps} or derived from {@code num_train_epochs}). */
  public long totalSteps() {
    return totalSteps;
  }

  /** The policy being trained. */
  public LanguageModel policy() {
    return policy;
  }

  /** The training examples. */
  public List<Example> dataset() {
    return dataset;
  }

  /**
   * The frozen reference policy, or null when beta is 0; with a LoRA adapter always the base with the
   * adapter disabled.
   */
  public LanguageModel referencePolicy() {
    return reference;
  }

  /** The configuration. */
  public GrpoConfig config() {
    return config;
  }

  /** The logged names of the rewards, in configuration order. */
  public List<String> rewardNames() {
    return rewards == null ? List.of() : rewards.names();
  }

  /** Frees the optimizer state, the models this trainer loaded and the rewards it created itself. */
  @Override
  public void close() {
    optimization.close();
    closeAll(owned);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        // closing native memory: nothing useful to do with a failure here
      }
    }
  }

  /** Assembles a {@link GrpoTrainer}; everything not given is loaded from the configuration. */
  public static final class Builder {
    private final GrpoConfig config;
    private LanguageModel policy;
    private LanguageModel reference;
    private final List<RewardScoring.Weighted> rewards = new ArrayList<>();
    private RewardFactory rewardFactory = RewardFactory.builtIn();
    private List<Example> dataset;
    private final List<StepListener> listeners = new ArrayList<>();
    private CheckpointSink checkpoints;
    private CompletionsListener completionsListener;
    private ResumeState resume;
    private RolloutWorkers workers;

    private Builder(GrpoConfig config) {
      if (config == null) throw new BadInputException("GrpoTrainer: no configuration given");
      this.config = config;
    }

    /** The policy to train (default: loaded from {@code model}); the caller keeps ownership. */
    public Builder policy(LanguageModel model) {
      this.policy = model;
      return this;
    }

    /**
     * The frozen reference policy for the KL penalty, a different instance from the policy (default
     * when beta > 0: a second load of {@code model}; with a LoRA adapter, at any beta, the policy's base
     * with the adapter disabled, sharing its weights); the caller keeps ownership.
     */
    public Builder referencePolicy(LanguageModel model) {
      this.reference = model;
      return this;
    }

    /**
     * Adds a reward with its weight; once any is added, the configuration's {@code rewards} are ignored.
     * The caller keeps ownership (closes it); rewards created from the configuration are the trainer's.
     */
    public Builder reward(Reward reward, double weight) {
      rewards.add(new RewardScoring.Weighted(reward, weight));
      return this;
    }

    /** How configured rewards are created by name (default: {@link RewardFactory#builtIn()}). */
    public Builder rewardFactory(RewardFactory factory) {
      this.rewardFactory = factory;
      return this;
    }

    /** The training examples (default: read from {@code dataset}, or the bundled demo prompts). */
    public Builder dataset(List<Example> examples) {
      this.dataset = examples;
      return this;
    }

    /** Adds a listener for the reported steps. */
    public Builder listener(StepListener listener) {
      listeners.add(listener);
      return this;
    }

    /** Receives each logged step's rollouts when {@code log_completions} is on (default: none). */
    public Builder completionsListener(CompletionsListener listener) {
      this.completionsListener = listener;
      return this;
    }

    /** Where checkpoints go (default: none are written). */
    public Builder checkpoints(CheckpointSink sink) {
      this.checkpoints = sink;
      return this;
    }

    /**
     * Where each step's groups are sampled and scored (default: in this process, {@code rollout_workers:
     * local}); dro4j-spark's {@code train} passes its Spark executors here for {@code rollout_workers: spark}.
     */
    public Builder rolloutWorkers(RolloutWorkers rolloutWorkers) {
      this.workers = rolloutWorkers;
      return this;
    }

    /**
     * Continues a run: the policy must hold the checkpoint's weights; the optimizer state, step and
     * counters come from {@code state}.
     */
    public Builder resumeFrom(ResumeState state) {
      this.resume = state;
      return this;
    }

    /** The configured rewards, or when there are none and a task is named, the task's default rewards. */
    @SuppressWarnings("unchecked")
    private static List<RewardSpec> rewardSpecs(GrpoConfig config, Task task) {
      // a multi-turn run without rewards is rewarded by its environment alone
      if (!config.rewards().isEmpty() || config.training().task() == null || config.environment() != null) {
        return config.rewards();
      }
      return (List<RewardSpec>) GrpoConfig.schema().convert("rewards", task.defaultRewards());
    }

    /** Loads what was not given and checks that the pieces fit together. */
    public GrpoTrainer build() {
      List<AutoCloseable> owned = new ArrayList<>();
      try {
        TrainingArguments args = config.training();
        Task task = Tasks.byName(args.task());
        List<Example> examples = dataset != null ? dataset
            : args.dataset() != null ? task.load(args.dataset()) : DemoData.forTask(args.task(), DemoData::keywordPrompts);
        List<Example> evalExamples = config.effectiveEvalSteps() > 0 || config.evalOnStart()
            ? task.load(config.evalDataset()) : null;
        if (examples.isEmpty()) throw new BadInputException("the data set is empty");
        if (config.rolloutWorkers().equals(GrpoConfig.ROLLOUT_WORKERS_SPARK) && workers == null) {
          throw new BadInputException("rollout_workers: spark runs the rollouts on Spark executors, which only"
              + " dro4j-spark's train command provides (java -jar spark/target/dro4j-spark.jar train --master local[2] ...);"
              + " rollout_workers: local samples in this process");
        }
        if (workers != null && config.environment() != null) {
          throw new BadInputException("rollout_workers: " + config.rolloutWorkers() + " samples single-turn rollouts only;"
              + " a job with an environment (" + config.environment() + ") samples its trajectories in this process"
              + " (rollout_workers: local)");
        }
        List<RewardScoring.Weighted> weighted = new ArrayList<>(rewards);
        List<RewardSpec> specs = null;
        if (weighted.isEmpty()) {
          specs = rewardSpecs(config, task);
          for (RewardSpec spec : specs) {
            Reward created = rewardFactory.create(spec.name(), spec.params());
            if (created instanceof AutoCloseable c) owned.add(c); // e.g. a lagged scoring policy's model copy
            weighted.add(new RewardScoring.Weighted(created, spec.weight()));
          }
        }
        for (RewardScoring.Weighted w : weighted) {
          if (!w.reward().scoresGroupsIndependently()) {
            throw new BadInputException("reward " + w.reward().name() + " compares groups with each other (a batch"
                + " normalisation), but training samples and scores each prompt's group on its own; normalise per"
                + " group (group_zscore, min_max), or scale the total across the step with scale_rewards: batch");
          }
        }
        LanguageModel p = policy;
        if (p == null) {
          p = LanguageModel.loadOrDefault(args.model(), TensorEngine.device(args.device()));
          owned.add(p);
        }
        Adapters.attachIfAsked(p, args);
        LanguageModel r = null;
        if (p.adapter() != null) {
          // LoRA: the reference is the same base with the adapter off, whether beta > 0 or R3 asks for it
          r = reference;
          if (r == null) {
            r = p.withoutAdapter();
            owned.add(r);
          }
        } else if (config.beta() > 0) {
          r = reference;
          if (r == null) {
            r = LanguageModel.loadOrDefault(args.model(), p.device());
            owned.add(r);
          }
          if (r == p) throw new BadInputException("the reference policy must be a separate instance from the policy");
        }
        if (resume != null) {
          long total = args.totalSteps(examples.size(), config.perStepPrompts());
          if (resume.step() > total) {
            throw new BadInputException("cannot resume at step " + resume.step() + ": the run has only " + total + " steps");
          }
        }
        return new GrpoTrainer(this, p, r, owned, examples, weighted, specs, task, evalExamples);
      } catch (RuntimeException e) {
        closeAll(owned);
        throw e;
      }
    }
  }
}
