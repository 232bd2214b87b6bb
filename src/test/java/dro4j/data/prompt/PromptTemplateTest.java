package dro4j.data.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.data.Example;
import dro4j.data.finqa.FinQaLoader;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

  @Test
  void chatTemplateKwargsReachTheChatTemplate() {
    // Qwen3's template writes an empty think block when enable_thinking is false (chat_template_kwargs)
    ChatTemplate qwen3 = ChatTemplate.load(Fixtures.fixture("chat-templates", "qwen3"));
    Example e = new Example("q", Map.of("question", "What is 2 + 3?"), "5", Map.of());
    PromptTemplate math = PromptTemplates.byName("math");
    String thinking = math.render(e, qwen3);
    String direct = math.render(e, qwen3, Map.of("enable_thinking", false));
    assertThat(direct).isEqualTo(thinking + "<think>\n\n</think>\n\n");
  }

  @Test
  void fillsFieldsAndEscapedBraces() {
    PromptTemplate t = new PromptTemplate("t", "You are {role}.", "Q: {question} {{not a field}}", null);
    Example e = new Example("e1", Map.of("question", "2+2?", "role", "a tutor"), "4", Map.of());
    List<ChatMessage> messages = t.messages(e);
    assertThat(messages).hasSize(2);
    assertThat(messages.get(0).content()).isEqualTo("You are a tutor.");
    assertThat(messages.get(1).content()).isEqualTo("Q: 2+2? {not a field}");
    assertThat(t.render(e, null)).isEqualTo("You are a tutor.\n\nQ: 2+2? {not a field}");
  }

  @Test
  void missingFieldNamesTemplateFieldAndExample() {
    Example e = new Example("ex-7", Map.of("question", "?"), "", Map.of());
    assertThatThrownBy(() -> PromptTemplates.PARAREV.userText(e))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("pararev")
        .hasMessageContaining("instruction")
        .hasMessageContaining("ex-7");
    assertThatThrownBy(() -> PromptTemplates.byName("nope")).hasMessageContaining("finqa");
  }

  @Test
  void finqaRecordRendersThroughDeepSeekR1Template() {
    Example e = FinQaLoader.load(Fixtures.data("finqa", "example_finqa.json")).get(0);
    ChatTemplate r1 = ChatTemplate.load(Fixtures.fixture("chat-templates", "deepseek-r1-distill-qwen"));
    String prompt = PromptTemplates.FINQA.render(e, r1);
    assertThat(prompt).contains("Question: " + e.field("question"));
    assertThat(prompt).contains(e.field("table"));
    assertThat(prompt).endsWith("<｜Assistant｜><think>\n");
  }
}
