package dro4j.generate;

import dro4j.BadInputException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Decides, after each new token, whether a sequence has finished. Stop conditions take precedence
 * over the length limit, as in vLLM: a stop token produced as the last allowed token ends with
 * {@link FinishReason#STOP}.
 *
 * <p>Stop strings are matched in the decoded completion text, so they may span several tokens. The
 * completion text to return is then cut just before the earliest stop string occurrence (the stop
 * string is not included, like vLLM's default); see {@link #textEnd}. The token ids are not cut: the
 * tokens that spelled the stop string stay in the completion. For a stop token, the token is the
 * last one of the completion; whether its text is shown is the caller's choice (vLLM hides special
 * tokens).
 */
public final class StopCriteria {
  private final Set<Integer> stopTokenIds;
  private final List<String> stopStrings;
  private final int maxNewTokens;

  /**
   * @param stopTokenIds ids that end a sequence (e.g. the tokenizer's EOS ids)
   * @param stopStrings non-empty texts that end a sequence
   * @param maxNewTokens length limit of a completion, &gt;= 0
   */
  public StopCriteria(
      Collection<Integer> stopTokenIds, List<String> stopStrings, int maxNewTokens) {
    if (maxNewTokens < 0) {
      throw new BadInputException("max_new_tokens must be >= 0, got " + maxNewTokens);
    }
    for (String s : stopStrings) {
      if (s == null || s.isEmpty()) {
        throw new BadInputException("stop strings must not be empty or null");
      }
    }
    this.stopTokenIds = Set.copyOf(stopTokenIds);
    this.stopStrings = List.copyOf(stopStrings);
    this.maxNewTokens = maxNewTokens;
  }

  /**
   * The stop criteria of a request: its stop tokens plus {@code extraStopTokenIds} (typically the
   * tokenizer's EOS ids), its stop strings and its {@code maxNewTokens}.
   */
  public static StopCriteria of(SamplingParams p, Collection<Integer> extraStopTokenIds) {
    Set<Integer> ids = new HashSet<>(p.stopTokenIds());
    ids.addAll(extraStopTokenIds);
    return new StopCriteria(ids, p.stopStrings(), p.maxNewTokens());
  }

  /**
   * Whether the sequence is finished after its newest token.
   *
   * @param tokenId the token just generated
   * @param generatedCount how many tokens the completion has now, this one included
   * @param decodedText gives the decoded text of the first n completion tokens; called (with {@code
   *     generatedCount}) only when there are stop strings and no stop token was hit
   * @return {@link FinishReason#STOP}, {@link FinishReason#LENGTH}, or null to continue
   */
  public FinishReason check(int tokenId, int generatedCount, IntFunction<String> decodedText) {
    if (stopTokenIds.contains(tokenId)) {
      return FinishReason.STOP;
    }
    if (!stopStrings.isEmpty() && firstStop(decodedText.apply(generatedCount)) >= 0) {
      return FinishReason.STOP;
    }
    return generatedCount >= maxNewTokens ? FinishReason.LENGTH : null;
  }

  /**
   * Where the returned completion text ends: the start of the earliest stop string occurrence in
   * {@code text}, or {@code text.length()} when there is none. Return {@code text.substring(0,
   * textEnd(text))}.
   */
  public int textEnd(String text) {
    int at = firstStop(text);
    return at < 0 ? text.length() : at;
  }

  /** The stop token ids. */
  public Set<Integer> stopTokenIds() {
    return stopTokenIds;
  }

  /** The stop strings. */
  public List<String> stopStrings() {
    return stopStrings;
  }

  /** The length limit. */
  public int maxNewTokens() {
    return maxNewTokens;
  }

  /** Earliest start of any stop string in text, or -1. */
  private int firstStop(String text) {
    int first = -1;
    for (String s : stopStrings) {
      int at = text.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    return first;
  }
}
