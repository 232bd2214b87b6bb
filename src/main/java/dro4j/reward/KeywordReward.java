package dro4j.reward;

import dro4j.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A simple verifiable reward: the share of a response's sentences that mention one of the given
 * words, in [0, 1]. Sentences end at {@code .}, {@code !}, {@code ?} or a line break (an unfinished
 * last sentence counts too); words match whole and case-insensitively ({@code ball} matches "Ball,"
 * but not "balloon"). An empty response scores 0.
 *
 * <p>It is the reward of dro4j's offline demo job ({@code dro4j train} on the bundled stories260K):
 * cheap, dense enough to give a tiny story model a learning signal, and easy to read in samples.
 */
public final class KeywordReward implements Reward.PerRollout {
  private static final Pattern SENTENCE_END = Pattern.compile("[.!?\\n]+");

  private final List<String> words;
  private final Pattern pattern;

  /** A reward for sentences mentioning any of {@code words} (at least one, none blank). */
  public KeywordReward(List<String> words) {
    if (words == null || words.isEmpty()) {
      throw new BadInputException("keyword reward: give at least one word");
    }
    List<String> quoted = new ArrayList<>();
    for (String w : words) {
      if (w == null || w.isBlank()) throw new BadInputException("keyword reward: blank word in " + words);
      quoted.add(Pattern.quote(w.trim()));
    }
    this.words = List.copyOf(words);
    // (?U) makes \b Unicode-aware; lookarounds instead of \b so words may start or end with punctuation
    this.pattern = Pattern.compile(
        "(?<![\\p{L}\\p{N}_])(?:" + String.join("|", quoted) + ")(?![\\p{L}\\p{N}_])",
        Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
  }

  /**
   * A reward from configuration parameters: {@code words}, a list of words or one word.
   *
   * @throws BadInputException for a missing or unknown parameter
   */
  public static KeywordReward fromParams(Map<String, ?> params) {
    for (String key : params.keySet()) {
      if (!key.equals("words")) {
        throw new BadInputException("keyword reward: unknown parameter '" + key + "' (it takes 'words')");
      }
    }
    Object words = params.get("words");
    if (words instanceof String s) return new KeywordReward(List.of(s));
    if (words instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object o : list) out.add(String.valueOf(o));
      return new KeywordReward(out);
    }
    throw new BadInputException("keyword reward: parameter 'words' (a word or a list of words) is required");
  }

  /** The words. */
  public List<String> words() {
    return words;
  }

  @Override
  public String name() {
    return "keyword";
  }

  @Override
  public double score(Rollout rollout, RolloutGroup group) {
    return score(rollout.text());
  }

  /** The share of sentences of {@code text} that mention one of the words. */
  public double score(String text) {
    int sentences = 0;
    int hits = 0;
    for (String sentence : SENTENCE_END.split(text)) {
      if (sentence.isBlank()) continue;
      sentences++;
      if (pattern.matcher(sentence).find()) hits++;
    }
    return sentences == 0 ? 0.0 : (double) hits / sentences;
  }

  @Override
  public String toString() {
    return "keyword" + words.toString().toLowerCase(Locale.ROOT);
  }
}
