package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.text.ChatMessage;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptBuilderTest {
  private static Example example(Map<String, String> fields) {
    return new Example("ex-1", new LinkedHashMap<>(fields), "", Map.of());
  }

  @Test
  void templatesFillFieldsWithEscapedBraces() {
    Example e = example(Map.of("question", "2+2?", "context", "math"));
    assertThat(PromptBuilder.fill("[{context}] Q: {question} {{not a field}}", e)).isEqualTo("[math] Q: 2+2? {not a field}");
    assertThatThrownBy(() -> PromptBuilder.fill("{answer}", e))
        .hasMessageContaining("{answer}").hasMessageContaining("ex-1");
    assertThatThrownBy(() -> PromptBuilder.fill("{question", e)).hasMessageContaining("unclosed");
  }

  @Test
  void leftTruncationKeepsTheEnd() {
    assertThat(PromptBuilder.truncateLeft(new int[] {1, 2, 3, 4}, 2)).containsExactly(3, 4);
    assertThat(PromptBuilder.truncateLeft(new int[] {1, 2}, 5)).containsExactly(1, 2);
    assertThat(PromptBuilder.truncateLeft(new int[] {1, 2}, null)).containsExactly(1, 2);
  }

  @Test
  void plainTextPromptsGetTheTokenizersBosAndAreTruncatedOnTheLeft() {
    try (LanguageModel lm = LanguageModel.load(Fixtures.fixture("stories260K"))) {
      PromptBuilder plain = new PromptBuilder(lm, null, "ignored without a chat template", null);
      assertThat(plain.usesChatTemplate()).isFalse();
      Example e = example(Map.of("prompt", "Once upon a time"));
      int[] ids = plain.ids(e);
      assertThat(ids).containsExactly(lm.tokenizer().encode("Once upon a time", true));
      assertThat(ids[0]).isEqualTo(lm.tokenizer().bosTokenId());
      int[] cut = new PromptBuilder(lm, null, null, 2).ids(e);
      assertThat(cut).containsExactly(Arrays.copyOfRange(ids, ids.length - 2, ids.length));
      assertThat(plain.text(example(Map.of("story", "only field")))).isEqualTo("only field");
      assertThatThrownBy(() -> plain.text(example(Map.of("a", "1", "b", "2")))).hasMessageContaining("prompt_template");
    }
  }

  @Test
  void chatTemplateModelsGetTheUserMessageAfterTheSystemPrompt() {
    try (LanguageModel lm = LanguageModel.load(Fixtures.fixture("tiny-qwen2"))) {
      PromptBuilder chat = new PromptBuilder(lm, "Q: {question}", "Be brief.", null);
      assertThat(chat.usesChatTemplate()).isTrue();
      int[] ids = chat.ids(example(Map.of("question", "What is 2+2?")));
      assertThat(ids).containsExactly(
          lm.encodeChat(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Q: What is 2+2?")), true));
    }
  }
}
