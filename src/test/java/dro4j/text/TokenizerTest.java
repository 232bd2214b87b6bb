package dro4j.text;

import static dro4j.Fixtures.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Tokenizer stories;
  private static Tokenizer qwen;

  @BeforeAll
  static void load() {
    stories = Tokenizer.load(fixture("stories260K"));
    qwen = Tokenizer.load(fixture("tiny-qwen2"));
  }

  @AfterAll
  static void close() {
    stories.close();
    qwen.close();
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).intValue();
    }
    return out;
  }

  @Test
  void stories260KCasesMatchHuggingFace() throws IOException {
    JsonNode cases = JSON.readTree(fixture("stories260K-reference", "tokenizer_cases.json").toFile());
    assertThat(cases.size()).isGreaterThan(5);
    for (JsonNode c : cases) {
      String text = c.get("text").textValue();
      int[] ids = stories.encode(text, false);
      assertThat(ids).as("ids of %s", text).containsExactly(ints(c.get("ids")));
      assertThat(stories.decode(ids, false)).as("decode of %s", text).isEqualTo(c.get("decoded").textValue());
      for (int i = 0; i < ids.length; i++) {
        assertThat(stories.tokenString(ids[i])).isEqualTo(c.get("tokens").get(i).textValue());
      }
    }
  }

  @Test
  void tinyQwen2CasesAndRenderedPromptMatchHuggingFace() throws IOException {
    JsonNode reference = JSON.readTree(fixture("tiny-qwen2-reference", "reference.json").toFile());
    JsonNode cases = reference.get("tokenizer_cases");
    assertThat(cases.size()).isGreaterThan(5);
    for (JsonNode c : cases) {
      String text = c.get("text").textValue();
      int[] ids = qwen.encode(text, false);
      assertThat(ids).as("ids of %s", text).containsExactly(ints(c.get("ids")));
      // Byte-level BPE is lossless, special tokens included.
      assertThat(qwen.decode(ids, false)).isEqualTo(text);
    }
    String rendered = reference.get("rendered").textValue();
    assertThat(qwen.encode(rendered, true)).containsExactly(ints(reference.get("ids")));
    assertThat(qwen.encode(rendered, false)).containsExactly(ints(reference.get("ids")));
  }

  @Test
  void defaultSpecialTokensAreThoseOfHuggingFace() {
    assertThat(stories.encode("Once upon a time", true)).containsExactly(1, 403, 407, 261, 378);
    assertThat(stories.encode("Once upon a time", false)).containsExactly(403, 407, 261, 378);
    // Qwen2 adds nothing.
    assertThat(qwen.encode("Once upon a time", true)).containsExactly(307, 305, 261, 309);
  }

  @Test
  void longTextIsNotTruncated() {
    String text = "Once upon a time, Lily saw a big red ball. ".repeat(100).strip();
    for (Tokenizer tokenizer : new Tokenizer[] {stories, qwen}) {
      int[] ids = tokenizer.encode(text, false);
      assertThat(ids.length).isGreaterThan(1000);
      assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
      assertThat(tokenizer.encode(text, true).length).isGreaterThan(1000);
    }
  }

  @Test
  void specialTokenIdsComeFromTokenizerConfig() {
    assertThat(stories.bosTokenId()).isEqualTo(1);
    assertThat(stories.eosTokenId()).isEqualTo(2);
    assertThat(stories.padTokenId()).isNull();
    assertThat(qwen.bosTokenId()).isNull();
    assertThat(qwen.eosTokenId()).isEqualTo(2);
    assertThat(qwen.padTokenId()).isEqualTo(0);
  }

  @Test
  void vocabularyLookups() {
    assertThat(stories.vocabSize()).isEqualTo(512);
    assertThat(qwen.vocabSize()).isEqualTo(400);
    assertThat(stories.tokenId("▁Once")).isEqualTo(403);
    assertThat(stories.tokenString(403)).isEqualTo("▁Once");
    assertThat(stories.tokenString(1)).isEqualTo("<s>");
    assertThat(qwen.tokenId("<|im_end|>")).isEqualTo(2);
    assertThat(qwen.directory()).isEqualTo(fixture("tiny-qwen2"));
    assertThatThrownBy(() -> stories.tokenId("no such token"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("tokenizer.json")
        .hasMessageContaining("no such token");
    assertThatThrownBy(() -> stories.tokenString(512)).isInstanceOf(BadInputException.class);
  }

  @Test
  void decodeCanSkipSpecialTokens() {
    int[] ids = qwen.encode("<|im_start|>user\nhi<|im_end|>\n", false);
    assertThat(qwen.decode(ids, true)).isEqualTo("user\nhi\n");
    assertThat(stories.decode(new int[] {1, 403, 407, 2}, true)).isEqualTo("Once upon");
    assertThat(stories.decode(new int[] {1, 403, 407, 2}, false)).isEqualTo("<s> Once upon</s>");
  }

  @Test
  void explicitAddEosTokenInConfigIsFollowed(@TempDir Path dir) throws IOException {
    Files.copy(fixture("stories260K", "tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"content\": \"<s>\", \"special\": true}, \"eos_token\": \"</s>\","
            + " \"add_bos_token\": true, \"add_eos_token\": true}");
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.encode("Once upon a time", true)).containsExactly(1, 403, 407, 261, 378, 2);
    }
  }

  @Test
  void missingTokenizerJsonIsBadInput(@TempDir Path dir) {
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString())
        .hasMessageContaining("not found");
  }

  @Test
  void garbageTokenizerJsonIsBadInput(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, "this is { not json");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not valid JSON");
    // Valid JSON that the Rust tokenizer rejects must also be a Java exception, not a JVM abort.
    Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": 3}}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a valid Hugging Face tokenizer");
    Files.writeString(file, "[1, 2]");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void malformedTokenizerConfigIsBadInput(@TempDir Path dir) throws IOException {
    Files.copy(fixture("stories260K", "tokenizer.json"), dir.resolve("tokenizer.json"));
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "{\"bos_token\": ");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString());
    Files.writeString(config, "{\"bos_token\": 7}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("bos_token");
    Files.writeString(config, "{\"eos_token\": \"<not in vocab>\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("<not in vocab>");
  }

  @Test
  void tokenizerConfigIsOptional(@TempDir Path dir) throws IOException {
    Files.copy(fixture("stories260K", "tokenizer.json"), dir.resolve("tokenizer.json"));
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.bosTokenId()).isNull();
      // Without flags in a config, tokenizer.json's post-processor decides: it adds <s>.
      assertThat(tokenizer.encode("Once upon a time", true)).startsWith(1);
      assertThat(tokenizer.hasChatTemplate()).isFalse();
    }
  }
}
