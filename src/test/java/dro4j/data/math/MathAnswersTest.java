package dro4j.data.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.data.Example;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MathAnswersTest {
  private static final Example EGGS = new Example("e", Map.of("question", "q"), "18", Map.of("answer_value", 18.0));

  @Test
  void finalAnswerMustEqualTheGoldNumber() {
    assertThat(MathAnswers.isCorrect("16 - 3 - 4 = 9 eggs, 9 * 2 = 18. The answer is $18.", EGGS)).isTrue();
    assertThat(MathAnswers.isCorrect("so she makes \\boxed{18.0} dollars", EGGS)).isTrue();
    assertThat(MathAnswers.isCorrect("9 * 2 = 18, minus 1 is 17", EGGS)).isFalse();
    assertThat(MathAnswers.isCorrect("The answer is 18.1", EGGS)).isFalse();
    assertThat(MathAnswers.isCorrect("I don't know", EGGS)).isFalse();
  }

  @Test
  void exampleWithoutNumericGoldIsAnError() {
    Example other = new Example("x", Map.of(), "yes", Map.of());
    assertThatThrownBy(() -> MathAnswers.isCorrect("18", other)).hasMessageContaining("answer_value");
  }
}
