package dro4j.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.Fixtures;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tool-call parsing and template deltas, without a model. */
class ToolCallsAndDeltasTest {

  @Test
  void parsesHermesCallsAndReportsMalformedOnes() {
    ToolCallParser p = ToolCallParser.hermes();
    ToolCallParser.Parsed two = p.parse("Let me add. <tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}</tool_call>"
        + "<tool_call>{\"name\": \"exp\", \"arguments\": \"{\\\"a\\\": 2, \\\"b\\\": 3}\"}</tool_call> done");
    assertThat(two.content()).isEqualTo("Let me add.  done");
    assertThat(two.calls()).extracting(ToolCall::name).containsExactly("add", "exp");
    assertThat(two.calls().get(1).arguments()).containsEntry("b", 3); // arguments given as a JSON string
    assertThat(p.parse("<tool_call>{\"name\": \"add\"").calls().get(0).error()).contains("never closed");
    assertThat(p.parse("<tool_call>[1, 2]</tool_call>").calls().get(0).wellFormed()).isFalse();
    assertThat(p.parse("<tool_call>{\"arguments\": {}}</tool_call>").calls().get(0).error()).contains("name");
    assertThat(p.parse("<tool_call>{\"name\": \"a\", \"arguments\": 3}</tool_call>").calls().get(0).error())
        .contains("not a JSON object");
    assertThat(new ToolCallParser("[CALL]", "[/CALL]").parse("[CALL]{\"name\": \"x\"}[/CALL]").calls().get(0).name())
        .isEqualTo("x");
    assertThat(p.parse("no calls here").calls()).isEmpty();
  }

  @Test
  void qwen3ReRendersEarlierThinkingSoTheDeltaFallsBackToAStandIn() {
    ChatTemplate qwen3 = ChatTemplate.load(Fixtures.fixture("chat-templates", "qwen3")); // chat_template.jinja
    TemplateDelta delta = new TemplateDelta(qwen3, Map.of());
    List<ChatMessage> conversation = List.of(ChatMessage.user("Guess a number."),
        ChatMessage.assistant("<think>\nMiddle first.\n</think>\n\nI guess 8."));
    List<ChatMessage> feedback = List.of(ChatMessage.user("Higher."));
    // a new user turn makes Qwen3 drop the earlier <think>: the render is no longer an append
    String before = qwen3.render(conversation, false, Map.of());
    List<ChatMessage> all = new java.util.ArrayList<>(conversation);
    all.addAll(feedback);
    assertThat(qwen3.render(all, true, Map.of())).doesNotStartWith(before);
    assertThat(delta.delta(conversation, feedback, "<|im_end|>"))
        .isEqualTo("\n<|im_start|>user\nHigher.<|im_end|>\n<|im_start|>assistant\n");
    // tool turns keep the thinking, so the delta is the direct one
    List<ChatMessage> tool = List.of(new ChatMessage("tool", "5", Map.of()));
    assertThat(delta.delta(conversation, tool, "<|im_end|>"))
        .isEqualTo("\n<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void turnRewardsAreNormalisedOverTheGroupAndOptionallyDiscounted() {
    double[][] r = {{1, 0}, {0, 0, 3}};
    double[][] n = TurnRewards.normalise(r, 2);
    double mean = 4.0 / 5;
    double std = Math.sqrt(((1 - mean) * (1 - mean) + 3 * mean * mean + (3 - mean) * (3 - mean)) / 5);
    assertThat(n[0][0]).isCloseTo((1 - mean) / (std + 1e-4), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(TurnRewards.normalise(new double[][] {{2, 2}, {2}}, 2)[1][0]).isZero(); // no spread, no signal
    double[][] d = TurnRewards.discounted(new double[][] {{1, 2, 4}}, 0.5);
    assertThat(d[0]).containsExactly(1 + 0.5 * (2 + 0.5 * 4), 2 + 0.5 * 4, 4);
  }

  @Test
  void toolErrorTurnRewardsLandOnTheTurnThatFailed() {
    // trajectory 0: a failed call, then a good one, then the answer; trajectory 1: the answer alone
    Trajectory failing = trajectory(new Turn(0, 2, 4, "call", 1, 1, null), new Turn(4, 6, 8, "call", 1, 0, null),
        new Turn(8, 10, 10, "answer", 0, 0, 1.0));
    Trajectory direct = trajectory(new Turn(0, 3, 3, "answer", 0, 0, 0.0));
    double[][] r = TurnRewards.toolErrorTurns(List.of(failing, direct));
    assertThat(r[0]).containsExactly(-1, 0, 0);
    assertThat(r[1]).containsExactly(0);
    List<float[]> a = TurnRewards.tokenAdvantages(List.of(failing, direct), new double[] {0.5, -0.5}, r, 2, 1.0);
    assertThat(a.get(0)[0]).isLessThan(-1f); // the failed call's turn, its tool response included
    assertThat(a.get(0)[3]).isEqualTo(a.get(0)[0]);
    assertThat(a.get(0)[5]).isGreaterThan(0.5f); // the good call: above its trajectory advantage
    assertThat(a.get(0)[9]).isEqualTo(a.get(0)[5]);
  }

  @Test
  void turnRewardNamesCombineWithPlus() {
    assertThat(TurnRewards.Kind.parse("none").isNone()).isTrue();
    assertThat(TurnRewards.Kind.parse(null)).isEqualTo(TurnRewards.Kind.NONE);
    TurnRewards.Kind k = TurnRewards.Kind.parse(" Tool_Errors+information_gain ");
    assertThat(k.usesToolErrors()).isTrue();
    assertThat(k.usesInformationGain()).isTrue();
    assertThat(k.usesEnvironment()).isFalse();
    assertThat(TurnRewards.Kind.parse("environment+information_gain"))
        .isEqualTo(TurnRewards.Kind.parse("information_gain+environment"));
    for (String bad : List.of("gain", "environment+", "environment+environment", "none+environment")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> TurnRewards.Kind.parse(bad))
          .isInstanceOf(dro4j.BadInputException.class).hasMessageContaining("turn_reward").hasMessageContaining(bad);
    }
  }

  private static Trajectory trajectory(Turn... turns) {
    int n = turns[turns.length - 1].observationEnd();
    return new Trajectory(new int[] {1}, new int[n], new int[n], new double[n], List.of(turns), StopReason.DONE, 0);
  }
}
