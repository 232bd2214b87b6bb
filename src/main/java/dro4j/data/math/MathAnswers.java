package dro4j.data.math;

import dro4j.data.Example;
import dro4j.data.metrics.AnswerExtractor;
import dro4j.data.metrics.NumericAnswers;
import java.util.Optional;

/** Correctness of a model's output on a GSM8K or SVAMP example. */
public final class MathAnswers {
  /**
   * Relative tolerance for "equal": the gold answers are exact, so this only absorbs how a number
   * is written ("18.0", "18.000001" from a float print), not arithmetic slips.
   */
  public static final double RELATIVE_TOLERANCE = 1e-6;

  private MathAnswers() {}

  /**
   * Whether the final answer of {@code output} ({@link AnswerExtractor#finalAnswer}) is, as a
   * number ({@link NumericAnswers#numericMatch}), the example's {@code answer_value}.
   *
   * @throws IllegalArgumentException when the example has no numeric {@code answer_value} metadata
   */
  public static boolean isCorrect(String output, Example example) {
    Optional<String> answer = AnswerExtractor.finalAnswer(output);
    return answer.isPresent() && NumericAnswers.numericMatch(answer.get(), gold(example), RELATIVE_TOLERANCE);
  }

  /** The example's {@code answer_value} metadata, as written by {@link Gsm8kLoader} and {@link SvampLoader}. */
  public static double gold(Example example) {
    if (example.metadata().get("answer_value") instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("example " + example.id() + " has no numeric answer_value metadata");
  }
}
