package dro4j.reward.verifiable;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Answer normalisation of SQuAD's official evaluation script ({@code normalize_answer} in
 * evaluate-v1.1.py, Rajpurkar et al. 2016, "SQuAD: 100,000+ Questions for Machine Comprehension of
 * Text", arXiv 1606.05250), the usual normalisation of exact-match rewards.
 *
 * <p>In the script's order: lower-case; delete every ASCII punctuation character (Python's {@code
 * string.punctuation}: {@code !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~}), deleted rather than turned into
 * a space, so "well-known" becomes "wellknown"; replace the whole words "a", "an" and "the" by a
 * space; collapse runs of whitespace to one space and trim.
 */
public final class TextNormalization {
  private static final Pattern PUNCTUATION = Pattern.compile("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]");
  private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private TextNormalization() {}

  /** {@code text} normalised as above: {@code "The  Eiffel-Tower!"} gives {@code "eiffeltower"}. */
  public static String squad(String text) {
    String s = text.toLowerCase(Locale.ROOT);
    s = PUNCTUATION.matcher(s).replaceAll("");
    s = ARTICLES.matcher(s).replaceAll(" ");
    return WHITESPACE.matcher(s).replaceAll(" ").trim();
  }
}
