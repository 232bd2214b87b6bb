package dro4j.data.metrics;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model's output text. {@link #finalAnswer} tries, in order:
 *
 * <ol>
 *   <li>the content of the last {@code \boxed{...}} (braces may nest);
 *   <li>the content of the last {@code <answer>...</answer>} element;
 *   <li>the rest of the line after the last "answer is", "answer:" or "answer =" (any case, so
 *       "The final answer is: $12.3 million." gives "$12.3 million"), without markdown bold and
 *       trailing punctuation;
 *   <li>the last number in the text (see {@link NumericAnswers}).
 * </ol>
 *
 * The result is text; numeric metrics read it with {@link NumericAnswers#parse}, which takes its
 * first number.
 */
public final class AnswerExtractor {
  // The greedy (?s:.*) prefix makes the match the LAST "answer is", even on the same line.
  private static final Pattern STATED =
      Pattern.compile(
          "(?s:.*)\\banswer\\s*(?:is|:|=)\\s*:?[ \\t]*(?<answer>[^\\n]*)", Pattern.CASE_INSENSITIVE);
  private static final Pattern ANSWER_TAG =
      Pattern.compile("<answer>(?<answer>.*?)</answer>", Pattern.DOTALL);

  private AnswerExtractor() {}

  /** The final answer of {@code output} by the rules above, or empty when none applies. */
  public static Optional<String> finalAnswer(String output) {
    return boxed(output)
        .or(() -> tagged(output))
        .or(() -> stated(output))
        .or(() -> lastNumber(output));
  }

  /** The content of the last {@code \boxed{...}}, trimmed; empty when there is none or it is unclosed. */
  public static Optional<String> boxed(String output) {
    int start = output.lastIndexOf("\\boxed{");
    while (start >= 0) {
      int open = start + "\\boxed{".length();
      int depth = 1;
      for (int i = open; i < output.length(); i++) {
        char c = output.charAt(i);
        if (c == '{') {
          depth++;
        } else if (c == '}' && --depth == 0) {
          return nonBlank(output.substring(open, i));
        }
      }
      // unclosed: try an earlier one
      start = output.lastIndexOf("\\boxed{", start - 1);
    }
    return Optional.empty();
  }

  /** The content of the last {@code <answer>...</answer>}, trimmed. */
  public static Optional<String> tagged(String output) {
    Matcher m = ANSWER_TAG.matcher(output);
    String last = null;
    while (m.find()) {
      last = m.group("answer");
    }
    return last == null ? Optional.empty() : nonBlank(last);
  }

  /** What follows the last "answer is" / "answer:" / "answer =" on its line, cleaned. */
  public static Optional<String> stated(String output) {
    Matcher m = STATED.matcher(output);
    if (!m.lookingAt()) { // anchored: one linear scan, where find() would retry at every offset
      return Optional.empty();
    }
    String last = m.group("answer");
    String answer = last.replace("**", "").trim();
    // trailing sentence punctuation is not part of the answer ("3.8." -> "3.8")
    answer = answer.replaceAll("[.,;:!]+$", "").trim();
    return nonBlank(answer);
  }

  /** The text of the last number in {@code output}. */
  public static Optional<String> lastNumber(String output) {
    List<NumericAnswers.ParsedNumber> numbers = NumericAnswers.parseAll(output);
    return numbers.isEmpty()
        ? Optional.empty()
        : Optional.of(numbers.get(numbers.size() - 1).text().trim());
  }

  private static Optional<String> nonBlank(String text) {
    String trimmed = text.trim();
    return trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
  }
}
