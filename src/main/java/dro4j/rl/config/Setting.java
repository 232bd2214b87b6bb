package dro4j.rl.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Documents one configuration field where it is declared, the way TRL's {@code GRPOConfig} declares
 * {@code field(default=..., metadata={"help": ...})}: the same text is the Javadoc of the record
 * component (shown in its signature), the {@code --help} of the {@code train}/{@code sft} commands
 * and the reference of the YAML keys, so the three cannot drift apart.
 *
 * <p>The key in YAML files and the command-line flag are the component name in snake_case
 * ({@code learningRate} is {@code learning_rate} and {@code --learning_rate}/{@code --learning-rate}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Setting {
  /** What the field means, its default and the paper it comes from. */
  String help();

  /**
   * The default, written as a YAML value ({@code 1e-6}, {@code true}, {@code group}, {@code []});
   * {@code ~} means null.
   */
  String defaultValue();
}
