package dro4j.data.finqa;

import dro4j.data.Example;
import dro4j.data.metrics.AnswerExtractor;
import dro4j.data.metrics.NumericAnswers;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DRO's FinQA metric on a model's outcome (the text after its reasoning), shared by the {@code finqa}
 * tasks' evaluation and the {@code finqa_match} reward so that training and evaluation judge alike.
 *
 * <p>An outcome that starts with a FinQA program ({@code subtract(5829, 5735), divide(#0, 5735)}, as
 * FinQA's own models and the bundled finqa-tiny answer) is executed over the example's table and its value
 * is the answer; a program that does not parse or execute gives no answer. Any other outcome's final
 * answer is found by {@link AnswerExtractor} (or, failing that, a leading "yes" or "no"). The answer is
 * correct when its number is within 2% (relative) of {@code exe_ans} as written, divided by 100 or
 * multiplied by 100 ({@link FinQaMetrics#droCorrect}: FinQA mixes fractions and percentages, so {@code
 * 12.5%} matches 0.125); a gold value of 0 needs {@code |answer| < 1e-6} (a relative tolerance would accept
 * only an exact zero); yes/no gold answers compare as text.
 */
public final class FinQaAnswers {
  /** Absolute tolerance for a gold value of 0. */
  public static final double ZERO_TOLERANCE = 1e-6;

  private static final Pattern YES_NO = Pattern.compile("\\W*(yes|no)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern PROGRAM_START = Pattern.compile(
      "\\s*(add|subtract|multiply|divide|exp|greater|table_max|table_min|table_sum|table_average)\\s*\\(");

  private FinQaAnswers() {}

  /** Whether {@code outcome} starts with a FinQA program operation. */
  public static boolean isProgram(String outcome) {
    return PROGRAM_START.matcher(outcome).lookingAt();
  }

  /**
   * The executed value of the program on the first line of {@code outcome} (a trailing period or
   * semicolon ignored) over {@code table}, or empty when it does not parse or execute.
   */
  public static Optional<String> programValue(String outcome, List<List<String>> table) {
    String program = outcome.strip().lines().findFirst().orElse("").trim().replaceAll("[.;]+$", "");
    try {
      return Optional.of(FinQaProgram.run(program, table).text());
    } catch (FinQaProgramException e) {
      return Optional.empty();
    }
  }

  /** The answer of an outcome (see the class comment), or null when there is none. */
  public static String answer(String outcome, List<List<String>> table) {
    if (isProgram(outcome)) return programValue(outcome, table).orElse(null);
    Optional<String> found = AnswerExtractor.finalAnswer(outcome);
    if (found.isPresent()) return found.get();
    Matcher yesNo = YES_NO.matcher(outcome);
    return yesNo.lookingAt() ? yesNo.group(1).toLowerCase(Locale.ROOT) : null;
  }

  /** DRO's verdict for an answer against the gold value (see the class comment). */
  public static boolean correct(String answer, FinQaValue gold) {
    if (gold instanceof FinQaValue.Numeric n && n.value() == 0) {
      Optional<NumericAnswers.ParsedNumber> p = NumericAnswers.parse(answer);
      return p.isPresent() && Math.abs(p.get().value()) < ZERO_TOLERANCE;
    }
    return FinQaMetrics.droCorrect(answer, gold);
  }

  /** The example's table ({@code table} metadata of a FinQA example), empty when it has none. */
  @SuppressWarnings("unchecked")
  public static List<List<String>> table(Example example) {
    Object t = example.metadata().get("table");
    return t instanceof List<?> rows ? (List<List<String>>) rows : List.of();
  }
}
