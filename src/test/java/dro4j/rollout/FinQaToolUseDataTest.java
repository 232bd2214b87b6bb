package dro4j.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.data.Example;
import dro4j.data.finqa.SyntheticFinQa;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FinQaToolUseDataTest {
  private static final SyntheticFinQa.Settings SETTINGS = SyntheticFinQa.Settings.fixed(2, 2, 2);

  private static List<?> messages(Example e) {
    return (List<?>) e.metadata().get("messages");
  }

  private static boolean direct(Example e) {
    return messages(e).size() == 2;
  }

  @Test
  void directShareAnswersThatShareWithoutTheCalculatorAndKeepsExampleIFixed() {
    List<Example> mixed = FinQaToolUseData.synthetic(11, 400, SETTINGS, true, 0.5);
    long direct = mixed.stream().filter(FinQaToolUseDataTest::direct).count();
    assertThat(direct).isBetween(160L, 240L); // Binomial(400, 0.5): 200 +- 20 at 2 sigma

    // example i does not depend on the count, and the others are the plain tool-use conversations
    List<Example> first = FinQaToolUseData.synthetic(11, 50, SETTINGS, true, 0.5);
    List<Example> tools = FinQaToolUseData.synthetic(11, 50, SETTINGS, true);
    for (int i = 0; i < 50; i++) {
      assertThat(first.get(i).metadata()).isEqualTo(mixed.get(i).metadata());
      if (!direct(first.get(i))) assertThat(first.get(i).metadata()).isEqualTo(tools.get(i).metadata());
    }
    assertThat(FinQaToolUseData.synthetic(11, 50, SETTINGS, true, 0).stream().noneMatch(FinQaToolUseDataTest::direct)).isTrue();
    assertThat(FinQaToolUseData.synthetic(11, 50, SETTINGS, true, 1).stream().allMatch(FinQaToolUseDataTest::direct)).isTrue();
  }

  @Test
  void aDirectAnswerIsTheReasoningThenTheCalculatorsFinalNumber() {
    Example withTools = FinQaToolUseData.synthetic(12, 1, SETTINGS, true).get(0);
    Example direct = FinQaToolUseData.directExample(SyntheticFinQa.generate(12, 1, SETTINGS).get(0));
    Map<?, ?> user = (Map<?, ?>) messages(direct).get(0);
    Map<?, ?> answer = (Map<?, ?>) messages(direct).get(1);
    assertThat(user).isEqualTo(messages(withTools).get(0));
    String think = ((Map<?, ?>) messages(withTools).get(1)).get("content").toString();
    assertThat(answer.get("role")).isEqualTo("assistant");
    assertThat(answer.get("content")).isEqualTo(think + " " + withTools.reference());
    assertThat(answer.containsKey("tool_calls")).isFalse();
    assertThat(direct.reference()).isEqualTo(withTools.reference());
  }

  @Test
  void aShareOutsideZeroToOneIsRefused() {
    assertThatThrownBy(() -> FinQaToolUseData.synthetic(1, 2, SETTINGS, true, 1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
  }
}
