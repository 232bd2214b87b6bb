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
      assertThat(FinQaProgramAnswers.correct(e.reference(), e)).as(e.id()).isTrue();
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
    assertThat(FinQaProgramAnswers.answerText("<think> x </think> add(1, 2)")).isEqualTo("add(1, 2)");
    assertThat(FinQaProgramAnswers.answer("<think> x </think> add(1, 2)", List.of())).isEqualTo("3");
    assertThat(FinQaProgramAnswers.answer("<think> x </think>", List.of())).isNull();
    assertThat(FinQaProgramAnswers.answer("divide(1, 0)", List.of())).isEqualTo("divide(1, 0)");
    assertThat(FinQaProgramAnswers.correct("<think> unfinished", e)).isFalse();
    assertThat(FinQaProgramAnswers.correct("</think> " + e.metadata().get("exe_ans"), e)).isTrue();
  }
}
