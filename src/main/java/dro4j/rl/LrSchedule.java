package dro4j.rl;

import dro4j.BadInputException;

/**
 * A learning-rate schedule: peak {@code learning_rate} times the {@link LrSchedulerType}
 * multiplier, as a pure function of the optimizer step.
 *
 * @param type {@code lr_scheduler_type}
 * @param learningRate peak learning rate (TRL GRPOConfig default 1e-6)
 * @param warmupSteps W
 * @param totalSteps T, the number of optimizer steps of the run
 */
public record LrSchedule(LrSchedulerType type, double learningRate, long warmupSteps, long totalSteps) {
  public LrSchedule {
    if (type == null) throw new BadInputException("lr_scheduler_type must be given");
    if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
      throw new BadInputException("learning_rate must be a finite value >= 0, got " + learningRate);
    }
    if (warmupSteps < 0) throw new BadInputException("warmup_steps must be >= 0, got " + warmupSteps);
    if (totalSteps < 1) throw new BadInputException("the number of training steps must be >= 1, got " + totalSteps);
  }

  /**
   * A schedule whose warmup is given as {@code warmup_steps} or {@code warmup_ratio}, resolved like
   * transformers' {@code TrainingArguments.get_warmup_steps}: {@code warmup_steps} when it is
   * positive, else {@code ceil(totalSteps * warmup_ratio)}.
   */
  public static LrSchedule of(
      LrSchedulerType type, double learningRate, long totalSteps, long warmupSteps, double warmupRatio) {
    return new LrSchedule(type, learningRate, resolveWarmupSteps(totalSteps, warmupSteps, warmupRatio), totalSteps);
  }

  /** {@code warmupSteps} if positive, else {@code ceil(totalSteps * warmupRatio)} (transformers). */
  public static long resolveWarmupSteps(long totalSteps, long warmupSteps, double warmupRatio) {
    if (warmupSteps < 0) throw new BadInputException("warmup_steps must be >= 0, got " + warmupSteps);
    if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
      throw new BadInputException("warmup_ratio must be in [0, 1], got " + warmupRatio);
    }
    if (warmupSteps > 0) return warmupSteps;
    // same double product as Python, so the same ceil (e.g. 100 * 0.07 = 7.000000000000001 -> 8)
    return (long) Math.ceil(totalSteps * warmupRatio);
  }

  /** The learning rate for the update after {@code step} optimizer steps (0 for the first). */
  public double lr(long step) {
    return learningRate * type.factor(step, warmupSteps, totalSteps);
  }
}
