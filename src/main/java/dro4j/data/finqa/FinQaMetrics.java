package dro4j.data.finqa;

import dro4j.data.Example;
import dro4j.data.metrics.NumericAnswers;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** FinQA's two correctness measures: DRO's numeric answer match and the official execution accuracy. */
public final class FinQaMetrics {
  /** DRO's tolerance: a numeric answer counts as correct within 2% of the gold value, relative. */
  public static final double DRO_RELATIVE_TOLERANCE = 0.02;

  private FinQaMetrics() {}

  /**
   * DRO's binary FinQA correctness for an extracted answer (see {@link
   * dro4j.data.metrics.AnswerExtractor}): for a yes/no gold, the answer's first word is "yes" or
   * "no" accordingly (any case); for a numeric gold, the answer's first number is within 2%
   * relative of it at any of three scales: as written, divided by 100, or multiplied by 100.
   *
   * <p>Why three scales: FinQA's gold values for percentage questions are usually fractions (a
   * "percent change" program ends in a division, so 12.3% is stored as 0.123), sometimes
   * percentages (when the program multiplies by {@code const_100}), and the question does not say
   * which; models likewise answer "12.3%", "12.3" or "0.123". Accepting either scale judges the
   * reasoning, not the notation. The price is that an answer off by exactly a factor of 100 counts
   * as correct.
   */
  public static boolean droCorrect(String predictedAnswer, FinQaValue gold) {
    if (gold instanceof FinQaValue.YesNo yesNo) {
      String[] words = predictedAnswer.trim().toLowerCase(Locale.ROOT).split("[^a-z]+");
      String first = words.length > 0 && !words[0].isEmpty() ? words[0] : words.length > 1 ? words[1] : "";
      return first.equals(yesNo.text());
    }
    double goldValue = ((FinQaValue.Numeric) gold).value();
    Optional<NumericAnswers.ParsedNumber> parsed = NumericAnswers.parse(predictedAnswer);
    if (parsed.isEmpty()) {
      return false;
    }
    double v = parsed.get().value();
    for (double scaled : new double[] {v, v / 100.0, v * 100.0}) {
      if (NumericAnswers.withinRelative(scaled, goldValue, DRO_RELATIVE_TOLERANCE)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The gold value of an example made by {@link FinQaRecord#toExample}: its {@code exe_ans}
   * metadata (a number, or "yes"/"no").
   *
   * @throws IllegalArgumentException when the example has no usable {@code exe_ans}
   */
  public static FinQaValue gold(Example example) {
    Object value = example.metadata().get("exe_ans");
    if (value instanceof Number n) {
      return new FinQaValue.Numeric(n.doubleValue());
    }
    if ("yes".equals(value) || "no".equals(value)) {
      return new FinQaValue.YesNo("yes".equals(value));
    }
    throw new IllegalArgumentException(
        "example " + example.id() + " has no FinQA exe_ans metadata (found " + value + ")");
  }

  /**
   * The official execution accuracy for one example: the program executes over {@code table} and
   * its result, rounded to 5 decimals, equals {@code exeAns} (also rounded, which changes nothing
   * for FinQA's own values). A program that does not parse or execute counts as wrong, as in the
   * official script.
   */
  public static boolean executionMatch(String program, List<List<String>> table, FinQaValue exeAns) {
    FinQaValue result;
    try {
      result = FinQaProgram.run(program, table);
    } catch (FinQaProgramException e) {
      return false;
    }
    if (result instanceof FinQaValue.Numeric r && exeAns instanceof FinQaValue.Numeric g) {
      return r.value() == FinQaProgram.round5(g.value());
    }
    return result.equals(exeAns);
  }
}
