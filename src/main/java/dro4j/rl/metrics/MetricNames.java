package dro4j.rl.metrics;

/**
 * The names under which trainers log their per-step metrics, following TRL's {@code GRPOTrainer}
 * where it logs the same quantity (so TRL-trained and dro4j-trained runs plot side by side). The
 * progress line and the default plots look for these names.
 */
public final class MetricNames {
  private MetricNames() {}

  /** Mean total reward over the step's rollouts. */
  public static final String REWARD = "reward";
  /** Standard deviation of the total reward (TRL: mean of the per-group std). */
  public static final String REWARD_STD = "reward_std";
  /** Fraction of groups whose rewards are all equal (zero advantage, no learning signal). */
  public static final String FRAC_REWARD_ZERO_STD = "frac_reward_zero_std";
  /** Mean advantage over the step's rollouts. */
  public static final String ADVANTAGE_MEAN = "advantages/mean";
  /** Standard deviation of the advantages. */
  public static final String ADVANTAGE_STD = "advantages/std";
  /** The policy loss (with the KL term when beta &gt; 0). */
  public static final String LOSS = "loss";
  /** Mean per-token KL divergence to the reference policy. */
  public static final String KL = "kl";
  /** Mean per-token entropy of the policy on the completions. */
  public static final String ENTROPY = "entropy";
  /** Global gradient norm before clipping. */
  public static final String GRAD_NORM = "grad_norm";
  /** Learning rate used for the step's update. */
  public static final String LEARNING_RATE = "learning_rate";
  /** Fraction of tokens whose ratio was clipped (either side). */
  public static final String CLIP_RATIO = "clip_ratio/region_mean";
  /** Mean completion length in tokens. */
  public static final String COMPLETION_MEAN_LENGTH = "completions/mean_length";
  /** Longest completion in tokens. */
  public static final String COMPLETION_MAX_LENGTH = "completions/max_length";
  /** Fraction of completions cut at {@code max_completion_length} (no EOS). */
  public static final String COMPLETION_CLIPPED_RATIO = "completions/clipped_ratio";
  /** Tokens processed per second over the whole step (generation, reward and training). */
  public static final String TOKENS_PER_SECOND = "tokens_per_second";
  /** Seconds the step spent generating rollouts. */
  public static final String TIME_GENERATION = "time/generation";
  /** Seconds the step spent computing rewards. */
  public static final String TIME_REWARD = "time/reward";
  /** Seconds the step spent in forward, backward and the optimizer. */
  public static final String TIME_TRAINING = "time/training";
  /** Updates skipped so far because the loss or a gradient was not finite. */
  public static final String SKIPPED_UPDATES = "skipped_updates";

  /** Mean of one reward function's scores, {@code rewards/<name>/mean}. */
  public static String rewardMean(String rewardName) {
    return "rewards/" + rewardName + "/mean";
  }

  /** Standard deviation of one reward function's scores, {@code rewards/<name>/std}. */
  public static String rewardStd(String rewardName) {
    return "rewards/" + rewardName + "/std";
  }
}
