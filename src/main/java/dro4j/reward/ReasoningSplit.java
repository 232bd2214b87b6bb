package dro4j.reward;

import dro4j.BadInputException;
import dro4j.text.Tokenizer;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits a rollout into its reasoning (chain of thought, CoT) and its outcome, on token ids and text
 * consistently. DRO's R3 (Xu et al. 2025, arXiv 2506.13351, section 3) scores the reference outcome
 * after each rollout's reasoning, so the reasoning must be a prefix of the rollout's token ids: the
 * reference is appended after exactly those ids, and the generation's KV cache of them is reused.
 *
 * <p>The rule is a literal end marker (a closing tag such as {@code </think>}, or a marker such as
 * {@code Answer:}) or a regular expression. The marker belongs to the reasoning: the reasoning ends
 * where the marker's match ends, so R3 scores the reference right after {@code </think>} or {@code
 * Answer:}, where the model itself would write its outcome. With several matches the {@link
 * Occurrence#LAST last} is used by default, as Qwen3's model card parses {@code </think>} (a model may
 * mention the marker while reasoning; the last one is the one that ended it).
 *
 * <p><b>Token boundary.</b> The marker is searched in the decoded rollout; the reasoning's ids are the
 * shortest prefix of the rollout ids whose decoded text contains the whole match. When the match ends
 * inside a token (a tokenizer that merges the marker with what follows), that token is part of the
 * reasoning. {@link Split#reasoningText()} is the decoded reasoning ids and {@link Split#outcomeText()}
 * the rest of the decoded rollout, so ids and text always split at the same place.
 *
 * <p><b>Stop tokens.</b> Trailing stop ids (an EOS that ended generation) are neither reasoning nor
 * outcome: they are dropped before splitting, so a fallback "whole rollout is reasoning" never puts the
 * reference after an EOS.
 *
 * <p><b>No match.</b> A rollout without the marker (for example truncated before {@code </think>}) is
 * never an error; {@link Fallback} decides: by default {@link Fallback#WHOLE_IS_REASONING} (the model
 * was still reasoning, so everything it wrote is reasoning and the outcome is empty), or {@link
 * Fallback#EMPTY_REASONING} (the rollout earns no reasoning credit: R3 then scores the reference after
 * the prompt alone). {@link Split#found()} tells which happened.
 *
 * <p>Rollouts known only by text ({@link Rollout#ofText}) are tokenized without special tokens first.
 */
public final class ReasoningSplit {

  /** Which match ends the reasoning when the marker occurs several times. */
  public enum Occurrence {
    /** The first match ends the reasoning. */
    FIRST,
    /** The last match ends the reasoning (default). */
    LAST
  }

  /** What a rollout without a match is split into. */
  public enum Fallback {
    /** The whole rollout is reasoning; the outcome is empty (default). */
    WHOLE_IS_REASONING,
    /** The reasoning is empty; the whole rollout is the outcome. */
    EMPTY_REASONING
  }

  /**
   * One rollout, split.
   *
   * @param reasoningIds the reasoning: a prefix of the rollout ids, marker included
   * @param outcomeIds the rest of the rollout ids, trailing stop ids excluded
   * @param reasoningText the decoded reasoning ids
   * @param outcomeText the decoded rollout after the reasoning
   * @param found whether the rule matched (false: the fallback decided)
   */
  public record Split(int[] reasoningIds, int[] outcomeIds, String reasoningText, String outcomeText, boolean found) {}

  /** The closing tag of DeepSeek-R1 / Qwen3 style thinking. */
  public static final String THINK_CLOSE = "</think>";

  private final String literal;
  private final Pattern regex;
  private final Occurrence occurrence;
  private final Fallback fallback;

  private ReasoningSplit(String literal, Pattern regex, Occurrence occurrence, Fallback fallback) {
    this.literal = literal;
    this.regex = regex;
    this.occurrence = Objects.requireNonNull(occurrence, "occurrence");
    this.fallback = Objects.requireNonNull(fallback, "fallback");
  }

  /** The default rule: the reasoning ends with the last {@code </think>}; no match: whole is reasoning. */
  public static ReasoningSplit defaults() {
    return closingTag(THINK_CLOSE);
  }

  /** The reasoning ends with the last occurrence of a closing tag such as {@code </think>}. */
  public static ReasoningSplit closingTag(String tag) {
    return marker(tag);
  }

  /** The reasoning ends with the last occurrence of a literal marker such as {@code Answer:}. */
  public static ReasoningSplit marker(String marker) {
    if (marker == null || marker.isEmpty()) {
      throw new BadInputException("reasoning split marker must be a non-empty string");
    }
    return new ReasoningSplit(marker, null, Occurrence.LAST, Fallback.WHOLE_IS_REASONING);
  }

  /** The reasoning ends where the last match of a Java regular expression ends. */
  public static ReasoningSplit regex(String regex) {
    try {
      return new ReasoningSplit(null, Pattern.compile(regex), Occurrence.LAST, Fallback.WHOLE_IS_REASONING);
    } catch (PatternSyntaxException | NullPointerException e) {
      throw new BadInputException("invalid reasoning split regex '" + regex + "': " + e.getMessage());
    }
  }

  /** No rule: every rollout is split by the fallback (by default the whole rollout is reasoning). */
  public static ReasoningSplit wholeRollout() {
    return new ReasoningSplit(null, null, Occurrence.LAST, Fallback.WHOLE_IS_REASONING);
  }

  /** A copy that uses the given occurrence of the marker. */
  public ReasoningSplit withOccurrence(Occurrence o) {
    return new ReasoningSplit(literal, regex, o, fallback);
  }

  /** A copy with another fallback for rollouts without a match. */
  public ReasoningSplit withFallback(Fallback f) {
    return new ReasoningSplit(literal, regex, occurrence, f);
  }

  /** The {@code occurrence} setting. */
  public Occurrence occurrence() {
    return occurrence;
  }

  /** The {@code fallback} setting. */
  public Fallback fallback() {
    return fallback;
  }

  /**
   * End offset of the chosen match in {@code text}, or -1 when the rule does not match (or there is no
   * rule).
   */
  public int matchEnd(String text) {
    if (literal != null) {
      int at = occurrence == Occurrence.FIRST ? text.indexOf(literal) : text.lastIndexOf(literal);
      return at < 0 ? -1 : at + literal.length();
    }
    if (regex != null) {
      Matcher m = regex.matcher(text);
      int end = -1;
      while (m.find()) {
        end = m.end();
        if (occurrence == Occurrence.FIRST) {
          break;
        }
      }
      return end;
    }
    return -1;
  }

  /**
   * Splits text alone (no ids): reasoning is {@code text[0, end of match)}, or the fallback. The
   * returned split has empty id arrays.
   */
  public Split splitText(String text) {
    int end = matchEnd(text);
    if (end < 0) {
      return fallback == Fallback.WHOLE_IS_REASONING
          ? new Split(new int[0], new int[0], text, "", false)
          : new Split(new int[0], new int[0], "", text, false);
    }
    return new Split(new int[0], new int[0], text.substring(0, end), text.substring(end), true);
  }

  /**
   * Splits a rollout on its token ids (or, when it has none, on the ids of its text encoded without
   * special tokens).
   *
   * @param tokenizer decodes the ids; must be the tokenizer the rollout was generated with
   * @param stopIds ids that end a generation (EOS); trailing ones are dropped before splitting
   */
  public Split split(Rollout rollout, Tokenizer tokenizer, Collection<Integer> stopIds) {
    int[] ids = rollout.ids();
    if (ids.length == 0 && !rollout.text().isEmpty()) {
      ids = tokenizer.encode(rollout.text(), false);
    }
    return split(ids, tokenizer, stopIds);
  }

  /** Splits token ids; see {@link #split(Rollout, Tokenizer, Collection)}. */
  public Split split(int[] ids, Tokenizer tokenizer, Collection<Integer> stopIds) {
    int n = ids.length;
    while (n > 0 && stopIds.contains(ids[n - 1])) {
      n--;
    }
    int[] body = Arrays.copyOf(ids, n);
    // Special tokens kept: a closing tag may be a special token of the vocabulary.
    String full = tokenizer.decode(body, false);
    int end = matchEnd(full);
    if (end < 0) {
      return fallback == Fallback.WHOLE_IS_REASONING
          ? new Split(body, new int[0], full, "", false)
          : new Split(new int[0], body, "", full, false);
    }
    int k = boundary(body, full.substring(0, end), tokenizer);
    int[] reasoning = Arrays.copyOf(body, k);
    int[] outcome = Arrays.copyOfRange(body, k, n);
    String reasoningText = tokenizer.decode(reasoning, false);
    String outcomeText =
        full.startsWith(reasoningText) ? full.substring(reasoningText.length()) : tokenizer.decode(outcome, false);
    return new Split(reasoning, outcome, reasoningText, outcomeText, true);
  }

  /**
   * The smallest k such that the decoded {@code ids[0, k)} starts with {@code prefix}: binary search
   * (decoded prefixes grow with k), then a linear scan in the rare case a decoder breaks monotonicity
   * (a byte-fallback character split across tokens decodes to U+FFFD until it is complete).
   */
  private static int boundary(int[] ids, String prefix, Tokenizer tokenizer) {
    int lo = 0;
    int hi = ids.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (covers(ids, mid, prefix, tokenizer)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (lo == 0 || !covers(ids, lo - 1, prefix, tokenizer)) {
      return lo;
    }
    for (int k = 0; k <= ids.length; k++) {
      if (covers(ids, k, prefix, tokenizer)) {
        return k;
      }
    }
    return ids.length;
  }

  private static boolean covers(int[] ids, int k, String prefix, Tokenizer tokenizer) {
    return tokenizer.decode(Arrays.copyOf(ids, k), false).startsWith(prefix);
  }

  @Override
  public String toString() {
    String rule = literal != null ? "marker '" + literal + "'" : regex != null ? "regex /" + regex + "/" : "none";
    return "ReasoningSplit[" + rule + ", " + occurrence + ", no match: " + fallback + "]";
  }
}
