package dro4j.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatMessageTest {
  @Test
  void readsMessagesWithExtraFields(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("chat.json");
    Files.writeString(
        file,
        "[{\"role\": \"system\", \"content\": \"Be brief.\"},"
            + " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\": \"function\","
            + " \"function\": {\"name\": \"f\", \"arguments\": {\"x\": 1, \"y\": [true, 2.5]}}}]},"
            + " {\"role\": \"tool\", \"content\": \"ok\", \"name\": \"f\"},"
            + " {\"role\": \"user\", \"content\": \"\"}]");
    List<ChatMessage> messages = ChatMessage.readJson(file);
    assertThat(messages).hasSize(4);
    assertThat(messages.get(0)).isEqualTo(ChatMessage.system("Be brief."));
    assertThat(messages.get(1).content()).isNull();
    assertThat(messages.get(1).fields())
        .isEqualTo(
            Map.of(
                "tool_calls",
                List.of(
                    Map.of(
                        "type", "function",
                        "function", Map.of("name", "f", "arguments", Map.of("x", 1L, "y", List.of(true, 2.5)))))));
    assertThat(messages.get(2).toMap()).containsExactly(
        Map.entry("role", "tool"), Map.entry("content", "ok"), Map.entry("name", "f"));
    assertThat(messages.get(3)).isEqualTo(new ChatMessage("user", ""));
    // a message with neither content nor tool_calls renders as "null" in many templates: refused
    Files.writeString(file, "[{\"role\": \"user\"}]");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChatMessage.readJson(file))
        .hasMessageContaining("neither \"content\" nor \"tool_calls\"");
  }

  @Test
  void badFilesNameTheFileAndTheMessage(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("chat.json");
    assertThatThrownBy(() -> ChatMessage.readJson(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString());
    String[][] cases = {
      {"[{\"role\": \"user\", \"content\": \"hi\"", "not valid JSON"},
      {"{\"role\": \"user\"}", "list of messages"},
      {"[\"hi\"]", "message 0"},
      {"[{\"role\": \"user\", \"content\": \"a\"}, {\"content\": \"hi\"}]", "message 1 needs a string \"role\""},
      {"[{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]", "non-text \"content\""},
    };
    for (String[] c : cases) {
      Files.writeString(file, c[0]);
      assertThatThrownBy(() -> ChatMessage.readJson(file))
          .as(c[0])
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining(c[1]);
    }
  }

  @Test
  void fieldsCannotRepeatRoleOrContent() {
    assertThatThrownBy(() -> new ChatMessage("user", "x", Map.of("role", "system")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
