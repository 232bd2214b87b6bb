package dro4j.data.metrics;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads numbers out of written answers and compares them to gold values with a relative tolerance.
 *
 * <p>Understood forms: thousands separators ({@code 1,234.5}), a leading minus ({@code -3}, also
 * the Unicode minus {@code −3}), accounting negatives in parentheses ({@code (45)}, {@code $(1.2)}),
 * a currency sign before or after the sign ({@code $1.2}, {@code -$1.2}, {@code $ -23158}), LaTeX
 * escapes ({@code \$}, {@code \%}), and a percent mark ({@code 12%}, {@code 12 %}, {@code 12
 * percent}). Text after the number is ignored, so units ({@code 12 km}) and scale words are
 * dropped: {@code "1.2 million"} reads as 1.2, deliberately, because FinQA states amounts in the
 * unit of its source document ("$ 3.8 million" has the gold value 3.8) and expanding the scale word
 * would turn right answers into wrong ones. Scientific notation and written-out numbers are not
 * read.
 */
public final class NumericAnswers {
  // A match may not start with a sign right after a word character ("covid-19" is not -19).
  // Then: sign, currency, "(", currency, sign, the digits, "%" inside the parentheses, ")", and
  // "%" or "percent" after them.
  private static final Pattern NUMBER =
      Pattern.compile(
          "(?:(?<![\\w)])|(?![-\u2212]))"
              + "(?<neg1>[-\u2212])?"
              + "(?:\\\\?[$\u20ac\u00a3\u00a5]\\s?)?"
              + "(?<neg2>[-\u2212])?"
              + "(?<open>\\(\\s?)?"
              + "(?:\\\\?[$\u20ac\u00a3\u00a5]\\s?)?"
              + "(?<neg3>[-\u2212])?"
              + "(?<digits>(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+)"
              + "(?<pctInside>\\s?\\\\?%)?"
              + "(?<close>\\s?\\))?"
              + "(?<pct>\\s?(?:\\\\?%|percent\\b|per\\s?cent\\b))?",
          Pattern.CASE_INSENSITIVE);

  // longest text NUMBER allows before the digits: "-", "\\$", " ", "-", "( ", "\\$ ", "-"
  private static final int MAX_PREFIX = 12;

  private NumericAnswers() {}

  /**
   * A number read from text.
   *
   * @param value the number as written, sign applied, percent mark NOT applied ({@code "12%"} gives
   *     12)
   * @param percent whether a percent mark followed the number
   * @param text the matched text
   */
  public record ParsedNumber(double value, boolean percent, String text) {
    /** The value with the percent mark applied: {@code "12%"} gives 0.12; otherwise {@link #value}. */
    public double fraction() {
      return percent ? value / 100.0 : value;
    }
  }

  /** The first number in {@code text}, or empty when there is none. */
  public static Optional<ParsedNumber> parse(String text) {
    Matcher m = NUMBER.matcher(text);
    return find(m, text, 0) ? Optional.of(toNumber(m)) : Optional.empty();
  }

  /** Every number in {@code text}, in order. */
  public static List<ParsedNumber> parseAll(String text) {
    List<ParsedNumber> numbers = new ArrayList<>();
    Matcher m = NUMBER.matcher(text);
    int from = 0;
    while (find(m, text, from)) {
      numbers.add(toNumber(m));
      from = m.end();
    }
    return numbers;
  }

  /**
   * {@code m.find()} from {@code from}, but starting the regex only a few characters before the
   * next digit: a number's prefix (signs, currency, parenthesis, spaces) is at most 11 characters,
   * and trying the pattern at every offset of a long, mostly wordy model output is slow.
   */
  private static boolean find(Matcher m, String text, int from) {
    int digit = from;
    while (digit < text.length() && !Character.isDigit(text.charAt(digit))) {
      digit++;
    }
    if (digit == text.length()) {
      return false;
    }
    return m.find(Math.max(from, digit - MAX_PREFIX));
  }

  /**
   * Whether the first number in {@code predicted} is within {@code relTol} (relative) of {@code
   * gold}. A number written with a percent mark matches either as written or as a fraction: {@code
   * "12%"} matches both 12 and 0.12. No number in {@code predicted} means no match.
   */
  public static boolean numericMatch(String predicted, double gold, double relTol) {
    Optional<ParsedNumber> parsed = parse(predicted);
    if (parsed.isEmpty()) {
      return false;
    }
    ParsedNumber p = parsed.get();
    return withinRelative(p.value(), gold, relTol)
        || (p.percent() && withinRelative(p.fraction(), gold, relTol));
  }

  /**
   * {@code |predicted - gold| <= relTol * |gold|}. An absolute floor of 1e-12 absorbs floating-point
   * noise, so a gold value of 0 is matched only by (near) zero. Non-finite values never match.
   */
  public static boolean withinRelative(double predicted, double gold, double relTol) {
    if (!Double.isFinite(predicted) || !Double.isFinite(gold)) {
      return false;
    }
    if (relTol < 0 || Double.isNaN(relTol)) {
      throw new IllegalArgumentException("relative tolerance must be >= 0, got " + relTol);
    }
    return Math.abs(predicted - gold) <= Math.max(relTol * Math.abs(gold), 1e-12);
  }

  /**
   * A number as plain text without exponent or trailing zeros: 51.0 gives "51", 0.1282 gives
   * "0.1282", 1e-7 gives "0.0000001".
   */
  public static String format(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("not a finite number: " + value);
    }
    if (value == 0) {
      return "0"; // also for -0.0
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  private static ParsedNumber toNumber(Matcher m) {
    double magnitude = Double.parseDouble(m.group("digits").replace(",", ""));
    boolean parenthesised = m.group("open") != null && m.group("close") != null;
    boolean negative =
        parenthesised || m.group("neg1") != null || m.group("neg2") != null || m.group("neg3") != null;
    boolean percent = m.group("pct") != null || m.group("pctInside") != null;
    String text = m.group();
    if (m.group("open") != null && m.group("close") == null) {
      // "(45 units" : the parenthesis is not part of the number
      text = text.substring(text.indexOf('(') + 1).trim();
    }
    return new ParsedNumber(negative ? -magnitude : magnitude, percent, text);
  }
}
