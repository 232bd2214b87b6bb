package dro4j.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.finqa.SyntheticFinQa;
import dro4j.generate.SamplingParams;
import dro4j.rl.SftTrainer;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool-use warm start trains on exactly what the rollout produces: a synthetic finqa-tools
 * conversation laid out by {@link ConversationTokens} equals, token by token and mask bit by mask bit,
 * the trajectory of {@link TrajectoryRollout} when the policy is forced to write the conversation's
 * assistant turns in the calculator environment (plain format of finqa-tiny and Qwen2.5's template).
 */
class ConversationTokensTest {
  @TempDir Path dir;

  @Test
  void plainFormatOfFinqaTinyMatchesTheRolloutAndAFinalAnswerIsRequired() {
    try (LanguageModel lm = LanguageModel.load(Path.of("bundled:finqa-tiny"))) {
      matchesRollout(lm);
      List<ChatMessage> m = List.of(ChatMessage.user("q"), ChatMessage.assistant("a"), new ChatMessage("tool", "1"));
      assertThatThrownBy(() -> ConversationTokens.encode(lm, m, List.of(), Map.of(), "example x"))
          .isInstanceOf(BadInputException.class).hasMessageContaining("example x").hasMessageContaining("end with an assistant");
    }
  }

  @Test
  void qwenTemplateMatchesTheRollout() throws Exception {
    Path tiny = Fixtures.fixture("tiny-qwen2");
    try (var files = Files.list(tiny)) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
    }
    JsonNode qwen = new ObjectMapper().readTree(
        Fixtures.fixture("chat-templates", "qwen2.5-instruct", "tokenizer_config.json").toFile());
    Files.writeString(dir.resolve(ChatTemplate.JINJA_FILE), qwen.get("chat_template").asText());
    try (LanguageModel lm = LanguageModel.load(dir)) {
      matchesRollout(lm);
    }
  }

  private static void matchesRollout(LanguageModel lm) {
    // a two-step program (two calls, then the answer) and a one-step one
    List<Example> examples = FinQaToolUseData.synthetic(3, 12, SyntheticFinQa.Settings.fixed(2, 2, 2));
    // and one whose first turn reasons before its call (--reasoning)
    Example reasoning = FinQaToolUseData.synthetic(6, 1, SyntheticFinQa.Settings.fixed(2, 2, 2), true).get(0);
    assertThat(((Map<?, ?>) ((List<?>) reasoning.metadata().get(SftTrainer.MESSAGES)).get(1)).get("content").toString())
        .startsWith("<think> the ").endsWith("</think>");
    // and one answered without the calculator (--direct-share)
    Example direct = FinQaToolUseData.directExample(dro4j.data.finqa.SyntheticFinQa.generate(7, 1, SyntheticFinQa.Settings.fixed(2, 2, 2)).get(0));
    List<Example> cases = new ArrayList<>(List.of(examples.get(0),
        FinQaToolUseData.synthetic(4, 1, SyntheticFinQa.Settings.fixed(1, 2, 2)).get(0), reasoning, direct));
    // and one of each slip (--malformed-call-share): a malformed call, the environment's error, the call again
    java.util.Set<String> slips = new java.util.HashSet<>();
    for (Example e : FinQaToolUseData.synthetic(9, 30, SyntheticFinQa.Settings.fixed(1, 2, 2), true, 0, 1)) {
      for (Object m : (List<?>) e.metadata().get(SftTrainer.MESSAGES)) {
        String error = String.valueOf(((Map<?, ?>) m).get("content"));
        if (error.startsWith("error: ") && slips.add(error.replaceAll("[a-z_]+ are", "are"))) cases.add(e);
      }
    }
    assertThat(slips).hasSize(3);
    for (Example e : cases) {
      List<ChatMessage> messages = new ArrayList<>();
      for (Object m : (List<?>) e.metadata().get(SftTrainer.MESSAGES)) messages.add(ChatMessage.fromMap((Map<?, ?>) m, e.id()));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> tools = (List<Map<String, Object>>) e.metadata().get("tools");
      ConversationTokens.Encoded enc = ConversationTokens.encode(lm, messages, tools, Map.of(), e.id());

      // the policy's turns, cut out of the encoding, forced through the real loop
      List<int[]> turns = new ArrayList<>();
      int start = -1;
      for (int i = 0; i <= enc.ids().length; i++) {
        boolean p = i < enc.ids().length && enc.policy()[i];
        if (p && start < 0) start = i;
        if (!p && start >= 0) {
          turns.add(Arrays.copyOfRange(enc.ids(), start, i));
          start = -1;
        }
      }
      assertThat(turns).hasSize((messages.size()) / 2);
      int[] turn = {0};
      RolloutSettings settings = RolloutSettings.of(SamplingParams.defaults().withTemperature(1.0)).withLimits(4, 4, 400, 64)
          .withForced((row, generated, count) -> {
            if (count == 0) turn[0]++;
            int[] ids = turns.get(turn[0] - 1);
            return count < ids.length ? ids[count] : -1;
          });
      try (TrajectoryBatch batch = new TrajectoryRollout(lm, settings).run(List.of(e), FinQaCalculatorEnvironment::new, 1, 5)) {
        Trajectory t = batch.trajectories().get(0);
        int[] all = new int[t.promptIds().length + t.tokens().length];
        System.arraycopy(t.promptIds(), 0, all, 0, t.promptIds().length);
        System.arraycopy(t.tokens(), 0, all, t.promptIds().length, t.tokens().length);
        assertThat(all).as(e.id()).isEqualTo(enc.ids());
        assertThat(enc.promptLength()).isEqualTo(t.promptIds().length);
        for (int i = 0; i < t.tokens().length; i++) {
          assertThat(enc.policy()[t.promptIds().length + i]).as("token %d", i).isEqualTo(t.mask()[i] == 1);
        }
        assertThat(t.stopReason()).isEqualTo(StopReason.DONE);
        assertThat(t.toolCalls()).isEqualTo(turns.size() - 1);
        long slipped = messages.stream().filter(m -> m.role().equals("tool") && m.content().startsWith("error: ")).count();
        assertThat(t.toolErrors()).isEqualTo(slipped);
        assertThat(t.turns().get(t.turns().size() - 1).stepReward()).isEqualTo(1.0);
      }
    }
  }
}
