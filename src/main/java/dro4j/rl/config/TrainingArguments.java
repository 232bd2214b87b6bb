package dro4j.rl.config;

import dro4j.BadInputException;
import dro4j.rl.LrSchedulerType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings GRPO and SFT share: the job (model, data, prompts, output), the optimizer, the
 * learning-rate schedule and the step loop. Names and defaults follow transformers'
 * {@code TrainingArguments}, which TRL's GRPOConfig and SFTConfig extend; {@link GrpoConfig} and
 * {@link SftConfig} embed this record and flatten its keys into theirs, overriding a few defaults.
 * Each component's {@link Setting} annotation documents it (meaning, default, paper).
 */
public record TrainingArguments(
    @Setting(help = "Folder for checkpoints and logs (transformers output_dir); relative to the working directory."
            + " A fresh run refuses a folder that already holds a run's checkpoints or metrics.jsonl unless"
            + " overwrite_output_dir is true or --resume is given. Default trainer_output.", defaultValue = "trainer_output")
        Path outputDir,
    @Setting(help = "Start a fresh run in an output_dir that holds an earlier run: its checkpoint-* folders,"
            + " metrics.jsonl, completions.jsonl, plots/ and runs/ are deleted first (transformers 4"
            + " overwrite_output_dir; other files are left alone). Without it such a folder is refused, so two"
            + " runs are never mixed. --resume wins over it (the run is continued, nothing deleted). Default false.",
        defaultValue = "false")
        boolean overwriteOutputDir,
    @Setting(help = "Hugging Face model folder to train (config.json, model.safetensors, tokenizer.json, ...;"
            + " a relative folder resolves against the working directory), or a bundled model: bundled:stories260K,"
            + " bundled:finqa-tiny; ~ (null) for the default, bundled:stories260K. With beta > 0 the frozen reference policy is a second load of"
            + " this folder (with use_peft: the same weights with the adapter off). Default ~.", defaultValue = "~")
        Path model,
    @Setting(help = "Where the weights, KV caches and every step's tensors live: cpu | cuda | cuda:N (DJL's Device)."
            + " CUDA needs a CUDA build of libtorch 2.7.1 (see README, 'On a GPU'); asking for it where PyTorch sees"
            + " no GPU is an error. GPU use is untested. Default cpu.", defaultValue = "cpu")
        String device,
    @Setting(help = "Train a LoRA adapter (Hu et al. 2021) instead of every weight, as TRL's use_peft: the base model"
            + " stays frozen and is held once, only the adapter's factors get gradients and AdamW state, the reference"
            + " policy (beta > 0, R3's scoring_policy reference) is the base with the adapter disabled, and checkpoints"
            + " hold the adapter in PEFT's layout (adapter_config.json, adapter_model.safetensors). Default false.",
        defaultValue = "false")
        boolean usePeft,
    @Setting(help = "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to start training"
            + " from, on top of model; implies use_peft, and its r, lora_alpha, lora_dropout and target_modules replace"
            + " the lora_* settings. ~ starts a new adapter. Default ~.", defaultValue = "~")
        Path adapter,
    @Setting(help = "LoRA rank r of a new adapter (TRL lora_r). Default 16.", defaultValue = "16")
        int loraR,
    @Setting(help = "LoRA alpha of a new adapter: the adapter's output is scaled by lora_alpha / lora_r (TRL"
            + " lora_alpha). Default 32.", defaultValue = "32")
        int loraAlpha,
    @Setting(help = "Dropout probability on a LoRA adapter's input during training updates (TRL lora_dropout);"
            + " the masks derive from (seed, update, row). Default 0.05.", defaultValue = "0.05")
        double loraDropout,
    @Setting(help = "The linear layers that get a LoRA adapter, by name (a module whose path ends in the name):"
            + " any of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or all-linear (TRL"
            + " lora_target_modules; a YAML list or names separated by commas). Default all linear layers of attention"
            + " and MLP: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj.",
        defaultValue = "[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]")
        java.util.List<String> loraTargetModules,
    @Setting(help = "Training examples, read by the task's loader (with no task: jsonl, which reads TRL's"
            + " prompt/solution and conversational formats and dro4j's {id, fields, reference, metadata}); a relative"
            + " path resolves against the working directory, bundled:NAME names a data set inside the jar"
            + " (bundled:keyword-prompts, bundled:sft-colors). ~ for the small demo data set bundled with the"
            + " command. Default ~.", defaultValue = "~")
        Path dataset,
    @Setting(help = "The task (dro4j.task.Task): finqa | pararev | gsm8k | svamp | jsonl, or the name of a custom"
            + " task registered through META-INF/services/dro4j.task.Task on the class path. It reads dataset (and"
            + " eval_dataset) in its native format (FinQA's JSON, ParaRev, GSM8K, SVAMP, dro4j's example format),"
            + " gives the prompt template and end-of-reasoning marker that filter, train, sft and eval share, the"
            + " rewards used when rewards is empty, and the evaluation metric. ~ reads like jsonl (TRL's prompt formats"
            + " or dro4j's) with the plain prompt but has no default rewards. Default ~.", defaultValue = "~")
        String task,
    @Setting(help = "How an example becomes the prompt text: the name of a built-in template (finqa | pararev |"
            + " pararev_context | math | plain, see dro4j.data.prompt.PromptTemplates), or a template text whose"
            + " {name} placeholders are replaced by the example's fields (e.g. 'Question: {question}'; {{ and }}"
            + " are literal braces). ~ uses the task's template; without a task that is plain: the field"
            + " 'prompt', or the only field when the example has one. With a chat template the text is the user"
            + " message. Default ~.", defaultValue = "~")
        String promptTemplate,
    @Setting(help = "System message, replacing the template's: before the user message with a chat template,"
            + " and before the user text, separated by a blank line, for a base model (as filter and eval do)."
            + " ~ keeps the template's (the built-in ones have none). Default ~.", defaultValue = "~")
        String systemPrompt,
    @Setting(help = "Extra variables for the chat template, as transformers' apply_chat_template(**kwargs) and TRL's"
            + " chat_template_kwargs pass them (e.g. {enable_thinking: false} for Qwen3); ~ for none. Not"
            + " messages or add_generation_prompt. Default ~.", defaultValue = "~")
        Map<String, Object> chatTemplateKwargs,
    @Setting(help = "Peak learning rate of AdamW. Default 1e-6 for GRPO (TRL GRPOConfig; DRO, Xu et al. 2025, trains"
            + " with 1e-6), 2e-5 for SFT (TRL SFTConfig).", defaultValue = "1e-6")
        double learningRate,
    @Setting(help = "Learning-rate schedule after warmup: constant | constant_with_warmup | linear | cosine"
            + " (transformers get_scheduler; default linear). DRO uses a constant rate after warmup.",
        defaultValue = "linear")
        LrSchedulerType lrSchedulerType,
    @Setting(help = "Share of the optimizer updates spent warming up linearly from 0 (transformers). Default 0;"
            + " DRO uses 0.2.", defaultValue = "0.0")
        double warmupRatio,
    @Setting(help = "Warmup updates; when > 0 it wins over warmup_ratio (transformers). Default 0.",
        defaultValue = "0")
        long warmupSteps,
    @Setting(help = "Decoupled weight decay of AdamW (Loshchilov & Hutter 2019); biases and norm weights are"
            + " not decayed, as in transformers. Default 0.", defaultValue = "0.0")
        double weightDecay,
    @Setting(help = "AdamW beta1, decay of the first moment. Default 0.9.", defaultValue = "0.9")
        double adamBeta1,
    @Setting(help = "AdamW beta2, decay of the second moment. Default 0.999.", defaultValue = "0.999")
        double adamBeta2,
    @Setting(help = "AdamW epsilon added to sqrt(v). Default 1e-8.", defaultValue = "1e-8")
        double adamEpsilon,
    @Setting(help = "Global L2 norm the gradients are clipped to before each update (Pascanu et al. 2013);"
            + " 0 turns clipping off. Default 1.0.", defaultValue = "1.0")
        double maxGradNorm,
    @Setting(help = "Micro-batches whose gradients are summed into one optimizer update: trades memory for"
            + " time without changing the update (transformers). Default 1.", defaultValue = "1")
        int gradientAccumulationSteps,
    @Setting(help = "Recompute each decoder layer's activations in backward instead of keeping them from the"
            + " forward (transformers gradient_checkpointing): a training forward keeps only each layer's input,"
            + " and backward recomputes the language-model head chunk by chunk and then each layer, top first."
            + " Trades about a third more training time for memory, so long completions fit; losses and"
            + " gradients are the same up to fp32 rounding. Default false.", defaultValue = "false")
        boolean gradientCheckpointing,
    @Setting(help = "Number of training steps; -1 derives it from num_train_epochs (transformers). A GRPO step"
            + " is one generation round (see GrpoConfig.num_iterations). Default -1.", defaultValue = "-1")
        long maxSteps,
    @Setting(help = "Passes over the data set when max_steps is -1 (transformers). Default 3.", defaultValue = "3.0")
        double numTrainEpochs,
    @Setting(help = "Report metrics to the step listeners every N steps (the last step is always reported)."
            + " Default 1 (transformers: 10), because a step here is a whole generation round.", defaultValue = "1")
        int loggingSteps,
    @Setting(help = "Where the logged metrics also go (transformers report_to): none | tensorboard. tensorboard"
            + " writes TensorBoard event files to output_dir/runs (transformers' logging_dir), one scalar per"
            + " numeric metric per logged step; open them with tensorboard --logdir output_dir/runs. metrics.jsonl"
            + " is written either way. Default none.", defaultValue = "none")
        String reportTo,
    @Setting(help = "Write a checkpoint every N steps and at the end; 0 writes only the final one"
            + " (transformers save_steps, default 500).", defaultValue = "500")
        int saveSteps,
    @Setting(help = "Keep only the newest N checkpoints; ~ keeps all (transformers save_total_limit). Default ~.",
        defaultValue = "~")
        Integer saveTotalLimit,
    @Setting(help = "Data type of the saved weights: float32 | bfloat16. Training always runs in fp32 master"
            + " weights. Default float32.", defaultValue = "float32")
        String saveDtype,
    @Setting(help = "Seed of every random choice: the data order of each epoch and the sampling stream of each"
            + " rollout are derived from (seed, step, row), so a resumed run needs no random state. Default 42"
            + " (transformers).", defaultValue = "42")
        long seed,
    @Setting(help = "Shuffle the data set each epoch (with the seed); false keeps file order. Default true"
            + " (TRL GRPOConfig); SFT defaults to false (TRL SFTConfig).", defaultValue = "true")
        boolean shuffleDataset) {

  /** Checks every range and names the offending key. */
  public TrainingArguments {
    if (outputDir == null) throw new BadInputException("output_dir must be given");
    if (chatTemplateKwargs != null) {
      if (chatTemplateKwargs.containsKey("messages") || chatTemplateKwargs.containsKey("add_generation_prompt")) {
        throw new BadInputException("chat_template_kwargs must not set messages or add_generation_prompt");
      }
      chatTemplateKwargs = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplateKwargs));
    }
    dro4j.model.TensorEngine.checkDeviceName(device);
    device = device.trim();
    if (loraR < 1) throw new BadInputException("lora_r must be >= 1, got " + loraR);
    if (loraAlpha <= 0) throw new BadInputException("lora_alpha must be > 0, got " + loraAlpha);
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw new BadInputException("lora_dropout must be in [0, 1), got " + loraDropout);
    }
    if (loraTargetModules == null || loraTargetModules.isEmpty()) {
      throw new BadInputException("lora_target_modules must name at least one module");
    }
    for (String m : loraTargetModules) {
      if (!m.equals("all-linear") && !dro4j.model.LoraConfig.LINEAR_MODULES.contains(m)) {
        throw new BadInputException("lora_target_modules: unknown module '" + m + "' (expected any of "
            + String.join(", ", dro4j.model.LoraConfig.LINEAR_MODULES) + ", or all-linear)");
      }
    }
    loraTargetModules = java.util.List.copyOf(loraTargetModules);
    finite("learning_rate", learningRate, 0);
    if (lrSchedulerType == null) throw new BadInputException("lr_scheduler_type must be given");
    if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
      throw new BadInputException("warmup_ratio must be in [0, 1], got " + warmupRatio);
    }
    if (warmupSteps < 0) throw new BadInputException("warmup_steps must be >= 0, got " + warmupSteps);
    finite("weight_decay", weightDecay, 0);
    if (!(adamBeta1 >= 0 && adamBeta1 < 1)) throw new BadInputException("adam_beta1 must be in [0, 1), got " + adamBeta1);
    if (!(adamBeta2 >= 0 && adamBeta2 < 1)) throw new BadInputException("adam_beta2 must be in [0, 1), got " + adamBeta2);
    finite("adam_epsilon", adamEpsilon, 0);
    finite("max_grad_norm", maxGradNorm, 0);
    if (gradientAccumulationSteps < 1) {
      throw new BadInputException("gradient_accumulation_steps must be >= 1, got " + gradientAccumulationSteps);
    }
    if (maxSteps == 0 || maxSteps < -1) {
      throw new BadInputException("max_steps must be >= 1, or -1 to use num_train_epochs; got " + maxSteps);
    }
    if (maxSteps == -1 && !(numTrainEpochs > 0 && Double.isFinite(numTrainEpochs))) {
      throw new BadInputException("num_train_epochs must be > 0 when max_steps is -1, got " + numTrainEpochs);
    }
    if (!"none".equals(reportTo) && !"tensorboard".equals(reportTo)) {
      throw new BadInputException("report_to must be none or tensorboard, got " + reportTo);
    }
    if (loggingSteps < 1) throw new BadInputException("logging_steps must be >= 1, got " + loggingSteps);
    if (saveSteps < 0) throw new BadInputException("save_steps must be >= 0, got " + saveSteps);
    if (saveTotalLimit != null && saveTotalLimit < 1) {
      throw new BadInputException("save_total_limit must be >= 1 or ~ (keep all), got " + saveTotalLimit);
    }
    if (!"float32".equals(saveDtype) && !"bfloat16".equals(saveDtype)) {
      throw new BadInputException("save_dtype must be float32 or bfloat16, got " + saveDtype);
    }
  }

  /** Whether the run trains a LoRA adapter ({@code use_peft}, or an {@code adapter} to start from). */
  public boolean trainsAdapter() {
    return usePeft || adapter != null;
  }

  /** The settings of a new adapter from {@code lora_r}, {@code lora_alpha}, {@code lora_dropout}, {@code lora_target_modules}. */
  public dro4j.model.LoraConfig loraConfig() {
    return dro4j.model.LoraConfig.of(loraR, loraAlpha, loraDropout, loraTargetModules);
  }

  /**
   * The number of steps to run: {@code max_steps}, or {@code ceil(num_train_epochs * examples /
   * examplesPerStep)} when it is -1.
   */
  public long totalSteps(int datasetSize, int examplesPerStep) {
    if (maxSteps > 0) return maxSteps;
    if (datasetSize < 1) throw new BadInputException("the data set is empty");
    return Math.max(1, (long) Math.ceil(numTrainEpochs * datasetSize / examplesPerStep));
  }

  static void finite(String key, double value, double min) {
    if (!(value >= min) || Double.isInfinite(value)) {
      throw new BadInputException(key + " must be a finite number >= " + min + ", got " + value);
    }
  }

  /**
   * Typed setters for the shared settings, inherited by the builders of {@link GrpoConfig} and
   * {@link SftConfig}.
   *
   * @param <B> the concrete builder
   * @param <R> the configuration record
   */
  public abstract static class Builder<B extends Builder<B, R>, R extends Record> extends ConfigBuilder<B, R> {
    /** A builder over {@code schema}. */
    protected Builder(ConfigSchema<R> schema) {
      super(schema);
    }

    /** @see TrainingArguments#outputDir() */
    public B outputDir(Path v) { return set("output_dir", v); }

    /** @see TrainingArguments#overwriteOutputDir() */
    public B overwriteOutputDir(boolean v) { return set("overwrite_output_dir", v); }

    /** @see TrainingArguments#reportTo() */
    public B reportTo(String v) { return set("report_to", v); }

    /** @see TrainingArguments#model() */
    public B model(Path v) { return set("model", v); }

    /** @see TrainingArguments#device() */
    public B device(String v) { return set("device", v); }

    /** @see TrainingArguments#usePeft() */
    public B usePeft(boolean v) { return set("use_peft", v); }

    /** @see TrainingArguments#adapter() */
    public B adapter(Path v) { return set("adapter", v); }

    /** @see TrainingArguments#loraR() */
    public B loraR(int v) { return set("lora_r", v); }

    /** @see TrainingArguments#loraAlpha() */
    public B loraAlpha(int v) { return set("lora_alpha", v); }

    /** @see TrainingArguments#loraDropout() */
    public B loraDropout(double v) { return set("lora_dropout", v); }

    /** @see TrainingArguments#loraTargetModules() */
    public B loraTargetModules(java.util.List<String> v) { return set("lora_target_modules", v); }

    /** @see TrainingArguments#dataset() */
    public B dataset(Path v) { return set("dataset", v); }

    /** @see TrainingArguments#task() */
    public B task(String v) { return set("task", v); }

    /** @see TrainingArguments#promptTemplate() */
    public B promptTemplate(String v) { return set("prompt_template", v); }

    /** @see TrainingArguments#systemPrompt() */
    public B systemPrompt(String v) { return set("system_prompt", v); }

    /** @see TrainingArguments#chatTemplateKwargs() */
    public B chatTemplateKwargs(Map<String, Object> v) { return set("chat_template_kwargs", v); }

    /** @see TrainingArguments#learningRate() */
    public B learningRate(double v) { return set("learning_rate", v); }

    /** @see TrainingArguments#lrSchedulerType() */
    public B lrSchedulerType(LrSchedulerType v) { return set("lr_scheduler_type", v); }

    /** @see TrainingArguments#warmupRatio() */
    public B warmupRatio(double v) { return set("warmup_ratio", v); }

    /** @see TrainingArguments#warmupSteps() */
    public B warmupSteps(long v) { return set("warmup_steps", v); }

    /** @see TrainingArguments#weightDecay() */
    public B weightDecay(double v) { return set("weight_decay", v); }

    /** @see TrainingArguments#adamBeta1() */
    public B adamBeta1(double v) { return set("adam_beta1", v); }

    /** @see TrainingArguments#adamBeta2() */
    public B adamBeta2(double v) { return set("adam_beta2", v); }

    /** @see TrainingArguments#adamEpsilon() */
    public B adamEpsilon(double v) { return set("adam_epsilon", v); }

    /** @see TrainingArguments#maxGradNorm() */
    public B maxGradNorm(double v) { return set("max_grad_norm", v); }

    /** @see TrainingArguments#gradientAccumulationSteps() */
    public B gradientAccumulationSteps(int v) { return set("gradient_accumulation_steps", v); }

    /** @see TrainingArguments#gradientCheckpointing() */
    public B gradientCheckpointing(boolean v) { return set("gradient_checkpointing", v); }

    /** @see TrainingArguments#maxSteps() */
    public B maxSteps(long v) { return set("max_steps", v); }

    /** @see TrainingArguments#numTrainEpochs() */
    public B numTrainEpochs(double v) { return set("num_train_epochs", v); }

    /** @see TrainingArguments#loggingSteps() */
    public B loggingSteps(int v) { return set("logging_steps", v); }

    /** @see TrainingArguments#saveSteps() */
    public B saveSteps(int v) { return set("save_steps", v); }

    /** @see TrainingArguments#saveTotalLimit() */
    public B saveTotalLimit(Integer v) { return set("save_total_limit", v); }

    /** @see TrainingArguments#saveDtype() */
    public B saveDtype(String v) { return set("save_dtype", v); }

    /** @see TrainingArguments#seed() */
    public B seed(long v) { return set("seed", v); }

    /** @see TrainingArguments#shuffleDataset() */
    public B shuffleDataset(boolean v) { return set("shuffle_dataset", v); }
  }
}
