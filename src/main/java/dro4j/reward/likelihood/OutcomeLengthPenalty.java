package dro4j.reward.likelihood;

import dro4j.BadInputException;

/**
 * DRO's outcome length penalty (Xu et al. 2025, arXiv 2506.13351, section 3). R3 scores the reference
 * after the reasoning and never reads the generated outcome, so nothing stops the outcome from growing
 * or vanishing; the paper adds
 *
 * <pre>  r_len = 1 - beta * | |y| - |y^| | / |y|</pre>
 *
 * with |y| the reference length and |y^| the generated outcome's, both in tokens (the outcome is the
 * rollout after its reasoning split, stop tokens excluded), and combines it with R3 by a weighted sum:
 * {@code score = R3 + weight * r_len}.
 *
 * @param weight weight of r_len in the sum (&gt;= 0); default 0 (off)
 * @param beta strength (&gt;= 0); default 1.0 (an outcome twice or zero times the reference's length
 *     scores 0)
 */
public record OutcomeLengthPenalty(double weight, double beta) {

  /** Validates the settings. */
  public OutcomeLengthPenalty {
    if (!(weight >= 0) || Double.isInfinite(weight) || !(beta >= 0) || Double.isInfinite(beta)) {
      throw new BadInputException("length penalty weight and beta must be finite numbers >= 0, got "
          + weight + " and " + beta);
    }
  }

  /** Off. */
  public static OutcomeLengthPenalty off() {
    return new OutcomeLengthPenalty(0, 1.0);
  }

  /** Added with {@code weight}, strength {@code beta}. */
  public static OutcomeLengthPenalty of(double weight, double beta) {
    return new OutcomeLengthPenalty(weight, beta);
  }

  /** Whether this option is on. */
  public boolean enabled() {
    return weight > 0;
  }

  /** {@code 1 - beta |refLength - outcomeLength| / refLength}; NaN for an empty reference. */
  public static double rLen(int referenceLength, int outcomeLength, double beta) {
    if (referenceLength == 0) {
      return Double.NaN;
    }
    return 1 - beta * Math.abs(referenceLength - outcomeLength) / (double) referenceLength;
  }
}
