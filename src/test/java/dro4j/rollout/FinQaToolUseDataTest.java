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
    assertThatThrownBy(() -> FinQaToolUseData.synthetic(1, 2, SETTINGS, true, 0, -0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed-call share must be in [0, 1]");
  }

  /** The slip of a conversation: the index of the assistant message that writes it, or -1. */
  private static int slip(Example e) {
    List<?> m = messages(e);
    for (int i = 1; i + 1 < m.size(); i++) {
      Map<?, ?> a = (Map<?, ?>) m.get(i);
      if (a.get("role").equals("assistant") && !a.containsKey("tool_calls")) return i;
    }
    return -1;
  }

  @Test
  void aSlipIsAMalformedCallTheEnvironmentsErrorAndTheSameCallWellFormed() {
    List<Example> slipped = FinQaToolUseData.synthetic(13, 60, SETTINGS, true, 0, 1);
    List<Example> clean = FinQaToolUseData.synthetic(13, 60, SETTINGS, true);
    java.util.Set<String> errors = new java.util.TreeSet<>();
    for (int k = 0; k < slipped.size(); k++) {
      Example e = slipped.get(k);
      int at = slip(e);
      assertThat(at).as(e.id()).isPositive();
      List<?> m = messages(e);
      String text = ((Map<?, ?>) m.get(at)).get("content").toString();
      ToolCall parsed = ToolCallParser.hermes().parse(text).calls().get(0);
      assertThat(parsed.wellFormed()).as(text).isFalse();
      Map<?, ?> tool = (Map<?, ?>) m.get(at + 1);
      assertThat(tool.get("role")).isEqualTo("tool");
      assertThat(tool.get("content")).isEqualTo("error: malformed tool call: " + parsed.error());
      errors.add(parsed.error().replaceAll("\"[a-z_]+\"", "_").replaceAll(" of [a-z_]+ ", " of _ "));
      // without the slip and its error, and with the reasoning back on the corrected call, the clean conversation
      List<Object> mended = new java.util.ArrayList<>(m);
      Map<String, Object> corrected = new java.util.LinkedHashMap<>((Map<String, Object>) m.get(at + 2));
      if (at == 1) {
        String think = text.substring(0, text.indexOf("</think>") + "</think>".length());
        assertThat(text).startsWith("<think> ").isEqualTo(think + " " + text.substring(think.length() + 1));
        corrected.put("content", think);
      } else {
        assertThat(text).startsWith("<tool_call>{\"name\":");
      }
      mended.subList(at, at + 3).clear();
      mended.add(at, corrected);
      assertThat(mended).as(e.id()).isEqualTo(messages(clean.get(k)));
      assertThat(e.reference()).isEqualTo(clean.get(k).reference());
    }
    assertThat(errors).as("the three slips").hasSize(3);

    // a share: about that many slips, example i fixed whatever the count, none at 0, direct answers never slip
    long half = FinQaToolUseData.synthetic(13, 400, SETTINGS, true, 0, 0.5).stream().filter(e -> slip(e) > 0).count();
    assertThat(half).isBetween(160L, 240L); // Binomial(400, 0.5): 200 +- 20 at 2 sigma
    assertThat(FinQaToolUseData.synthetic(13, 30, SETTINGS, true, 0, 0.5))
        .isEqualTo(FinQaToolUseData.synthetic(13, 400, SETTINGS, true, 0, 0.5).subList(0, 30));
    assertThat(FinQaToolUseData.synthetic(13, 30, SETTINGS, true, 0, 0)).isEqualTo(clean.subList(0, 30));
    List<Example> mixed = FinQaToolUseData.synthetic(13, 200, SETTINGS, true, 0.5, 1);
    assertThat(mixed.stream().filter(FinQaToolUseDataTest::direct).count()).isBetween(70L, 130L);
    assertThat(mixed.stream().filter(e -> !direct(e)).allMatch(e -> slip(e) > 0)).isTrue();
  }
}
