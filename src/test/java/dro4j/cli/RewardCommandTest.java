package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import dro4j.reward.verifiable.OverlongPunishment;
import dro4j.text.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dro4j reward} end to end on temporary JSONL files. */
class RewardCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  record Result(int code, String out, String err) {
    List<JsonNode> lines() throws IOException {
      List<JsonNode> nodes = new java.util.ArrayList<>();
      for (String line : out.strip().split("\n")) {
        nodes.add(JSON.readTree(line));
      }
      return nodes;
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  static Path write(Path dir, String name, String... lines) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void scoresEveryLineWithANamedReward(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl",
        "{\"id\": \"a\", \"prompt\": \"12 + 0.5?\", \"reference\": \"12.5\", \"rollouts\": [\"so the answer is 12.7\", \"answer: 12.8\", \"\"]}",
        "",
        "{\"prompt\": \"Revenue growth?\", \"reference\": \"ignored\", \"rollouts\": [\"\\\\boxed{3}\"], \"metadata\": {\"exe_ans\": 3}}");
    Result r = run("reward", "--input", in.toString(), "--reward", "numeric_match", "--param", "tolerance=0.02");
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> lines = r.lines();
    assertThat(lines).hasSize(2);
    JsonNode first = lines.get(0);
    assertThat(first.get("line").asInt()).isEqualTo(1);
    assertThat(first.get("id").asText()).isEqualTo("a");
    assertThat(first.get("scores").toString()).isEqualTo("[1.0,0.0,0.0]");
    assertThat(first.get("diagnostics").get("extracted").toString()).isEqualTo("[\"12.7\",\"12.8\",\"\"]");
    assertThat(lines.get(1).get("id").asText()).isEqualTo("line 3");
    assertThat(lines.get(1).get("scores").toString()).isEqualTo("[1.0]");
  }

  @Test
  void scoresWithAConfigFileAndLogsEachComponent(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl",
        "{\"prompt\": \"Capital of France?\", \"reference\": \"Paris\", \"rollouts\": ["
            + "\"<think>France</think> The answer is Paris\", \"The answer is Paris\", \"<think>hm</think> Lyon\"]}");
    Path config = write(dir, "reward.json",
        "{\"name\": \"weighted_sum\", \"rewards\": [{\"reward\": {\"name\": \"exact_match\"}, \"weight\": 1},"
            + " {\"reward\": {\"name\": \"think_format\"}, \"weight\": 0.5}]}");
    Result r = run("reward", "--input", in.toString(), "--config", config.toString(), "--batch", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode line = r.lines().get(0);
    assertThat(line.get("scores").toString()).isEqualTo("[1.5,1.0,0.5]");
    assertThat(line.get("diagnostics").get("exact_match").toString()).isEqualTo("[1.0,1.0,0.0]");
    assertThat(line.get("diagnostics").get("think_format").toString()).isEqualTo("[1.0,0.0,1.0]");
    assertThat(line.get("diagnostics").get("think_format/problem").get(1).asText()).contains("</think>");
  }

  @Test
  void tokenCountsComeFromTheModel(@TempDir Path dir) throws IOException {
    Path model = Fixtures.fixture("stories260K");
    String text = "Once upon a time there was a little dog named Tim.";
    int tokens;
    try (Tokenizer tokenizer = Tokenizer.load(model)) {
      tokens = tokenizer.encode(text, false).length;
    }
    assertThat(tokens).isGreaterThan(4);
    Path in = write(dir, "in.jsonl", "{\"prompt\": \"Tell a story.\", \"rollouts\": [\"" + text + "\", \"\"]}");
    int max = tokens + 1;
    Result r = run("reward", "--input", in.toString(), "--reward", "overlong", "--param", "max_length=" + max,
        "--param", "cache=4", "--model", model.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode line = r.lines().get(0);
    assertThat(line.get("diagnostics").get("length").toString()).isEqualTo("[" + tokens + ",0]");
    assertThat(line.get("scores").get(0).asDouble()).isEqualTo(OverlongPunishment.penalty(tokens, max, 4));
    assertThat(line.get("scores").get(0).asDouble()).isEqualTo(-0.75); // 3 tokens into a 4-token cache

    Result noModel = run("reward", "--input", in.toString(), "--reward", "overlong");
    assertThat(noModel.code()).isEqualTo(1);
    assertThat(noModel.err().strip()).doesNotContain("\n").contains("in.jsonl").contains("--model");
  }

  @Test
  void badInputGivesOneLineNamingFileAndLine(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl",
        "{\"prompt\": \"q\", \"rollouts\": [\"a\"]}",
        "{\"prompt\": \"q\", \"rollout\": [\"a\"]}");
    Result r = run("reward", "--input", in.toString(), "--reward", "rouge1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).doesNotContain("\n").contains("in.jsonl").contains("line 2").contains("unknown field 'rollout'");

    Path empty = write(dir, "empty.jsonl", "{\"prompt\": \"q\", \"rollouts\": []}");
    assertThat(run("reward", "--input", empty.toString(), "--reward", "rouge1").err()).contains("at least one response");

    Path ok = write(dir, "ok.jsonl", "{\"prompt\": \"q\", \"reference\": \"x\", \"rollouts\": [\"a\"]}");
    Result unknown = run("reward", "--input", ok.toString(), "--reward", "rouge3");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("unknown reward 'rouge3'").contains("rouge2");
    Result badParam = run("reward", "--input", ok.toString(), "--reward", "rouge1", "--param", "stemmer=true");
    assertThat(badParam.err()).contains("unknown parameter 'stemmer'").contains("stem");
    Path config = write(dir, "bad.json", "{\"name\": \"weighted_sum\", \"rewards\": [{\"reward\": \"nope\"}]}");
    Result badConfig = run("reward", "--input", ok.toString(), "--config", config.toString());
    assertThat(badConfig.code()).isEqualTo(1); // a nested reward in a file: the file is named
    assertThat(badConfig.err()).contains("bad.json").contains("unknown reward 'nope'");
    Result noReference = run("reward", "--input", in.toString().replace("in.jsonl", "empty.jsonl"), "--reward", "exact_match");
    assertThat(noReference.code()).isEqualTo(1);
  }

  @Test
  void usageErrorsAndListing(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl", "{\"prompt\": \"q\", \"rollouts\": [\"a\"]}");
    assertThat(run("reward", "--input", in.toString()).code()).isEqualTo(2);
    assertThat(run("reward", "--reward", "rouge1").code()).isEqualTo(2);
    assertThat(run("reward", "--input", in.toString(), "--reward", "rouge1", "--config", "x.json").code()).isEqualTo(2);
    assertThat(run("reward", "--input", in.toString(), "--config", "x.json", "--param", "a=b").code()).isEqualTo(2);
    Result list = run("reward", "--list");
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains("numeric_match").contains("pairwise_judge").contains("weighted_sum");
    Result help = run("reward", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Usage:").contains("--reward");
  }
}
