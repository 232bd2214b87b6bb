package dro4j.cli;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line contract: JSON shapes, exact renders, exit codes and one-line errors. */
class CliTest {
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  static final String STORIES = Fixtures.fixture("stories260K").toString();

  @Test
  void generateJsonGreedyMatchesTransformers() throws IOException {
    JsonNode ref = json(Fixtures.fixture("stories260K-reference", "greedy_prompt.json"));
    int[] all = ints(ref.get("ids"));
    int[] prompt = ints(ref.get("prompt_ids"));
    Result r = run("generate", "--model", STORIES, "--prompt", "Once upon a time, there was a dog",
        "--greedy", "--max-new-tokens", String.valueOf(all.length - prompt.length), "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out());
    assertThat(ints(out.get("prompt_ids"))).containsExactly(prompt);
    JsonNode c = out.get("completions").get(0);
    // exact ids hold on any CPU: GeneratorTest checks that each greedy step of this fixture leads by > 2e-4
    assertThat(ints(c.get("ids"))).containsExactly(Arrays.copyOfRange(all, prompt.length, all.length));
    assertThat(c.get("logprobs").size()).isEqualTo(c.get("ids").size());
    assertThat(c.get("finish_reason").asText()).isEqualTo("length");
    assertThat(c.get("text").asText()).isEqualTo(ref.get("text").asText());
  }

  @Test
  void generateMinNewTokensReachesTheFlagAndIsChecked() throws IOException {
    Result r = run("generate", "--prompt", "Once upon a time", "--num", "4", "--seed", "3", "--max-new-tokens", "24",
        "--min-new-tokens", "24", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    for (JsonNode c : new ObjectMapper().readTree(r.out()).get("completions")) {
      assertThat(c.get("ids").size()).isEqualTo(24);
      assertThat(c.get("finish_reason").asText()).isEqualTo("length");
    }
    Result bad = run("generate", "--prompt", "hi", "--min-new-tokens", "-1");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("min_new_tokens must be >= 0");
  }

  @Test
  void generateSamplesSeveralWithSeedAndTheDefaultModel() throws IOException {
    Result a = run("generate", "--prompt", "Once upon a time", "--num", "3", "--seed", "9",
        "--temperature", "0.8", "--top-p", "0.95", "--top-k", "40", "--min-p", "0.01", "--max-new-tokens", "12", "--json");
    Result b = run("generate", "--prompt", "Once upon a time", "--num", "3", "--seed", "9",
        "--temperature", "0.8", "--top-p", "0.95", "--top-k", "40", "--min-p", "0.01", "--max-new-tokens", "12", "--json");
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(a.out()).isEqualTo(b.out());
    JsonNode out = new ObjectMapper().readTree(a.out());
    assertThat(out.get("completions")).hasSize(3);
    assertThat(out.get("prompt_ids").get(0).asInt()).isEqualTo(1); // BOS added like transformers
  }

  @Test
  void generateFromChatFile(@TempDir Path dir) throws IOException {
    Path chat = dir.resolve("chat.json");
    Files.writeString(chat, "[{\"role\":\"system\",\"content\":\"You are a careful analyst.\"},"
        + "{\"role\":\"user\",\"content\":\"What is 12 + 30? Think first.\"}]");
    JsonNode ref = json(Fixtures.fixture("tiny-qwen2-reference", "reference.json"));
    int[] prompt = ints(ref.get("ids"));
    int[] greedy = ints(ref.get("greedy_ids"));
    Result r = run("generate", "--model", Fixtures.fixture("tiny-qwen2").toString(), "--chat", chat.toString(),
        "--greedy", "--max-new-tokens", "20", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out());
    assertThat(ints(out.get("prompt_ids"))).containsExactly(prompt);
    // exact ids hold on any CPU: GeneratorTest checks that each greedy step of this fixture leads by > 2e-3
    assertThat(ints(out.get("completions").get(0).get("ids")))
        .containsExactly(Arrays.copyOfRange(greedy, prompt.length, greedy.length));
  }

  @Test
  void scoreJsonMatchesTransformers() throws IOException {
    JsonNode ref = json(Fixtures.fixture("stories260K-reference", "reference_logprobs.json"));
    JsonNode c = ref.get("cases").get(3); // the case with an empty reasoning: the context is the prompt
    assertThat(c.get("reasoning").asText()).isEmpty();
    Result r = run("score", "--model", STORIES, "--context", ref.get("prompt").asText(),
        "--target", ref.get("reference").asText(), "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out());
    int[] context = dro4j.ReferenceData.concat(ints(c.get("prompt_ids")), ints(c.get("reasoning_ids")));
    assertThat(ints(out.get("context_ids"))).containsExactly(context);
    assertThat(ints(out.get("target_ids"))).containsExactly(ints(c.get("reference_ids")));
    double sum = 0;
    for (int j = 0; j < out.get("logprobs").size(); j++) {
      double expected = c.get("reference_token_logprobs").get(j).asDouble();
      assertThat(out.get("logprobs").get(j).asDouble()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
      sum += expected;
    }
    // each of the n log-probs may be off by the fixture tolerance 1e-4, so their sum by n * 1e-4
    int n = out.get("logprobs").size();
    assertThat(out.get("sum").asDouble()).isCloseTo(sum, org.assertj.core.data.Offset.offset(n * 1e-4));
  }

  @Test
  void renderPrintsTransformersOutputByteForByte(@TempDir Path dir) throws IOException {
    JsonNode expected = json(Fixtures.fixture("chat-templates", "expected.json"));
    int i = 0;
    for (JsonNode e : expected) {
      Path chat = dir.resolve("chat" + i++ + ".json");
      Files.writeString(chat, e.get("conversation").toString());
      Path model = Fixtures.fixture("chat-templates", e.get("template").asText());
      Result r = e.get("add_generation_prompt").asBoolean()
          ? run("render", "--model", model.toString(), "--chat", chat.toString())
          : run("render", "--model", model.toString(), "--chat", chat.toString(), "--no-generation-prompt");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(e.get("rendered").asText());
    }
    assertThat(i).isEqualTo(8);
  }

  @Test
  void renderPassesToolsAndTemplateVariablesAsTransformersDoes(@TempDir Path dir) throws IOException {
    JsonNode expected = null;
    for (JsonNode e : json(Fixtures.fixture("chat-templates", "qwen3", "expected.json"))) {
      if (e.get("name").asText().equals("tools-no-thinking") && e.get("add_generation_prompt").asBoolean()) {
        expected = e;
      }
    }
    assertThat(expected).isNotNull();
    Path chat = Files.writeString(dir.resolve("chat.json"), expected.get("conversation").toString());
    Path tools = Files.writeString(dir.resolve("tools.json"), expected.get("tools").toString());
    String model = Fixtures.fixture("chat-templates", "qwen3").toString();
    Result r = run("render", "--model", model, "--chat", chat.toString(), "--tools", tools.toString(),
        "--template-var", "enable_thinking=false");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(expected.get("rendered").asText());
    Result bad = run("render", "--model", model, "--chat", chat.toString(), "--template-var", "enable_thinking");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err().strip()).doesNotContain("\n").contains("KEY=VALUE");
  }

  @Test
  void badUsageExitsWithTwo() {
    assertThat(run("generate", "--no-such-flag").code()).isEqualTo(2);
    assertThat(run("score", "--context", "x").code()).isEqualTo(2); // missing --target
    assertThat(run("generate", "--prompt", "a", "--chat", "b.json").code()).isEqualTo(2); // exclusive
  }

  @Test
  void failuresExitWithOneAndOneClearLine(@TempDir Path dir) throws IOException {
    Result missing = run("generate", "--model", dir.resolve("nope").toString(), "--prompt", "hi");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err().strip()).doesNotContain("\n").contains("nope").contains("does not exist");

    Path broken = dir.resolve("broken");
    Files.createDirectories(broken);
    for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
      Files.copy(Fixtures.fixture("stories260K", f), broken.resolve(f));
    }
    Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Result corrupt = run("score", "--model", broken.toString(), "--context", "a", "--target", "b");
    assertThat(corrupt.code()).isEqualTo(1);
    assertThat(corrupt.err().strip()).doesNotContain("\n").contains("model.safetensors");

    Path chat = dir.resolve("chat.json");
    Files.writeString(chat, "[{\"role\": \"user\", \"content\": ");
    Result badChat = run("render", "--model", Fixtures.fixture("tiny-qwen2").toString(), "--chat", chat.toString());
    assertThat(badChat.code()).isEqualTo(1);
    assertThat(badChat.err()).contains("chat.json");

    Result bad = run("generate", "--prompt", "x", "--temperature", "-1");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("temperature");
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : new String[] {"generate", "score", "render", "bench"}) {
      Result r = run(cmd, "--help");
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("Usage:").contains(cmd);
    }
  }
}
