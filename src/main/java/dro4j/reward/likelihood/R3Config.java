package dro4j.reward.likelihood;

import java.util.Objects;

/**
 * Configuration of {@link ReasoningReflectionReward} (DRO's R3, Xu et al. 2025, arXiv 2506.13351),
 * every option off or at the paper's plain form by default.
 *
 * @param scoring split rule, answer prefix, scoring temperature and scoring policy; default {@link
 *     ScoringOptions#defaults()} ({@code </think>} split, no prefix, temperature 1, current policy on the
 *     KV cache)
 * @param weighting w(sigma); default {@link TokenWeighting#sigmaNormalised()}
 * @param baseline masked-CoT baseline; default {@link MaskedCotBaseline#off()}
 * @param propagation controlled propagation with decay gamma; default {@link ControlledPropagation#off()}
 * @param lengthPenalty outcome length penalty r_len added with a weight; default {@link
 *     OutcomeLengthPenalty#off()}
 */
public record R3Config(
    ScoringOptions scoring,
    TokenWeighting weighting,
    MaskedCotBaseline baseline,
    ControlledPropagation propagation,
    OutcomeLengthPenalty lengthPenalty) {

  /** Validates the settings. */
  public R3Config {
    Objects.requireNonNull(scoring, "scoring");
    Objects.requireNonNull(weighting, "weighting");
    Objects.requireNonNull(baseline, "baseline");
    Objects.requireNonNull(propagation, "propagation");
    Objects.requireNonNull(lengthPenalty, "lengthPenalty");
  }

  /** Plain R3: sigma-normalised weights, no baseline, no propagation control, no length penalty. */
  public static R3Config defaults() {
    return new R3Config(ScoringOptions.defaults(), TokenWeighting.sigmaNormalised(), MaskedCotBaseline.off(),
        ControlledPropagation.off(), OutcomeLengthPenalty.off());
  }

  /** A copy with {@code scoring} replaced. */
  public R3Config withScoring(ScoringOptions v) {
    return new R3Config(v, weighting, baseline, propagation, lengthPenalty);
  }

  /** A copy with {@code weighting} replaced. */
  public R3Config withWeighting(TokenWeighting v) {
    return new R3Config(scoring, v, baseline, propagation, lengthPenalty);
  }

  /** A copy with {@code baseline} replaced. */
  public R3Config withBaseline(MaskedCotBaseline v) {
    return new R3Config(scoring, weighting, v, propagation, lengthPenalty);
  }

  /** A copy with {@code propagation} replaced. */
  public R3Config withPropagation(ControlledPropagation v) {
    return new R3Config(scoring, weighting, baseline, v, lengthPenalty);
  }

  /** A copy with {@code lengthPenalty} replaced. */
  public R3Config withLengthPenalty(OutcomeLengthPenalty v) {
    return new R3Config(scoring, weighting, baseline, propagation, v);
  }
}
