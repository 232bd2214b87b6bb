package dro4j.reward.judge;

import dro4j.BadInputException;
import java.util.Locale;

/** What a judge does with a reply that has no verdict in the required format. */
public enum ParseFailure {
  /**
   * The lowest outcome (the default): a pointwise score of 0; for a pairwise comparison, no
   * preference (a tie), which keeps the win rates of both responses symmetric.
   */
  ZERO,
  /** NaN, so the trainer's non-finite guard decides (pairwise: both responses' win rates). */
  NAN,
  /** Throw {@link JudgeException}. */
  FAIL;

  /** The policy named {@code key} (zero, nan, fail). */
  public static ParseFailure parse(String key) {
    for (ParseFailure p : values()) {
      if (p.name().equalsIgnoreCase(key)) {
        return p;
      }
    }
    throw new BadInputException("unknown parse failure policy '" + key + "' (known: zero, nan, fail)");
  }

  /** The configuration name. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
