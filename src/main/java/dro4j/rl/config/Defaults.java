package dro4j.rl.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a nested configuration record (the {@link TrainingArguments} inside {@link GrpoConfig} and
 * {@link SftConfig}): defaults that differ from the nested record's own, as {@code key=value} with a
 * YAML value. TRL's GRPOConfig and SFTConfig override transformers' TrainingArguments the same way
 * (for example {@code learning_rate} 1e-6 and 2e-5).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Defaults {
  /** {@code key=value} pairs. */
  String[] value();
}
