package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplates;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SFT data of finqa-tiny: finqa prompt, reasoning naming the cells, the gold program, turns for later tools. */
class FinQaSftDataTest {
  private static final List<Example> EXAMPLES = FinQaSftData.synthetic(11, 200, SyntheticFinQa.Settings.defaults());

  @Test
  @SuppressWarnings("unchecked")
  void promptIsTheFinqaTemplateAndTheCompletionEndsWithTheGoldProgram() {
    for (Example e : EXAMPLES) {
      assertThat(e.field("prompt")).isEqualTo(PromptTemplates.FINQA.userText(e));
      assertThat(e.reference()).startsWith("<think> ").endsWith("</think> " + e.metadata().get("program"));
      assertThat(correct(e.reference(), e)).as(e.id()).isTrue();
      List<Object> messages = (List<Object>) e.metadata().get(FinQaSftData.MESSAGES);
      assertThat(messages).containsExactly(
          Map.of("role", "user", "content", e.field("prompt")), Map.of("role", "assistant", "content", e.reference()));
    }
  }

  @Test
  void theReasoningNamesTheCellsTheProgramUses() {
    FinQaRecord r = SyntheticFinQa.generate(11, 40, SyntheticFinQa.Settings.fixed(2, 3, 3)).stream()
        .filter(x -> x.program().startsWith("subtract")).findFirst().orElseThrow();
    String completion = FinQaSftData.completion(r);
    FinQaProgram.Step first = FinQaProgram.parse(r.program()).steps().get(0);
    String row = r.table().stream().filter(cells -> cells.stream().anyMatch(c -> c.replace("$", "").trim().equals(first.arg1())))
        .findFirst().orElseThrow().get(0);
    assertThat(completion).contains("the " + row + " of ").contains(" is " + first.arg1() + " .")
        .contains("subtract " + first.arg2() + " from " + first.arg1() + " , then divide the result by");
  }

  @Test
  void answersAreExecutedProgramsJudgedByDrosMetric() {
    Example e = EXAMPLES.get(0);
    assertThat(FinQaAnswers.answer("add(1, 2)", List.of())).isEqualTo("3");
    assertThat(FinQaAnswers.answer("add(1, 2).\nmore text", List.of())).isEqualTo("3");
    assertThat(FinQaAnswers.answer("", List.of())).isNull();
    assertThat(FinQaAnswers.answer("divide(1, 0)", List.of())).as("a program that fails has no answer").isNull();
    assertThat(FinQaAnswers.answer("the answer is 12.5%", List.of())).isEqualTo("12.5%");
    assertThat(FinQaAnswers.answer("Yes, it grew", List.of())).isEqualTo("yes");
    assertThat(correct("<think> unfinished", e)).isFalse();
    assertThat(correct("</think> " + e.metadata().get("exe_ans"), e)).isTrue();
    assertThat(FinQaAnswers.correct("0.0000001", new FinQaValue.Numeric(0))).isTrue();
    assertThat(FinQaAnswers.correct("0.001", new FinQaValue.Numeric(0))).isFalse();
  }

  private static boolean correct(String completion, Example e) {
    int end = completion.lastIndexOf("</think>");
    String outcome = end < 0 ? completion : completion.substring(end + "</think>".length());
    String answer = FinQaAnswers.answer(outcome.trim(), FinQaAnswers.table(e));
    return answer != null && FinQaAnswers.correct(answer, FinQaMetrics.gold(e));
  }
}
