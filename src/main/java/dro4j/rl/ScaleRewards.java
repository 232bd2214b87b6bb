package dro4j.rl;

import dro4j.BadInputException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How centred rewards are divided to become advantages: TRL {@code GRPOConfig.scale_rewards}.
 *
 * <ul>
 *   <li>{@code group} (default, GRPO, Shao et al. 2024, arXiv 2402.03300): divide by the unbiased
 *       standard deviation of the prompt's group plus 1e-4.
 *   <li>{@code batch} (PPO Lite / "Tricks or Traps", arXiv 2508.08221): divide by the unbiased
 *       standard deviation of all rewards of the batch plus 1e-4; the baseline stays the group mean.
 *   <li>{@code none} (Dr. GRPO, Liu et al. 2025, arXiv 2503.20783): do not divide; dividing by the
 *       group std favours questions that are too easy or too hard.
 * </ul>
 */
public enum ScaleRewards {
  GROUP("group"),
  BATCH("batch"),
  NONE("none");

  private final String configName;

  ScaleRewards(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files ({@code group}, {@code batch}, {@code none}). */
  public String configName() {
    return configName;
  }

  /**
   * The scaling for a configuration value. Like TRL, {@code true} means {@code group} and {@code
   * false} means {@code none}.
   *
   * @throws BadInputException for any other name
   */
  public static ScaleRewards byName(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      if (n.equals("true")) return GROUP;
      if (n.equals("false")) return NONE;
      for (ScaleRewards s : values()) {
        if (s.configName.equals(n)) return s;
      }
    }
    throw new BadInputException(
        "scale_rewards: unknown value '" + name + "', expected one of "
            + Arrays.stream(values()).map(ScaleRewards::configName).collect(Collectors.joining(", ")));
  }
}
