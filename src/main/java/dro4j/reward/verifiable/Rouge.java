package dro4j.reward.verifiable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE-N and ROUGE-L (Lin 2004, "ROUGE: A Package for Automatic Evaluation of Summaries") as
 * computed by Google's {@code rouge-score} package with its default tokenizer, the package DRO's
 * ParaRev ROUGE baseline is usually computed with.
 *
 * <p>Tokenization: lower-case, every run of characters other than {@code a-z0-9} becomes a space
 * (so non-ASCII letters separate words and are dropped), split on spaces, optionally stem tokens of
 * more than 3 characters ({@link PorterStemmer}), drop empty tokens.
 *
 * <p>ROUGE-N counts clipped n-gram overlap: overlap = sum over n-grams of min(count in target,
 * count in prediction); precision = overlap / max(#prediction n-grams, 1), recall = overlap /
 * max(#target n-grams, 1). ROUGE-L uses the length of the longest common subsequence of tokens:
 * precision = LCS / |prediction|, recall = LCS / |target|, all 0 when either side has no token. F1
 * = 2PR / (P + R), 0 when P + R = 0.
 */
public final class Rouge {
  private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");

  private Rouge() {}

  /**
   * Precision, recall and F1 of a prediction against a target.
   *
   * @param precision matched / prediction size
   * @param recall matched / target size
   * @param f1 their harmonic mean
   */
  public record Score(double precision, double recall, double f1) {
    static Score of(double precision, double recall) {
      double sum = precision + recall;
      return new Score(precision, recall, sum > 0 ? 2 * precision * recall / sum : 0.0);
    }
  }

  /** rouge-score's default tokenization of {@code text} (see the class comment). */
  public static List<String> tokenize(String text, boolean stem) {
    String spaced = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
    List<String> tokens = new ArrayList<>();
    for (String t : spaced.split(" ")) {
      if (t.isEmpty()) {
        continue;
      }
      tokens.add(stem && t.length() > 3 ? PorterStemmer.stem(t) : t);
    }
    return tokens;
  }

  /** ROUGE-N of token lists, n &gt;= 1. */
  public static Score rougeN(List<String> target, List<String> prediction, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("ROUGE-N needs n >= 1, got " + n);
    }
    Map<List<String>, Integer> targetCounts = ngrams(target, n);
    Map<List<String>, Integer> predictionCounts = ngrams(prediction, n);
    int overlap = 0;
    for (var e : targetCounts.entrySet()) {
      overlap += Math.min(e.getValue(), predictionCounts.getOrDefault(e.getKey(), 0));
    }
    int targetTotal = Math.max(target.size() - n + 1, 0);
    int predictionTotal = Math.max(prediction.size() - n + 1, 0);
    return Score.of(overlap / (double) Math.max(predictionTotal, 1), overlap / (double) Math.max(targetTotal, 1));
  }

  /** ROUGE-L of token lists. */
  public static Score rougeL(List<String> target, List<String> prediction) {
    if (target.isEmpty() || prediction.isEmpty()) {
      return new Score(0, 0, 0);
    }
    int lcs = lcsLength(target, prediction);
    return Score.of(lcs / (double) prediction.size(), lcs / (double) target.size());
  }

  /** Length of the longest common subsequence, by dynamic programming over two rows. */
  public static int lcsLength(List<String> a, List<String> b) {
    int[] previous = new int[b.size() + 1];
    int[] current = new int[b.size() + 1];
    for (String x : a) {
      for (int j = 1; j <= b.size(); j++) {
        current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.size()];
  }

  private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
    Map<List<String>, Integer> counts = new HashMap<>();
    for (int i = 0; i + n <= tokens.size(); i++) {
      counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
    }
    return counts;
  }
}
