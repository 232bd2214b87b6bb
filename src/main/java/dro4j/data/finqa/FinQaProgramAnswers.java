package dro4j.data.finqa;

import dro4j.data.Example;
import dro4j.data.metrics.NumericAnswers;
import dro4j.data.prompt.PromptTemplates;
import java.util.List;

/**
 * Scores completions that answer with a FinQA program (as the bundled finqa-tiny model does): the text
 * after the last {@code </think>} (all of it when there is none) is parsed as a program and executed over
 * the example's table; the executed value is the answer, judged by DRO's metric ({@link
 * FinQaMetrics#droCorrect}: within 2% of {@code exe_ans}). An answer that is not a program is judged as
 * text by the same metric, so a plain number answer still counts.
 */
public final class FinQaProgramAnswers {
  private FinQaProgramAnswers() {}

  /** The answer part of a completion: after the last {@code </think>}, trimmed. */
  public static String answerText(String completion) {
    int end = completion.lastIndexOf(PromptTemplates.THINK_END);
    return (end < 0 ? completion : completion.substring(end + PromptTemplates.THINK_END.length())).trim();
  }

  /**
   * The answer of a completion: the executed program's value as plain text when the answer part is a
   * program that runs over {@code table}, the answer text itself otherwise, or null when it is empty.
   */
  public static String answer(String completion, List<List<String>> table) {
    String text = answerText(completion);
    if (text.isEmpty()) return null;
    try {
      FinQaValue v = FinQaProgram.run(text, table);
      return v instanceof FinQaValue.Numeric n ? NumericAnswers.format(n.value()) : v.toPlain().toString();
    } catch (RuntimeException e) { // not a program, or one that does not run (FinQaProgramException, a division by 0)
      return text;
    }
  }

  /** Whether a completion's answer is right for {@code example} (a FinQA example with table metadata). */
  @SuppressWarnings("unchecked")
  public static boolean correct(String completion, Example example) {
    List<List<String>> table = (List<List<String>>) example.metadata().getOrDefault("table", List.of());
    String answer = answer(completion, table);
    return answer != null && FinQaMetrics.droCorrect(answer, FinQaMetrics.gold(example));
  }
}
