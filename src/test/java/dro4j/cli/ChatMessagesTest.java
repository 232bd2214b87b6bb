package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat messages in files and data sets: a role and a content or tool calls, never a rendered "null". */
class ChatMessagesTest {

  @Test
  void aMessageWithoutContentOrToolCallsIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    Path chat = Files.writeString(dir.resolve("chat.json"), "[{\"role\": \"user\", \"text\": \"hi\"}]");
    CliTest.Result r = CliTest.run("render", "--model", Fixtures.fixture("tiny-qwen2").toString(), "--chat", chat.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("chat.json", "message 0", "neither \"content\" nor \"tool_calls\"", "text")
        .doesNotContain("Exception");
    Path noRole = Files.writeString(dir.resolve("norole.json"), "[{\"content\": \"hi\"}]");
    CliTest.Result r2 = CliTest.run("render", "--model", Fixtures.fixture("tiny-qwen2").toString(), "--chat", noRole.toString());
    assertThat(r2.code()).isEqualTo(1);
    assertThat(r2.err()).contains("norole.json", "needs a string \"role\"");
  }

  @Test
  void anAssistantToolCallTurnWithNullContentRendersWithoutNull() {
    ChatTemplate chat = ChatTemplate.load(Fixtures.fixture("chat-templates", "qwen2.5-instruct"));
    Map<String, Object> call = Map.of("type", "function", "function", Map.of("name", "add", "arguments", Map.of("a", 1)));
    ChatMessage toolTurn = ChatMessage.fromMap(new java.util.LinkedHashMap<>(Map.of(
        "role", "assistant", "tool_calls", List.of(call))), "message 1");
    assertThat(toolTurn.content()).isNull();
    String text = chat.render(List.of(ChatMessage.user("add 1"), toolTurn), false);
    assertThat(text).contains("<tool_call>", "\"name\": \"add\"").doesNotContain("null");
    // in a conversational data set the example is named
    assertThatThrownBy(() -> ChatMessage.fromMap(Map.of("role", "user"), "example q7, message 0"))
        .isInstanceOf(BadInputException.class).hasMessageContaining("example q7, message 0");
  }
}
