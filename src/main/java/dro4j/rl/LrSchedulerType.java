package dro4j.rl;

import dro4j.BadInputException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Learning-rate multipliers of transformers' {@code get_scheduler} ({@code lr_scheduler_type}),
 * the lambdas of {@code transformers/optimization.py}, with W warmup steps of T training steps:
 *
 * <pre>
 *   constant              1                                    (get_constant_schedule: no warmup)
 *   constant_with_warmup  s &lt; W ? s / max(1, W) : 1
 *   linear                s &lt; W ? s / max(1, W) : max(0, (T - s) / max(1, T - W))
 *   cosine                s &lt; W ? s / max(1, W) : max(0, (1 + cos(pi * p)) / 2),  p = (s - W) / max(1, T - W)
 * </pre>
 *
 * (cosine with transformers' default {@code num_cycles = 0.5}: cos(pi * 2 * 0.5 * p)). Like
 * {@code torch.optim.lr_scheduler.LambdaLR}, step s is the number of optimizer steps already taken,
 * so the first update uses the multiplier at s = 0, which is 0 under warmup.
 */
public enum LrSchedulerType {
  CONSTANT("constant"),
  CONSTANT_WITH_WARMUP("constant_with_warmup"),
  LINEAR("linear"),
  COSINE("cosine");

  private final String configName;

  LrSchedulerType(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files. */
  public String configName() {
    return configName;
  }

  /** The scheduler registered under {@code name}. */
  public static LrSchedulerType byName(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (LrSchedulerType t : values()) {
        if (t.configName.equals(n)) return t;
      }
    }
    throw new BadInputException(
        "lr_scheduler_type: unknown value '" + name + "', expected one of "
            + Arrays.stream(values()).map(LrSchedulerType::configName).collect(Collectors.joining(", ")));
  }

  /**
   * The multiplier of the peak learning rate after {@code step} optimizer steps.
   *
   * @param step optimizer steps taken, &gt;= 0
   * @param warmupSteps W, &gt;= 0
   * @param totalSteps T, &gt;= 0
   */
  public double factor(long step, long warmupSteps, long totalSteps) {
    if (step < 0 || warmupSteps < 0 || totalSteps < 0) {
      throw new BadInputException(
          "lr schedule: step " + step + ", warmup " + warmupSteps + ", total " + totalSteps + " must be >= 0");
    }
    if (this == CONSTANT) return 1.0;
    if (step < warmupSteps) return (double) step / Math.max(1L, warmupSteps);
    return switch (this) {
      case CONSTANT_WITH_WARMUP -> 1.0;
      case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1L, totalSteps - warmupSteps));
      case COSINE -> {
        double progress = (double) (step - warmupSteps) / Math.max(1L, totalSteps - warmupSteps);
        yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
      }
      default -> throw new IllegalStateException(name());
    };
  }
}
