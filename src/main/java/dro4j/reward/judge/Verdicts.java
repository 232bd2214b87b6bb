package dro4j.reward.judge;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsing of judge replies. The verdict must be the last non-blank line of the reply, alone
 * on it: {@code VERDICT: YES}/{@code VERDICT: NO}, {@code SCORE: n}, or {@code VERDICT: A}/{@code
 * B}/{@code TIE}. The keyword and value are case-insensitive and surrounding markdown bold or a
 * final period is tolerated; anything else (a verdict mid-text, two verdicts on one line, "YES" in
 * a sentence, a score out of range) is no verdict. Reasoning on earlier lines is allowed, so
 * judges that think before answering work. Strictness is a defence in itself: replies of a judge
 * that was talked out of its format by the response under review do not count.
 */
public final class Verdicts {
  private static final Pattern YES_NO = line("VERDICT\\s*:\\s*\\**\\s*(YES|NO)");
  private static final Pattern SCORE = line("SCORE\\s*:\\s*\\**\\s*(\\d{1,3})");
  private static final Pattern PREFERENCE = line("VERDICT\\s*:\\s*\\**\\s*(A|B|TIE)");

  private Verdicts() {}

  /** A pairwise preference. */
  public enum Preference {
    /** The first response shown. */
    A,
    /** The second response shown. */
    B,
    /** Neither. */
    TIE
  }

  /** YES or NO from the last line, or empty. */
  public static Optional<Boolean> yesNo(String reply) {
    return last(reply, YES_NO).map(v -> v.equalsIgnoreCase("YES"));
  }

  /** The integer score of the last line when within [0, maxScore], or empty. */
  public static OptionalDouble score(String reply, int maxScore) {
    Optional<String> v = last(reply, SCORE);
    if (v.isEmpty()) {
      return OptionalDouble.empty();
    }
    int n = Integer.parseInt(v.get());
    return n <= maxScore ? OptionalDouble.of(n) : OptionalDouble.empty();
  }

  /** A, B or TIE from the last line, or empty. */
  public static Optional<Preference> preference(String reply) {
    return last(reply, PREFERENCE).map(v -> Preference.valueOf(v.toUpperCase(Locale.ROOT)));
  }

  private static Optional<String> last(String reply, Pattern pattern) {
    if (reply == null) {
      return Optional.empty();
    }
    String[] lines = reply.strip().split("\\R");
    String lastLine = lines[lines.length - 1].strip();
    Matcher m = pattern.matcher(lastLine);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  // the whole line: optional bold around it, the verdict, optional bold and one period after
  private static Pattern line(String verdict) {
    return Pattern.compile("\\**\\s*" + verdict + "\\s*\\**\\s*\\.?\\s*\\**", Pattern.CASE_INSENSITIVE);
  }
}
