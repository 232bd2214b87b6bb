package dro4j.rl;

import dro4j.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Outcome advantage estimators over groups of rollouts of the same prompt, selected by name in the
 * style of verl's {@code core_algos.py} ({@code adv_estimator}). Each estimator fixes the baseline
 * b_i subtracted from a rollout's reward; {@link ScaleRewards} fixes the divisor:
 *
 * <pre>
 *   A_i = (r_i - b_i) / s      s = std_group + 1e-4 | std_batch + 1e-4 | 1
 * </pre>
 *
 * where std is the unbiased standard deviation (as {@code torch.std}). With {@code grpo} this is
 * exactly TRL {@code GRPOTrainer._generate_and_score_completions} ({@code
 * multi_objective_aggregation="sum_then_normalize"}, trl 1.10.0.dev0): the baseline is always the
 * group mean, {@code scale_rewards="batch"} divides by {@code nanstd(rewards)} of the whole batch.
 *
 * <p>Edge cases: a group of one rollout has no baseline; its std counts as 0 (as TRL does when
 * {@code num_generations == 1}) and its advantage is 0. A group counts as zero-variance when its
 * std is at most {@link #ZERO_STD_ATOL} (TRL: {@code torch.isclose(std, 0)}). Non-finite rewards
 * are rejected: the trainer's non-finite guard must handle them before advantages are computed.
 *
 * <p>Dynamic sampling (DAPO, Yu et al. 2025, arXiv 2503.14476) drops groups whose rewards do not
 * vary: they give no gradient under group centring. When it is on, dropped rows get advantage 0,
 * are left out of {@link Advantages#keptRows()}, and the batch std of {@code scale_rewards=batch}
 * is taken over the kept rows only (the batch that is actually trained on).
 */
public enum AdvantageEstimator {
  /** GRPO (Shao et al. 2024, arXiv 2402.03300): b_i = mean of the group. */
  GRPO("grpo") {
    @Override
    double baseline(double[] rewards, List<Integer> rows, int row, double groupMean) {
      return groupMean;
    }
  },
  /**
   * RLOO (Ahmadian et al. 2024, arXiv 2402.14740): b_i = mean of the other rollouts of the group,
   * so r_i - b_i = n/(n-1) (r_i - mean) (verl {@code compute_rloo_outcome_advantage}; verl applies no
   * std division, i.e. {@code scale_rewards=none}).
   */
  RLOO("rloo") {
    @Override
    double baseline(double[] rewards, List<Integer> rows, int row, double groupMean) {
      int n = rows.size();
      return (groupMean * n - rewards[row]) / (n - 1);
    }
  };

  /** Added to the std before dividing (TRL, verl). */
  public static final double STD_EPSILON = 1e-4;

  /** A std at most this is "zero" ({@code torch.isclose} default atol against 0). */
  public static final double ZERO_STD_ATOL = 1e-8;

  private final String configName;

  AdvantageEstimator(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files. */
  public String configName() {
    return configName;
  }

  /** The estimator registered under {@code name} ({@code grpo}, {@code rloo}). */
  public static AdvantageEstimator byName(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (AdvantageEstimator e : values()) {
        if (e.configName.equals(n)) return e;
      }
    }
    throw new BadInputException(
        "advantage estimator: unknown name '" + name + "', expected one of "
            + Arrays.stream(values()).map(AdvantageEstimator::configName).collect(Collectors.joining(", ")));
  }

  /** Baseline of {@code row} in its group ({@code rows}, size at least 2). */
  abstract double baseline(double[] rewards, List<Integer> rows, int row, double groupMean);

  /**
   * Advantages for rollouts given as groups: {@code groups[g][k]} is the reward of rollout k of
   * prompt g. Rows of the result are the rollouts in row-major order (group 0 first).
   */
  public Advantages compute(double[][] groups, ScaleRewards scale, boolean dynamicSampling) {
    if (groups == null || groups.length == 0) {
      throw new BadInputException("rewards: no groups given");
    }
    int n = 0;
    for (int g = 0; g < groups.length; g++) {
      if (groups[g] == null || groups[g].length == 0) {
        throw new BadInputException("rewards: group " + g + " is empty");
      }
      n += groups[g].length;
    }
    double[] flat = new double[n];
    int[] ids = new int[n];
    int i = 0;
    for (int g = 0; g < groups.length; g++) {
      for (double r : groups[g]) {
        flat[i] = r;
        ids[i++] = g;
      }
    }
    return compute(flat, ids, scale, dynamicSampling);
  }

  /**
   * Advantages for rollouts with one reward each and the id of their group (prompt); rows of a
   * group need not be adjacent and groups may differ in size.
   *
   * @param rewards one finite reward per rollout
   * @param groupIds the group of each rollout, same length as {@code rewards}
   * @param scale the divisor, see {@link ScaleRewards}
   * @param dynamicSampling drop zero-variance groups (DAPO dynamic sampling)
   */
  public Advantages compute(
      double[] rewards, int[] groupIds, ScaleRewards scale, boolean dynamicSampling) {
    if (rewards == null || groupIds == null) {
      throw new BadInputException("rewards and group ids must be given");
    }
    if (scale == null) {
      throw new BadInputException("scale_rewards must be given");
    }
    if (rewards.length != groupIds.length) {
      throw new BadInputException(
          "rewards: " + rewards.length + " rewards but " + groupIds.length + " group ids");
    }
    if (rewards.length == 0) {
      throw new BadInputException("rewards: no rewards given");
    }
    for (int i = 0; i < rewards.length; i++) {
      if (!Double.isFinite(rewards[i])) {
        throw new BadInputException("rewards: reward " + i + " is " + rewards[i]);
      }
    }
    Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < rewards.length; i++) {
      groups.computeIfAbsent(groupIds[i], k -> new ArrayList<>()).add(i);
    }

    int n = rewards.length;
    double[] centred = new double[n];
    double[] groupStdOfRow = new double[n];
    boolean[] keep = new boolean[n];
    int zeroStdGroups = 0;
    for (List<Integer> rows : groups.values()) {
      double[] r = new double[rows.size()];
      for (int k = 0; k < r.length; k++) r[k] = rewards[rows.get(k)];
      double mean = mean(r);
      double std = unbiasedStd(r, mean);
      boolean zeroStd = std <= ZERO_STD_ATOL;
      if (zeroStd) zeroStdGroups++;
      for (int row : rows) {
        keep[row] = !(dynamicSampling && zeroStd);
        groupStdOfRow[row] = std;
        // a single rollout has no baseline: advantage 0, as TRL for num_generations == 1
        centred[row] = rows.size() < 2 ? 0.0 : rewards[row] - baseline(rewards, rows, row, mean);
      }
    }

    int kept = 0;
    for (boolean k : keep) if (k) kept++;
    int[] keptRows = new int[kept];
    double[] keptRewards = new double[kept];
    for (int i = 0, j = 0; i < n; i++) {
      if (keep[i]) {
        keptRows[j] = i;
        keptRewards[j++] = rewards[i];
      }
    }
    double batchStd = kept < 2 ? 0.0 : unbiasedStd(keptRewards, mean(keptRewards));

    double[] adv = new double[n];
    for (int i = 0; i < n; i++) {
      if (!keep[i]) continue;
      adv[i] =
          switch (scale) {
            case GROUP -> centred[i] / (groupStdOfRow[i] + STD_EPSILON);
            case BATCH -> centred[i] / (batchStd + STD_EPSILON);
            case NONE -> centred[i];
          };
    }
    double rewardMean = mean(rewards);
    double advMean = mean(adv);
    return new Advantages(
        adv,
        keptRows,
        groups.size(),
        zeroStdGroups,
        zeroStdGroups / (double) groups.size(),
        rewardMean,
        n < 2 ? 0.0 : unbiasedStd(rewards, rewardMean),
        advMean,
        n < 2 ? 0.0 : unbiasedStd(adv, advMean));
  }

  private static double mean(double[] x) {
    double s = 0;
    for (double v : x) s += v;
    return s / x.length;
  }

  /** Bessel-corrected std (torch.std default); 0 for fewer than two values. */
  private static double unbiasedStd(double[] x, double mean) {
    if (x.length < 2) return 0.0;
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    return Math.sqrt(ss / (x.length - 1));
  }
}
