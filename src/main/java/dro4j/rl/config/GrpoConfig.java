package dro4j.rl.config;

import dro4j.BadInputException;
import dro4j.rl.AdvantageEstimator;
import dro4j.rl.KlEstimator;
import dro4j.rl.LossType;
import dro4j.rl.ScaleRewards;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Settings of a GRPO-family training run ({@code dro4j train}, {@link dro4j.rl.GrpoTrainer}), named
 * after TRL's {@code GRPOConfig} in snake_case. Each paper idea is one documented field: DAPO's
 * clip-higher ({@code epsilon_high}), dynamic sampling and token-level loss ({@code loss_type:
 * dapo}); Dr. GRPO's unscaled advantages ({@code scale_rewards: none}) and length-unbiased loss
 * ({@code loss_type: dr_grpo}); DRO's recipe values are quoted where they differ from the defaults.
 * The shared settings (model, data, optimizer, schedule, steps, saving) are in {@link
 * TrainingArguments} and appear in YAML at the same level.
 *
 * <p>Load from YAML with {@link #builder()}{@code .load(file)}, override single keys with {@code
 * set}/{@code setText}, or build in Java:
 *
 * <pre>{@code
 * GrpoConfig config = GrpoConfig.builder()
 *     .learningRate(1e-3).perStepPrompts(4).numGenerations(8).maxCompletionLength(32).maxSteps(40)
 *     .rewards(List.of(RewardSpec.of("keyword", 1.0, Map.of("words", List.of("ball")))))
 *     .build();
 * }</pre>
 */
public record GrpoConfig(
    TrainingArguments training,
    @Setting(help = "Distinct prompts per step; each gets num_generations rollouts, so a step trains on"
            + " per_step_prompts * num_generations completions, split into gradient_accumulation_steps"
            + " micro-batches for one optimizer update. In TRL terms (one process, steps_per_generation ="
            + " gradient_accumulation_steps): per_device_train_batch_size * gradient_accumulation_steps ="
            + " per_step_prompts * num_generations. Default 4; per_device_train_batch_size, when set, decides it.",
        defaultValue = "4")
        int perStepPrompts,
    @Setting(help = "TRL's batch size: completions per micro-batch. When set, per_step_prompts becomes"
            + " per_device_train_batch_size * gradient_accumulation_steps / num_generations (an error when that is"
            + " not a whole number, as in TRL), so a TRL job's numbers mean the same step here; setting"
            + " per_step_prompts to another value as well is an error. ~ (the default) leaves per_step_prompts"
            + " as given. TRL's default is 8.", defaultValue = "~")
        Integer perDeviceTrainBatchSize,
    @Setting(help = "Rollouts sampled per prompt, the group G whose rewards are compared (GRPO, Shao et al."
            + " 2024). At least 2. Default 8 (TRL); DRO uses 16.", defaultValue = "8")
        int numGenerations,
    @Setting(help = "Optimizer updates per generation round (the mu of the GRPO paper, PPO epochs). With more"
            + " than one, the sampling policy's log-probs are recomputed once before the first update (a"
            + " no-grad forward at the sampling temperature, as TRL) and the ratio is clipped against them;"
            + " with 1 the ratio is exactly 1 (TRL). max_steps counts generation rounds, so a run makes"
            + " max_steps * num_iterations updates (TRL counts updates). Default 1.", defaultValue = "1")
        int numIterations,
    @Setting(help = "Prompts longer than this many tokens keep their last max_prompt_length tokens (left"
            + " truncation, as TRL; a BOS at the start is cut too). ~ never truncates. Default 512.",
        defaultValue = "512")
        Integer maxPromptLength,
    @Setting(help = "Most tokens sampled per rollout; rollouts that reach it are truncated (finish reason"
            + " length). Also the constant denominator of loss_type dr_grpo. Default 256.", defaultValue = "256")
        int maxCompletionLength,
    @Setting(help = "Rollouts cannot end before this many tokens (per turn in environment jobs): the model's EOS"
            + " and other stop ids are masked until then, as transformers' min_new_tokens does; stop strings and"
            + " max_completion_length still end a rollout. For benchmarks and for models that stop too early."
            + " 0 is off. Default 0.", defaultValue = "0")
        int minCompletionLength,
    @Setting(help = "Sampling temperature of the rollouts. Training log-probs (policy, old, reference) are"
            + " computed from logits divided by the same temperature, as TRL does, so the ratio compares"
            + " the distribution that was sampled. Default 1.0 (TRL, DRO).", defaultValue = "1.0")
        double temperature,
    @Setting(help = "Nucleus sampling of the rollouts: keep the smallest set of tokens with probability >="
            + " top_p; 1 is off. Default 1.0 (TRL); DRO uses 0.95.", defaultValue = "1.0")
        double topP,
    @Setting(help = "Keep only the top_k most likely tokens when sampling; 0 is off. Default 0 (TRL).",
        defaultValue = "0")
        int topK,
    @Setting(help = "Keep only tokens with probability >= min_p times the most likely one; 0 is off. Default 0.",
        defaultValue = "0.0")
        double minP,
    @Setting(help = "CTRL repetition penalty when sampling; 1 is off. Default 1.0 (TRL).", defaultValue = "1.0")
        double repetitionPenalty,
    @Setting(help = "Weight of the KL penalty to a frozen reference policy, per token. 0 loads no reference"
            + " model. Default 0 (TRL, following Dr. GRPO and DAPO); the GRPO paper uses 0.04, DRO 0.001.",
        defaultValue = "0.0")
        double beta,
    @Setting(help = "KL estimator of the penalty (Schulman 2020): k1 | k2 | k3. Default k3 (GRPO, TRL).",
        defaultValue = "k3")
        KlEstimator klEstimator,
    @Setting(help = "Lower clip range of the ratio, 1 - epsilon (PPO, Schulman et al. 2017). Default 0.2.",
        defaultValue = "0.2")
        double epsilon,
    @Setting(help = "Upper clip range of the ratio, 1 + epsilon_high; default ~, which uses epsilon. DAPO (Yu et al. 2025,"
            + " 'clip-higher') recommends 0.28; DRO uses 0.2.", defaultValue = "~")
        Double epsilonHigh,
    @Setting(help = "How per-token losses are averaged: grpo (per-sequence mean, then mean; Shao et al. 2024)"
            + " | bnpo (token mean) | dr_grpo (token sum / (rows * max_completion_length);"
            + " Dr. GRPO, Liu et al. 2025) | dapo (token mean over the whole step; DAPO). Each is computed over"
            + " the whole update, so gradient accumulation never changes it (TRL's bnpo averages per"
            + " micro-batch). Default dapo (TRL); DRO uses dr_grpo.", defaultValue = "dapo")
        LossType lossType,
    @Setting(help = "Divisor of the centred rewards: group (group std + 1e-4; GRPO) | batch (std of the batch;"
            + " PPO Lite) | none (Dr. GRPO, which argues std scaling biases towards too easy or too hard"
            + " prompts). Default group (TRL); DRO scales rewards.", defaultValue = "group")
        ScaleRewards scaleRewards,
    @Setting(help = "Baseline of the advantages: grpo (group mean) | rloo (mean of the other rollouts; Ahmadian"
            + " et al. 2024). Default grpo.", defaultValue = "grpo")
        AdvantageEstimator advantageEstimator,
    @Setting(help = "Exclude rollouts cut at max_completion_length from the loss (their reward judges an"
            + " unfinished answer). Default false (TRL); DAPO and DRO turn it on.", defaultValue = "false")
        boolean maskTruncatedCompletions,
    @Setting(help = "Drop the prompts whose rollouts all got the same reward (zero advantage, no signal) from"
            + " the update; their share is logged as frac_reward_zero_std either way. DAPO (Yu et al. 2025)"
            + " also re-samples to refill the batch; here the step simply trains on fewer rows. Default false.",
        defaultValue = "false")
        boolean dynamicSampling,
    @Setting(help = "R3-based dynamic data filtering of the training set inside the run (DRO, Xu et al. 2025,"
            + " section 3.3): before the first step, and again every filter_every_steps steps, the current"
            + " policy samples filter_samples_per_prompt reasonings for every example of dataset, scores the"
            + " reference after each, drops the examples out of reach and the least reasoning-reflective ones,"
            + " and carries a share of the last round's set forward (the same filter as dro4j filter). Training"
            + " then draws its prompts from the kept set. Default false.", defaultValue = "false")
        boolean filterDataset,
    @Setting(help = "With filter_dataset, re-filter every this many steps with the current policy (the paper"
            + " filters 'at regular intervals' without a number); 0 filters only before training. Default 0.",
        defaultValue = "0")
        int filterEverySteps,
    @Setting(help = "Reasonings sampled per example by the filter (N; the paper uses 16 or 32). Default 16.",
        defaultValue = "16")
        int filterSamplesPerPrompt,
    @Setting(help = "Most new tokens of each filter reasoning; sampling also stops at the task's end of"
            + " reasoning. ~ uses max_completion_length. Default ~.", defaultValue = "~")
        Integer filterMaxNewTokens,
    @Setting(help = "rho: share of the worst (largest) reference-token ranks averaged per filter sample (stage 1);"
            + " the paper gives no value. Default 0.1 (dro4j's).", defaultValue = "0.1")
        double filterWorstRankFraction,
    @Setting(help = "Stage 1 keeps an example when some sample's worst-rank average is at most this top-k rank"
            + " (the reference is within reach); the paper gives no value. Default 10 (dro4j's).",
        defaultValue = "10")
        double filterRankThreshold,
    @Setting(help = "Stage 2 drops this share of the stage-1 survivors with the lowest max_j sigma_j (the"
            + " reference barely depends on the reasoning); the paper gives no value. Default 0.2 (dro4j's).",
        defaultValue = "0.2")
        double filterLowVariationDropFraction,
    @Setting(help = "Share of the last round's training set carried into the next regardless of the new"
            + " statistics (the paper carries 10%). Default 0.1.", defaultValue = "0.1")
        double filterCarryForwardFraction,
    @Setting(help = "The rewards and their weights (TRL reward_funcs + reward_weights); the total is their"
            + " weighted sum and each is logged on its own. Items: {name: keyword, weight: 1.0, <params>}."
            + " Default none: give them here or as Reward objects through the Java API (a task then adds its"
            + " default rewards; a job with an environment is rewarded by the environment alone).", defaultValue = "[]")
        List<RewardSpec> rewards,
    @Setting(help = "Log the completions of every logged step (TRL log_completions): each is a line {step, prompt,"
            + " completion, rewards: {name: value}, advantage} of output_dir/completions.jsonl, and the train"
            + " command prints a short table of the first few. Through the Java API, add a CompletionsListener."
            + " Default false (TRL).", defaultValue = "false")
        boolean logCompletions,
    @Setting(help = "Held-out examples evaluated during training (transformers eval_dataset), read by the task's"
            + " loader; ~ for none. Default ~.", defaultValue = "~")
        Path evalDataset,
    @Setting(help = "When to evaluate on eval_dataset (transformers eval_strategy): no | steps (every eval_steps"
            + " steps and after the last step). The evaluation is dro4j eval's: num_generations_eval completions"
            + " per example, judged by the task's metric, logged as eval/pass@1, eval/pass@2, ... (every power of"
            + " two up to num_generations_eval; eval/rougeL and eval/length_ratio for pararev) and"
            + " eval/mean_completion_tokens. Default no.", defaultValue = "no")
        String evalStrategy,
    @Setting(help = "Also evaluate the initial policy before the first step (transformers eval_on_start), logged"
            + " as eval_start/pass@1, ... with step 1; needs eval_dataset. Default false.", defaultValue = "false")
        boolean evalOnStart,
    @Setting(help = "Evaluate every this many steps with eval_strategy steps; ~ uses logging_steps (transformers)."
            + " Default ~.", defaultValue = "~")
        Integer evalSteps,
    @Setting(help = "Completions per evaluation example (TRL num_generations_eval); 1 decodes greedily, more sample"
            + " at temperature and top_p. ~ uses num_generations (TRL). Default ~.", defaultValue = "~")
        Integer numGenerationsEval,
    @Setting(help = "Multi-turn rollouts: the environment every trajectory acts in, a bundled name (guess_number,"
            + " finqa_calculator) or the class name of a dro4j.rollout.Environment with a public no-argument"
            + " constructor. Each step then samples num_generations trajectories per prompt with the chat template"
            + " (tools passed as tools, tool calls parsed from the model's format, observations appended as the"
            + " template's tool/user turns, generation continued on the KV cache) and trains only the policy's"
            + " own tokens. ~ samples one completion per prompt (single turn). Default ~.", defaultValue = "~")
        String environment,
    @Setting(help = "With environment: most policy turns per trajectory (verl's max_assistant_turns). Default 4.",
        defaultValue = "4")
        int maxTurns,
    @Setting(help = "With environment: most tool calls per trajectory over all turns (TRL's name); a turn whose"
            + " calls would exceed it ends the trajectory without running them. Default 4.", defaultValue = "4")
        int maxToolCallingIterations,
    @Setting(help = "With environment: a tool result longer than this many tokens is cut and ends with a visible"
            + " '[tool response truncated: N more tokens]' marker (verl's name). ~ never cuts. Default 256.",
        defaultValue = "256")
        Integer maxToolResponseLength,
    @Setting(help = "With environment: the tag that opens a tool call in the model's output; the call is a JSON"
            + " object {\"name\": ..., \"arguments\": {...}} (Hermes format). Default <tool_call> (Qwen2.5, Qwen3).",
        defaultValue = "<tool_call>")
        String toolCallOpen,
    @Setting(help = "With environment: the tag that closes a tool call. Default </tool_call>.",
        defaultValue = "</tool_call>")
        String toolCallClose,
    @Setting(help = "With environment: the turn-level reward added to each turn's advantage: none | information_gain"
            + " (IGPO, Wang et al. 2025, arXiv 2510.14967: the increase of the policy's length-normalised"
            + " probability of the reference answer after the turn, scored from the KV cache) | environment (the"
            + " environment's step rewards) | tool_errors (minus the turn's failed tool calls, so a failed call's"
            + " penalty lands on its own turn; after MT-GRPO's turn-level tool reward, Zeng et al. 2025, arXiv"
            + " 2505.11821), or several joined by '+' (summed), e.g. information_gain+environment. Turn t of"
            + " trajectory i gets A_i + w *"
            + " (r_it - mean) / (std + 1e-4), mean and std over the group's turn rewards. Default none.",
        defaultValue = "none")
        String turnReward,
    @Setting(help = "With environment: added to a trajectory's reward for each tool call that failed (malformed, unknown"
            + " tool, the tool's error), as a reward entry tool_errors; negative penalises, in the spirit of the"
            + " tool-call rewards of ToolRL (Qian et al. 2025, arXiv 2504.13958). Default 0.0 (the environment's"
            + " return alone).", defaultValue = "0.0")
        double toolErrorReward,
    @Setting(help = "With environment: added to a trajectory's reward times the share of its tool calls that ran"
            + " (well-formed, a known tool, no error), 0 for a trajectory without calls, as a reward entry"
            + " tool_success; positive values reward calls that run without making not calling the safe choice"
            + " (a tool-execution reward in the spirit of ToolRL's format reward, Qian et al. 2025, arXiv"
            + " 2504.13958). Default 0.0 (the environment's return alone).", defaultValue = "0.0")
        double toolSuccessReward,
    @Setting(help = "With turn_reward: the weight w of the normalised turn reward. Default 1.0.", defaultValue = "1.0")
        double turnRewardWeight,
    @Setting(help = "With turn_reward: the discount gamma of IGPO's turn advantages: turn t gets w * sum_{k>=t}"
            + " gamma^(k-t) n_k of the normalised turn rewards n (Wang et al. 2025 propagate later turns' rewards"
            + " this way); 0 adds only the turn's own. In [0, 1]. Default 0.0.", defaultValue = "0.0")
        double turnRewardDiscount,
    @Setting(help = "With turn_reward information_gain: text placed between the trajectory prefix and the reference"
            + " answer when scoring it (e.g. 'The answer is '). Default empty.", defaultValue = "''")
        String informationGainAnswerPrefix,
    @Setting(help = "Where each step's rollouts are sampled and scored: local (this process) or spark (the executors"
            + " of dro4j-spark's train command: each holds the frozen base once and receives only the LoRA adapter's"
            + " weights each step; needs use_peft). Either way each prompt's group is its own generate call seeded"
            + " by (seed, step, example id), so both give the same checkpoint at the same PyTorch threads per task."
            + " Default local.", defaultValue = "local")
        String rolloutWorkers) {

  /** {@code rollout_workers} value: sample in the trainer's process. */
  public static final String ROLLOUT_WORKERS_LOCAL = "local";

  /** {@code rollout_workers} value: sample on Spark executors (dro4j-spark's {@code train}). */
  public static final String ROLLOUT_WORKERS_SPARK = "spark";

  private static final ConfigSchema<GrpoConfig> SCHEMA = ConfigSchema.of(GrpoConfig.class);

  /** Checks every range and names the offending key. */
  public GrpoConfig {
    if (training == null) throw new BadInputException("training arguments must be given");
    if (perDeviceTrainBatchSize != null) {
      perStepPrompts = promptsFromBatchSize(perDeviceTrainBatchSize, training.gradientAccumulationSteps(), numGenerations);
    }
    if (perStepPrompts < 1) throw new BadInputException("per_step_prompts must be >= 1, got " + perStepPrompts);
    if (numGenerations < 2) {
      throw new BadInputException(
          "num_generations must be >= 2 (a group of one rollout has no baseline), got " + numGenerations);
    }
    if (numIterations < 1) throw new BadInputException("num_iterations must be >= 1, got " + numIterations);
    if (maxPromptLength != null && maxPromptLength < 1) {
      throw new BadInputException("max_prompt_length must be >= 1 or ~, got " + maxPromptLength);
    }
    if (maxCompletionLength < 1) {
      throw new BadInputException("max_completion_length must be >= 1, got " + maxCompletionLength);
    }
    if (minCompletionLength < 0) {
      throw new BadInputException("min_completion_length must be >= 0, got " + minCompletionLength);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new BadInputException("temperature must be a finite number > 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) throw new BadInputException("top_p must be in (0, 1], got " + topP);
    if (topK < 0) throw new BadInputException("top_k must be >= 0, got " + topK);
    if (!(minP >= 0 && minP <= 1)) throw new BadInputException("min_p must be in [0, 1], got " + minP);
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new BadInputException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
    }
    TrainingArguments.finite("beta", beta, 0);
    if (klEstimator == null) throw new BadInputException("kl_estimator must be given");
    if (!(epsilon >= 0 && epsilon < 1)) throw new BadInputException("epsilon must be in [0, 1), got " + epsilon);
    if (epsilonHigh != null) TrainingArguments.finite("epsilon_high", epsilonHigh, 0);
    if (lossType == null) throw new BadInputException("loss_type must be given");
    if (scaleRewards == null) throw new BadInputException("scale_rewards must be given");
    if (advantageEstimator == null) throw new BadInputException("advantage_estimator must be given");
    rewards = rewards == null ? List.of() : List.copyOf(rewards);
    if (!"no".equals(evalStrategy) && !"steps".equals(evalStrategy)) {
      throw new BadInputException("eval_strategy must be no or steps, got " + evalStrategy);
    }
    if (evalSteps != null && evalSteps < 1) throw new BadInputException("eval_steps must be >= 1 or ~, got " + evalSteps);
    if (numGenerationsEval != null && numGenerationsEval < 1) {
      throw new BadInputException("num_generations_eval must be >= 1 or ~, got " + numGenerationsEval);
    }
    if (filterSamplesPerPrompt < 2) {
      throw new BadInputException("filter_samples_per_prompt must be >= 2 (sigma needs two samples), got "
          + filterSamplesPerPrompt);
    }
    if (filterEverySteps < 0) throw new BadInputException("filter_every_steps must be >= 0, got " + filterEverySteps);
    if (filterMaxNewTokens != null && filterMaxNewTokens < 1) {
      throw new BadInputException("filter_max_new_tokens must be >= 1 or ~, got " + filterMaxNewTokens);
    }
    if (!(filterWorstRankFraction > 0 && filterWorstRankFraction <= 1)) {
      throw new BadInputException("filter_worst_rank_fraction must be in (0, 1], got " + filterWorstRankFraction);
    }
    if (!(filterRankThreshold >= 1)) {
      throw new BadInputException("filter_rank_threshold must be >= 1, got " + filterRankThreshold);
    }
    if (!(filterLowVariationDropFraction >= 0 && filterLowVariationDropFraction < 1)) {
      throw new BadInputException(
          "filter_low_variation_drop_fraction must be in [0, 1), got " + filterLowVariationDropFraction);
    }
    if (!(filterCarryForwardFraction >= 0 && filterCarryForwardFraction <= 1)) {
      throw new BadInputException("filter_carry_forward_fraction must be in [0, 1], got " + filterCarryForwardFraction);
    }
    if (maxTurns < 1) throw new BadInputException("max_turns must be >= 1, got " + maxTurns);
    if (maxToolCallingIterations < 0) {
      throw new BadInputException("max_tool_calling_iterations must be >= 0, got " + maxToolCallingIterations);
    }
    if (maxToolResponseLength != null && maxToolResponseLength < 1) {
      throw new BadInputException("max_tool_response_length must be >= 1 or ~, got " + maxToolResponseLength);
    }
    if (toolCallOpen == null || toolCallOpen.isEmpty() || toolCallClose == null || toolCallClose.isEmpty()) {
      throw new BadInputException("tool_call_open and tool_call_close must be non-empty");
    }
    dro4j.rollout.TurnRewards.Kind.parse(turnReward);
    TrainingArguments.finite("turn_reward_weight", turnRewardWeight, 0);
    if (!Double.isFinite(toolErrorReward)) {
      throw new BadInputException("tool_error_reward must be a finite number, got " + toolErrorReward);
    }
    if (!Double.isFinite(toolSuccessReward)) {
      throw new BadInputException("tool_success_reward must be a finite number, got " + toolSuccessReward);
    }
    if (!(turnRewardDiscount >= 0 && turnRewardDiscount <= 1)) {
      throw new BadInputException("turn_reward_discount must be in [0, 1], got " + turnRewardDiscount);
    }
    if (informationGainAnswerPrefix == null) informationGainAnswerPrefix = "";
    if (!ROLLOUT_WORKERS_LOCAL.equals(rolloutWorkers) && !ROLLOUT_WORKERS_SPARK.equals(rolloutWorkers)) {
      throw new BadInputException("rollout_workers must be local or spark, got " + rolloutWorkers);
    }
    if (ROLLOUT_WORKERS_SPARK.equals(rolloutWorkers) && !training.trainsAdapter()) {
      throw new BadInputException("rollout_workers: spark needs use_peft: true: executors receive the LoRA adapter's"
          + " weights each step (megabytes), never the whole model");
    }
    if (evalOnStart && evalDataset == null) {
      throw new BadInputException("eval_on_start needs eval_dataset");
    }
    if ("steps".equals(evalStrategy) && evalDataset == null) {
      throw new BadInputException("eval_strategy steps needs eval_dataset");
    }
  }

  /**
   * TRL's rule: {@code per_device_train_batch_size * gradient_accumulation_steps} completions per step,
   * {@code num_generations} of them per prompt.
   */
  private static int promptsFromBatchSize(int batchSize, int accumulation, int generations) {
    if (batchSize < 1) throw new BadInputException("per_device_train_batch_size must be >= 1 or ~, got " + batchSize);
    long completions = (long) batchSize * accumulation;
    if (generations < 1 || completions % generations != 0) {
      throw new BadInputException("per_device_train_batch_size * gradient_accumulation_steps (" + batchSize + " * "
          + accumulation + " = " + completions + ") must be a multiple of num_generations (" + generations
          + "): each prompt's num_generations completions are one step's share (TRL)");
    }
    return Math.toIntExact(completions / generations);
  }

  /** Steps between evaluations ({@code eval_steps}, else {@code logging_steps}), or 0 when {@code eval_strategy} is no. */
  public int effectiveEvalSteps() {
    if (!"steps".equals(evalStrategy)) return 0;
    return evalSteps != null ? evalSteps : training.loggingSteps();
  }

  /** Completions per evaluation example: {@code num_generations_eval}, else {@code num_generations}. */
  public int effectiveNumGenerationsEval() {
    return numGenerationsEval != null ? numGenerationsEval : numGenerations;
  }

  /** The upper clip range actually used: {@code epsilon_high}, or {@code epsilon} when unset. */
  public double effectiveEpsilonHigh() {
    return epsilonHigh != null ? epsilonHigh : epsilon;
  }

  /** Rollouts per step: {@code per_step_prompts * num_generations}. */
  public int rolloutsPerStep() {
    return perStepPrompts * numGenerations;
  }

  /** The settings of this record (keys, types, defaults, help). */
  public static ConfigSchema<GrpoConfig> schema() {
    return SCHEMA;
  }

  /** Every setting as a plain value by key: the resolved configuration, for logs and checkpoints. */
  public Map<String, Object> toMap() {
    return SCHEMA.toMap(this);
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults (no rewards). */
  public static GrpoConfig defaults() {
    return SCHEMA.defaults();
  }

  /** Builds a {@link GrpoConfig}; the shared setters come from {@link TrainingArguments.Builder}. */
  public static final class Builder extends TrainingArguments.Builder<Builder, GrpoConfig> {
    private Builder() {
      super(SCHEMA);
    }

    @Override
    protected Builder self() {
      return this;
    }

    /** @see GrpoConfig#perStepPrompts() */
    public Builder perStepPrompts(int v) { return set("per_step_prompts", v); }

    /** @see GrpoConfig#perDeviceTrainBatchSize() */
    public Builder perDeviceTrainBatchSize(Integer v) { return set("per_device_train_batch_size", v); }

    /** @see GrpoConfig#logCompletions() */
    public Builder logCompletions(boolean v) { return set("log_completions", v); }

    /** @see GrpoConfig#rolloutWorkers() */
    public Builder rolloutWorkers(String v) { return set("rollout_workers", v); }

    /**
     * Builds the configuration; also refuses per_step_prompts and per_device_train_batch_size set to
     * disagreeing values.
     */
    @Override
    public GrpoConfig build() {
      GrpoConfig built = super.build();
      if (built.perDeviceTrainBatchSize() != null && isSet("per_step_prompts")) {
        Object given = value("per_step_prompts");
        if (((Number) given).intValue() != built.perStepPrompts()) {
          throw new BadInputException("per_step_prompts " + given + " disagrees with per_device_train_batch_size "
              + built.perDeviceTrainBatchSize() + ", which gives " + built.perStepPrompts()
              + " prompts per step; set one of them");
        }
      }
      return built;
    }

    /** @see GrpoConfig#numGenerations() */
    public Builder numGenerations(int v) { return set("num_generations", v); }

    /** @see GrpoConfig#numIterations() */
    public Builder numIterations(int v) { return set("num_iterations", v); }

    /** @see GrpoConfig#maxPromptLength() */
    public Builder maxPromptLength(Integer v) { return set("max_prompt_length", v); }

    /** @see GrpoConfig#maxCompletionLength() */
    public Builder maxCompletionLength(int v) { return set("max_completion_length", v); }

    /** @see GrpoConfig#minCompletionLength() */
    public Builder minCompletionLength(int v) { return set("min_completion_length", v); }

    /** @see GrpoConfig#temperature() */
    public Builder temperature(double v) { return set("temperature", v); }

    /** @see GrpoConfig#topP() */
    public Builder topP(double v) { return set("top_p", v); }

    /** @see GrpoConfig#topK() */
    public Builder topK(int v) { return set("top_k", v); }

    /** @see GrpoConfig#minP() */
    public Builder minP(double v) { return set("min_p", v); }

    /** @see GrpoConfig#repetitionPenalty() */
    public Builder repetitionPenalty(double v) { return set("repetition_penalty", v); }

    /** @see GrpoConfig#beta() */
    public Builder beta(double v) { return set("beta", v); }

    /** @see GrpoConfig#klEstimator() */
    public Builder klEstimator(KlEstimator v) { return set("kl_estimator", v); }

    /** @see GrpoConfig#epsilon() */
    public Builder epsilon(double v) { return set("epsilon", v); }

    /** @see GrpoConfig#epsilonHigh() */
    public Builder epsilonHigh(Double v) { return set("epsilon_high", v); }

    /** @see GrpoConfig#lossType() */
    public Builder lossType(LossType v) { return set("loss_type", v); }

    /** @see GrpoConfig#scaleRewards() */
    public Builder scaleRewards(ScaleRewards v) { return set("scale_rewards", v); }

    /** @see GrpoConfig#advantageEstimator() */
    public Builder advantageEstimator(AdvantageEstimator v) { return set("advantage_estimator", v); }

    /** @see GrpoConfig#maskTruncatedCompletions() */
    public Builder maskTruncatedCompletions(boolean v) { return set("mask_truncated_completions", v); }

    /** @see GrpoConfig#dynamicSampling() */
    public Builder dynamicSampling(boolean v) { return set("dynamic_sampling", v); }

    /** @see GrpoConfig#rewards() */
    public Builder rewards(List<RewardSpec> v) { return set("rewards", v); }

    /** @see GrpoConfig#evalDataset() */
    public Builder evalDataset(Path v) { return set("eval_dataset", v); }

    /** @see GrpoConfig#evalStrategy() */
    public Builder evalStrategy(String v) { return set("eval_strategy", v); }

    /** @see GrpoConfig#filterDataset() */
    public Builder filterDataset(boolean v) { return set("filter_dataset", v); }

    /** @see GrpoConfig#filterEverySteps() */
    public Builder filterEverySteps(int v) { return set("filter_every_steps", v); }

    /** @see GrpoConfig#filterSamplesPerPrompt() */
    public Builder filterSamplesPerPrompt(int v) { return set("filter_samples_per_prompt", v); }

    /** @see GrpoConfig#filterMaxNewTokens() */
    public Builder filterMaxNewTokens(Integer v) { return set("filter_max_new_tokens", v); }

    /** @see GrpoConfig#filterWorstRankFraction() */
    public Builder filterWorstRankFraction(double v) { return set("filter_worst_rank_fraction", v); }

    /** @see GrpoConfig#filterRankThreshold() */
    public Builder filterRankThreshold(double v) { return set("filter_rank_threshold", v); }

    /** @see GrpoConfig#filterLowVariationDropFraction() */
    public Builder filterLowVariationDropFraction(double v) { return set("filter_low_variation_drop_fraction", v); }

    /** @see GrpoConfig#filterCarryForwardFraction() */
    public Builder filterCarryForwardFraction(double v) { return set("filter_carry_forward_fraction", v); }

    /** @see GrpoConfig#evalOnStart() */
    public Builder evalOnStart(boolean v) { return set("eval_on_start", v); }

    /** @see GrpoConfig#evalSteps() */
    public Builder evalSteps(Integer v) { return set("eval_steps", v); }

    /** @see GrpoConfig#numGenerationsEval() */
    public Builder numGenerationsEval(Integer v) { return set("num_generations_eval", v); }

    /** @see GrpoConfig#environment() */
    public Builder environment(String v) { return set("environment", v); }

    /** @see GrpoConfig#maxTurns() */
    public Builder maxTurns(int v) { return set("max_turns", v); }

    /** @see GrpoConfig#maxToolCallingIterations() */
    public Builder maxToolCallingIterations(int v) { return set("max_tool_calling_iterations", v); }

    /** @see GrpoConfig#maxToolResponseLength() */
    public Builder maxToolResponseLength(Integer v) { return set("max_tool_response_length", v); }

    /** @see GrpoConfig#turnReward() */
    public Builder turnReward(String v) { return set("turn_reward", v); }

    /** @see GrpoConfig#toolErrorReward() */
    public Builder toolErrorReward(double v) { return set("tool_error_reward", v); }

    /** @see GrpoConfig#toolSuccessReward() */
    public Builder toolSuccessReward(double v) { return set("tool_success_reward", v); }

    /** @see GrpoConfig#turnRewardWeight() */
    public Builder turnRewardWeight(double v) { return set("turn_reward_weight", v); }

    /** @see GrpoConfig#turnRewardDiscount() */
    public Builder turnRewardDiscount(double v) { return set("turn_reward_discount", v); }
  }
}
