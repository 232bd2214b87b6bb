package dro4j.reward.compose;

import dro4j.BadInputException;
import java.util.Locale;

/**
 * Per-reward normalisation before rewards are combined, so that rewards on different scales (a 0/1
 * match, a ROUGE F1, a log-likelihood in the hundreds) weigh what their weights say.
 */
public enum Normalization {
  /** Scores as they are. */
  NONE,
  /** (r - mean) / (std + eps) within each group (each prompt's rollouts). */
  GROUP_ZSCORE,
  /** (r - mean) / (std + eps) over every rollout of the batch. */
  BATCH_ZSCORE,
  /** (r - min) / (max - min) within each group. */
  MIN_MAX,
  /** (r - min) / (max - min) over the batch. */
  BATCH_MIN_MAX;

  /** The configuration name, e.g. {@code group_zscore}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The normalisation named {@code key}. */
  public static Normalization parse(String key) {
    for (Normalization n : values()) {
      if (n.key().equals(key)) {
        return n;
      }
    }
    throw new BadInputException("unknown normalisation '" + key + "' (known: none, group_zscore, batch_zscore, min_max, batch_min_max)");
  }

  /** Normalises {@code groups[group][rollout]}; see {@link Shaping} for the formulas. */
  public double[][] apply(double[][] groups, double eps) {
    return switch (this) {
      case NONE -> copy(groups);
      case BATCH_ZSCORE -> Shaping.zScore(groups, eps);
      case BATCH_MIN_MAX -> Shaping.minMax(groups);
      case GROUP_ZSCORE, MIN_MAX -> {
        double[][] out = new double[groups.length][];
        for (int g = 0; g < groups.length; g++) {
          out[g] = this == GROUP_ZSCORE ? Shaping.zScore(groups[g], eps) : Shaping.minMax(groups[g]);
        }
        yield out;
      }
    };
  }

  private static double[][] copy(double[][] groups) {
    double[][] out = new double[groups.length][];
    for (int g = 0; g < groups.length; g++) {
      out[g] = groups[g].clone();
    }
    return out;
  }
}
