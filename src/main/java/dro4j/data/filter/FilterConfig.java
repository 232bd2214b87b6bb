package dro4j.data.filter;

import dro4j.BadInputException;

/**
 * Settings of R3-based dynamic data filtering (DRO, Xu et al. 2025, arXiv 2506.13351, section 3.3).
 * The paper gives the procedure but not every constant; the defaults below are dro4j's and are
 * documented as such.
 *
 * @param samplesPerPrompt N, the reasoning samples drawn per prompt with the current policy (the paper
 *     uses 16 or 32); default 16
 * @param worstRankFraction rho, the share of reference tokens with the worst (largest) ranks that are
 *     averaged per sample in stage 1; default 0.1 (dro4j's choice)
 * @param rankThreshold k: a prompt survives stage 1 when at least one sample's worst-rho average rank is
 *     at most k (the reference is "within reach" of some reasoning); default 10 (dro4j's choice)
 * @param lowVariationDropFraction stage 2 removes this share of the stage-1 survivors with the lowest
 *     max_j sigma_j (reasoning barely moves any reference token); default 0.2 (dro4j's choice)
 * @param carryForwardFraction share of the previous round's training set kept regardless of the new
 *     statistics (the paper carries 10% forward); default 0.1
 * @param filterEverySteps rerun the filter with the current policy every this many training steps
 *     (0 = only before training); default 0
 * @param seed seed of the carry-forward draw
 */
public record FilterConfig(
    int samplesPerPrompt,
    double worstRankFraction,
    double rankThreshold,
    double lowVariationDropFraction,
    double carryForwardFraction,
    int filterEverySteps,
    long seed) implements java.io.Serializable {

  public FilterConfig {
    if (samplesPerPrompt < 2) {
      throw new BadInputException("samples_per_prompt must be >= 2 (sigma needs two samples), got " + samplesPerPrompt);
    }
    if (!(worstRankFraction > 0 && worstRankFraction <= 1)) {
      throw new BadInputException("worst_rank_fraction must be in (0, 1], got " + worstRankFraction);
    }
    if (!(rankThreshold >= 1)) {
      throw new BadInputException("rank_threshold must be >= 1, got " + rankThreshold);
    }
    if (!(lowVariationDropFraction >= 0 && lowVariationDropFraction < 1)) {
      throw new BadInputException("low_variation_drop_fraction must be in [0, 1), got " + lowVariationDropFraction);
    }
    if (!(carryForwardFraction >= 0 && carryForwardFraction <= 1)) {
      throw new BadInputException("carry_forward_fraction must be in [0, 1], got " + carryForwardFraction);
    }
    if (filterEverySteps < 0) {
      throw new BadInputException("filter_every_steps must be >= 0, got " + filterEverySteps);
    }
  }

  /** The defaults documented above. */
  public static FilterConfig defaults() {
    return new FilterConfig(16, 0.1, 10, 0.2, 0.1, 0, 0);
  }
}
