package dro4j.reward.likelihood;

import dro4j.BadInputException;

/**
 * R3's masked-CoT baseline, one remedy DRO (Xu et al. 2025, arXiv 2506.13351, section 3) gives for
 * "spurious certainty propagation": a reference token may be likely because of the reference tokens
 * before it rather than the reasoning. Subtracting its log-prob under a masked reasoning keeps only
 * what the reasoning adds:
 *
 * <pre>  R3_i = sum_j w_j (l_ij - log pi(y_j | q, c_masked, y_&lt;j))</pre>
 *
 * <p>The subtracted term is the same for every rollout of a prompt, so group-centred advantages cancel
 * it exactly (a property the tests check); it changes scores across prompts: batch-level reward
 * normalisation and R3-based data filtering.
 *
 * <p>The masked reasoning is the prompt alone ({@link Mode#PROMPT_ONLY}) or the reasoning replaced by a
 * fixed filler text ({@link Mode#FILLER}, tokenized without special tokens, for example
 * {@code "<think>\n</think>"} so the reference still follows a closed thinking block). On the KV-cache
 * path it is scored from the cache of the prompt, one row per group.
 *
 * @param mode off (default), prompt only, or filler
 * @param filler the text standing in for the reasoning in {@link Mode#FILLER}; default {@code ""}
 */
public record MaskedCotBaseline(Mode mode, String filler) {

  /** Whether and how the baseline is computed. */
  public enum Mode {
    /** No baseline. */
    OFF,
    /** The reference right after the prompt. */
    PROMPT_ONLY,
    /** The reasoning replaced by the filler text. */
    FILLER
  }

  /** Validates the settings. */
  public MaskedCotBaseline {
    if (mode == null || filler == null) {
      throw new BadInputException("masked-CoT baseline needs a mode and a filler text (may be empty)");
    }
  }

  /** No baseline (the default). */
  public static MaskedCotBaseline off() {
    return new MaskedCotBaseline(Mode.OFF, "");
  }

  /** Baseline with the reasoning removed: the reference right after the prompt. */
  public static MaskedCotBaseline promptOnly() {
    return new MaskedCotBaseline(Mode.PROMPT_ONLY, "");
  }

  /** Baseline with the reasoning replaced by {@code filler}. */
  public static MaskedCotBaseline filler(String filler) {
    return new MaskedCotBaseline(Mode.FILLER, filler);
  }

  /** Whether a baseline is subtracted. */
  public boolean enabled() {
    return mode != Mode.OFF;
  }

  /** The masked reasoning as text: empty for prompt-only. */
  public String maskedReasoning() {
    return mode == Mode.FILLER ? filler : "";
  }
}
