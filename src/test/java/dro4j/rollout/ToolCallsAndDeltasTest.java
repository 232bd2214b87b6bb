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
}
