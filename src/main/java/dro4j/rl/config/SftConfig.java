package dro4j.rl.config;

import dro4j.BadInputException;
import java.util.Map;

/**
 * Settings of supervised fine-tuning on prompt-completion examples ({@code dro4j sft}, {@link
 * dro4j.rl.SftTrainer}), named after TRL's {@code SFTConfig} in snake_case: the cold start before RL
 * and the supervised baseline. The completion of an example is its {@code reference}; the prompt is
 * built from its fields as for GRPO ({@code prompt_template}, chat template when the tokenizer has
 * one). The shared settings are in {@link TrainingArguments}; SFT changes two of their defaults
 * ({@code learning_rate} 2e-5 and {@code shuffle_dataset} false, as TRL's SFTConfig).
 */
public record SftConfig(
    @Defaults({"learning_rate=2e-5", "shuffle_dataset=false"}) TrainingArguments training,
    @Setting(help = "Examples per micro-batch; an optimizer update sees per_device_train_batch_size *"
            + " gradient_accumulation_steps examples (transformers). Default 8.", defaultValue = "8")
        int perDeviceTrainBatchSize,
    @Setting(help = "Most tokens of prompt + completion; longer examples keep their first max_length tokens"
            + " (TRL truncation_mode keep_start). ~ never truncates. Default 1024 (TRL).", defaultValue = "1024")
        Integer maxLength,
    @Setting(help = "Train only on the completion tokens (the prompt is context, not a target). Default true"
            + " (TRL's behaviour for prompt-completion data); false trains on every token after the first.",
        defaultValue = "true")
        boolean completionOnlyLoss,
    @Setting(help = "Train only on the assistant's turns of conversational examples (TRL's assistant_only_loss):"
            + " each example's metadata 'messages' (user, assistant turns that may call tools, tool results) is laid"
            + " out as the multi-turn rollout would produce it, and only the assistant's tokens (their EOS included)"
            + " are targets; prompts and tool results are context. Tool schemas come from the metadata 'tools'."
            + " Default false.", defaultValue = "false")
        boolean assistantOnlyLoss,
    @Setting(help = "Append the tokenizer's EOS token to each completion so the model learns to stop (TRL adds"
            + " eos_token to completions). Default true.", defaultValue = "true")
        boolean appendEos) {

  private static final ConfigSchema<SftConfig> SCHEMA = ConfigSchema.of(SftConfig.class);

  /** Checks every range and names the offending key. */
  public SftConfig {
    if (training == null) throw new BadInputException("training arguments must be given");
    if (perDeviceTrainBatchSize < 1) {
      throw new BadInputException("per_device_train_batch_size must be >= 1, got " + perDeviceTrainBatchSize);
    }
    if (maxLength != null && maxLength < 2) {
      throw new BadInputException("max_length must be >= 2 or ~, got " + maxLength);
    }
  }

  /** Examples per optimizer update: {@code per_device_train_batch_size * gradient_accumulation_steps}. */
  public int examplesPerStep() {
    return perDeviceTrainBatchSize * training.gradientAccumulationSteps();
  }

  /** The settings of this record (keys, types, defaults, help). */
  public static ConfigSchema<SftConfig> schema() {
    return SCHEMA;
  }

  /** Every setting as a plain value by key. */
  public Map<String, Object> toMap() {
    return SCHEMA.toMap(this);
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static SftConfig defaults() {
    return SCHEMA.defaults();
  }

  /** Builds an {@link SftConfig}; the shared setters come from {@link TrainingArguments.Builder}. */
  public static final class Builder extends TrainingArguments.Builder<Builder, SftConfig> {
    private Builder() {
      super(SCHEMA);
    }

    @Override
    protected Builder self() {
      return this;
    }

    /** @see SftConfig#perDeviceTrainBatchSize() */
    public Builder perDeviceTrainBatchSize(int v) { return set("per_device_train_batch_size", v); }

    /** @see SftConfig#maxLength() */
    public Builder maxLength(Integer v) { return set("max_length", v); }

    /** @see SftConfig#completionOnlyLoss() */
    public Builder completionOnlyLoss(boolean v) { return set("completion_only_loss", v); }

    /** @see SftConfig#assistantOnlyLoss() */
    public Builder assistantOnlyLoss(boolean v) { return set("assistant_only_loss", v); }

    /** @see SftConfig#appendEos() */
    public Builder appendEos(boolean v) { return set("append_eos", v); }
  }
}
