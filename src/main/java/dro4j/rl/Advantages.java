package dro4j.rl;

/**
 * Sequence-level advantages of one batch of rollouts, with the statistics a trainer logs.
 *
 * @param advantages one advantage per row (rollout), in input order; rows of dropped groups are 0
 * @param keptRows rows to train on, ascending: every row, or with dynamic sampling only the rows of
 *     groups whose rewards vary
 * @param numGroups number of distinct groups (prompts)
 * @param numZeroStdGroups groups whose reward std is (close to) zero, see {@link
 *     AdvantageEstimator#ZERO_STD_ATOL}
 * @param fracRewardZeroStd {@code numZeroStdGroups / numGroups}: TRL's {@code frac_reward_zero_std}
 * @param rewardMean mean of all rewards
 * @param rewardStd unbiased std of all rewards (0 for a single row)
 * @param advantageMean mean of all advantages (all rows, dropped ones included as 0)
 * @param advantageStd unbiased std of all advantages (0 for a single row)
 */
public record Advantages(
    double[] advantages,
    int[] keptRows,
    int numGroups,
    int numZeroStdGroups,
    double fracRewardZeroStd,
    double rewardMean,
    double rewardStd,
    double advantageMean,
    double advantageStd) {

  /** Number of rows. */
  public int size() {
    return advantages.length;
  }

  /** The advantage of row {@code i}. */
  public double get(int i) {
    return advantages[i];
  }
}
