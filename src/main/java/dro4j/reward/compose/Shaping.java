package dro4j.reward.compose;

/**
 * Reward arithmetic as pure functions over arrays. Scores are indexed {@code [rollout]} within a
 * group, {@code [group][rollout]} across a batch, and {@code [component][rollout]} for several
 * rewards of the same rollouts. A NaN score (a rollout a reward could not score) stays NaN and is
 * left out of every statistic.
 */
public final class Shaping {
  /** The default guard added to a standard deviation. */
  public static final double DEFAULT_EPS = 1e-6;

  private Shaping() {}

  /** The logistic function 1 / (1 + e^-x), without overflow for large |x|. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1.0 / (1.0 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1.0 + e);
  }

  /**
   * Preference-as-Reward (PAR, Fu et al. 2025, "Reward Shaping to Mitigate Reward Hacking in RLHF",
   * arXiv 2502.18770): the mean over M reference rewards of sigmoid(r - r_ref_m), the probability
   * under a Bradley-Terry model that the response is preferred to a reference-policy response.
   * Bounded in (0, 1), steepest where r is near the reference rewards and flat far above them, which
   * is what removes the incentive to push r without limit.
   *
   * @throws IllegalArgumentException when there is no reference reward
   */
  public static double par(double reward, double[] referenceRewards) {
    if (referenceRewards.length == 0) {
      throw new IllegalArgumentException("PAR needs at least one reference reward");
    }
    double sum = 0;
    for (double ref : referenceRewards) {
      sum += sigmoid(reward - ref);
    }
    return sum / referenceRewards.length;
  }

  /** {@code sum_k weights[k] * components[k][i]} for each rollout i. */
  public static double[] weightedSum(double[][] components, double[] weights) {
    checkShape(components, weights);
    double[] out = new double[components[0].length];
    for (int k = 0; k < components.length; k++) {
      for (int i = 0; i < out.length; i++) {
        out[i] += weights[k] * components[k][i];
      }
    }
    return out;
  }

  /**
   * Gated reward accumulation (G-RA, "Stabilizing Long-term Multi-turn Reinforcement Learning with
   * Gated Rewards", arXiv 2508.10548): components in priority order, highest first; component k
   * counts for rollout i only when every higher-priority component j &lt; k reached its threshold,
   * components[j][i] &gt;= thresholds[j]:
   *
   * <pre>  R_i = sum_k weights[k] * components[k][i] * prod_{j&lt;k} 1[components[j][i] &gt;= thresholds[j]]</pre>
   *
   * The paper gates step-level rewards on the outcome reward (two levels); this is the same rule
   * along a chain. The last threshold is not used (may be NaN). A NaN score never passes a gate.
   */
  public static double[] gated(double[][] components, double[] weights, double[] thresholds) {
    checkShape(components, weights);
    if (thresholds.length < components.length - 1) {
      throw new IllegalArgumentException("need a threshold for every component but the last");
    }
    double[] out = new double[components[0].length];
    for (int i = 0; i < out.length; i++) {
      for (int k = 0; k < components.length; k++) {
        out[i] += weights[k] * components[k][i];
        if (k < components.length - 1 && !(components[k][i] >= thresholds[k])) {
          break; // gate closed: nothing below counts
        }
      }
    }
    return out;
  }

  /** Each score clipped to [lo, hi]; NaN stays NaN. */
  public static double[] clip(double[] scores, double lo, double hi) {
    if (lo > hi) {
      throw new IllegalArgumentException("clip bounds reversed: " + lo + " > " + hi);
    }
    double[] out = new double[scores.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Double.isNaN(scores[i]) ? Double.NaN : Math.max(lo, Math.min(hi, scores[i]));
    }
    return out;
  }

  /**
   * Group z-score: (r - mean) / (std + eps) over the finite scores of the group, with the population
   * standard deviation (divide by n), so a normalised group has variance ~1. A constant group
   * becomes all 0.
   */
  public static double[] zScore(double[] scores, double eps) {
    return zScore(new double[][] {scores}, eps)[0];
  }

  /** Batch z-score: as {@link #zScore(double[], double)} with mean and std over every group at once. */
  public static double[][] zScore(double[][] groups, double eps) {
    double sum = 0;
    int n = 0;
    for (double[] g : groups) {
      for (double x : g) {
        if (Double.isFinite(x)) {
          sum += x;
          n++;
        }
      }
    }
    double mean = n == 0 ? 0 : sum / n;
    double squares = 0;
    for (double[] g : groups) {
      for (double x : g) {
        if (Double.isFinite(x)) {
          squares += (x - mean) * (x - mean);
        }
      }
    }
    double std = n == 0 ? 0 : Math.sqrt(squares / n);
    double[][] out = new double[groups.length][];
    for (int k = 0; k < groups.length; k++) {
      out[k] = new double[groups[k].length];
      for (int i = 0; i < out[k].length; i++) {
        out[k][i] = (groups[k][i] - mean) / (std + eps);
      }
    }
    return out;
  }

  /** Group min-max: (r - min) / (max - min) into [0, 1]; a constant group becomes all 0. */
  public static double[] minMax(double[] scores) {
    return minMax(new double[][] {scores})[0];
  }

  /** Batch min-max: as {@link #minMax(double[])} with min and max over every group at once. */
  public static double[][] minMax(double[][] groups) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double[] g : groups) {
      for (double x : g) {
        if (Double.isFinite(x)) {
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
      }
    }
    double range = max - min;
    double[][] out = new double[groups.length][];
    for (int k = 0; k < groups.length; k++) {
      out[k] = new double[groups[k].length];
      for (int i = 0; i < out[k].length; i++) {
        double x = groups[k][i];
        out[k][i] = Double.isNaN(x) ? Double.NaN : range > 0 ? (x - min) / range : 0.0;
      }
    }
    return out;
  }

  private static void checkShape(double[][] components, double[] weights) {
    if (components.length == 0 || components.length != weights.length) {
      throw new IllegalArgumentException(
          "need one weight per component and at least one component, got " + components.length + " and " + weights.length);
    }
    for (double[] c : components) {
      if (c.length != components[0].length) {
        throw new IllegalArgumentException("components score different numbers of rollouts");
      }
    }
  }
}
