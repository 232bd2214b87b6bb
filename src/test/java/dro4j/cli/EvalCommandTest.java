package dro4j.cli;

import static dro4j.cli.RewardCommandTest.run;
import static dro4j.cli.RewardCommandTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import dro4j.task.VowelTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dro4j eval} end to end on the bundled stories260K: the output files, a FinQA file it has never
 * seen whose verdicts and pass@k are recomputed here independently, a custom task found through
 * ServiceLoader, seed independence from --limit and order, and the refusal to overwrite.
 */
class EvalCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) {
      if (!l.isBlank()) out.add(JSON.readTree(l));
    }
    return out;
  }

  /** pass@k = 1 - C(n-c, k) / C(n, k), with the binomials as plain products. */
  static double passAtK(int n, int c, int k) {
    if (n - c < k) return 1.0;
    return 1.0 - binomial(n - c, k) / binomial(n, k);
  }

  static double binomial(int n, int k) {
    double b = 1;
    for (int i = 1; i <= k; i++) b = b * (n - k + i) / i;
    return b;
  }

  /** Checks the summary's pass@k against the correct flags of results.jsonl. */
  static void assertPassAtKAgrees(JsonNode summary, List<JsonNode> results, int samples) {
    for (int k = 1; k <= samples; k *= 2) {
      double sum = 0;
      for (JsonNode r : results) {
        int c = 0;
        for (JsonNode comp : r.get("completions")) c += comp.get("correct").asBoolean() ? 1 : 0;
        sum += passAtK(r.get("completions").size(), c, k);
      }
      assertThat(summary.get("pass@" + k).asDouble()).as("pass@" + k).isCloseTo(sum / results.size(), within(1e-12));
    }
    assertThat(summary.has("pass@" + 2 * Integer.highestOneBit(samples))).isFalse();
  }

  private static final String FINQA_RECORD = """
      {"id": "%s", "pre_text": ["revenue grew in 2019 ."], "post_text": ["no other changes ."],
       "table": [["", "2019", "2018"], ["revenue", "$ 5829", "$ 5735"]],
       "qa": {"question": "%s", "program": "%s", "exe_ans": %s, "answer": "", "gold_inds": {}}}""";

  @Test
  void finqaVerdictsAndPassAtKAgreeWithAnIndependentRecomputation(@TempDir Path dir) throws IOException {
    Path data = dir.resolve("finqa.json");
    Files.writeString(data, "[" + String.format(FINQA_RECORD, "new-1", "what was the change in revenue?",
        "subtract(5829, 5735)", "94.0") + ",\n" + String.format(FINQA_RECORD, "new-2", "did revenue grow?",
        "greater(5829, 5735)", "\"yes\"") + "]");
    Path out = dir.resolve("out");
    var r = run("eval", "--task", "finqa", "--data", data.toString(), "--samples", "4", "--max-new-tokens", "12",
        "--seed", "7", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    List<JsonNode> results = lines(out.resolve("results.jsonl"));
    assertThat(summary.get("task").asText()).isEqualTo("finqa");
    assertThat(summary.get("n").asInt()).isEqualTo(2);
    assertThat(summary.get("samples").asInt()).isEqualTo(4);
    assertThat(summary.has("seconds")).isTrue();
    assertThat(results).extracting(n -> n.get("id").asText()).containsExactly("new-1", "new-2");
    assertThat(results.get(0).get("reference").asText()).isEqualTo("94");
    Map<String, Object> gold = Map.of("new-1", 94.0, "new-2", "yes");
    Pattern number = Pattern.compile("-?\\d+(?:\\.\\d+)?");
    long tokens = 0;
    for (JsonNode line : results) {
      assertThat(line.get("completions")).hasSize(4);
      for (JsonNode c : line.get("completions")) {
        assertThat(c.has("text")).isTrue();
        assertThat(c.has("answer")).isTrue();
        tokens += c.get("tokens").asInt();
        JsonNode answer = c.get("answer");
        boolean expected = false;
        if (!answer.isNull()) {
          Object g = gold.get(line.get("id").asText());
          String a = answer.asText().replace(",", "").toLowerCase();
          if (g instanceof Double gv) {
            Matcher m = number.matcher(a);
            if (m.find()) {
              double v = Double.parseDouble(m.group());
              for (double s : new double[] {v, v / 100, v * 100}) expected |= Math.abs(s - gv) <= 0.02 * Math.abs(gv);
            }
          } else {
            expected = a.replaceAll("^\\W+", "").startsWith((String) g);
          }
        }
        assertThat(c.get("correct").asBoolean()).as(c.toString()).isEqualTo(expected);
      }
    }
    assertPassAtKAgrees(summary, results, 4);
    assertThat(summary.get("mean_completion_tokens").asDouble()).isCloseTo(tokens / 8.0, within(1e-9));
  }

  @Test
  void aServiceLoaderTaskIsEvaluatedAndItsPassAtKMatchesTheResults(@TempDir Path dir) throws IOException {
    Path data = write(dir, "stories.jsonl",
        "{\"id\": \"s1\", \"fields\": {\"prompt\": \"Once upon a time\"}, \"reference\": \"\"}",
        "{\"id\": \"s2\", \"fields\": {\"prompt\": \"Tom had a red ball.\"}, \"reference\": \"\"}",
        "{\"id\": \"s3\", \"fields\": {\"prompt\": \"One day, Lily\"}, \"reference\": \"\"}");
    Path out = dir.resolve("out");
    var r = run("eval", "--task", VowelTask.NAME, "--data", data.toString(), "--samples", "8", "--max-new-tokens", "4",
        "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    List<JsonNode> results = lines(out.resolve("results.jsonl"));
    int correct = 0;
    for (JsonNode line : results) {
      for (JsonNode c : line.get("completions")) {
        String text = c.get("text").asText().trim();
        boolean vowel = !text.isEmpty() && "AEIOUaeiou".indexOf(text.charAt(0)) >= 0;
        assertThat(c.get("correct").asBoolean()).isEqualTo(vowel);
        correct += vowel ? 1 : 0;
      }
    }
    assertThat(correct).as("some right, some wrong").isBetween(1, 23);
    assertPassAtKAgrees(summary, results, 8);
    assertThat(summary.fieldNames()).toIterable()
        .containsExactly("task", "n", "samples", "pass@1", "pass@2", "pass@4", "pass@8", "mean_completion_tokens",
            "seconds", "truncated_prompts");
  }

  @Test
  void resultsDependOnSeedAndIdOnlyAndOutputIsNotOverwritten(@TempDir Path dir) throws IOException {
    String[] records = {
        "{\"id\": \"a\", \"fields\": {\"prompt\": \"Once upon a time\"}, \"reference\": \"there was\"}",
        "{\"id\": \"b\", \"fields\": {\"prompt\": \"Tom had a red ball.\"}, \"reference\": \"He\"}",
        "{\"id\": \"c\", \"fields\": {\"prompt\": \"One day, Lily\"}, \"reference\": \"went\"}"};
    Path forward = write(dir, "forward.jsonl", records);
    Path backward = write(dir, "backward.jsonl", records[2], records[1], records[0]);
    Path all = dir.resolve("all");
    Path some = dir.resolve("some");
    String[] sampling = {"--samples", "3", "--max-new-tokens", "6", "--seed", "11"};
    assertThat(run(concat(new String[] {"eval", "--task", "jsonl", "--data", forward.toString(), "--out", all.toString()},
        sampling)).code()).isZero();
    assertThat(run(concat(new String[] {"eval", "--task", "jsonl", "--data", backward.toString(), "--limit", "2",
        "--out", some.toString()}, sampling)).code()).isZero();
    Map<String, JsonNode> byId = new HashMap<>();
    lines(all.resolve("results.jsonl")).forEach(n -> byId.put(n.get("id").asText(), n.get("completions")));
    List<JsonNode> limited = lines(some.resolve("results.jsonl"));
    assertThat(limited).extracting(n -> n.get("id").asText()).containsExactly("c", "b");
    for (JsonNode n : limited) {
      assertThat(n.get("completions")).isEqualTo(byId.get(n.get("id").asText()));
    }
    // the three samples of an example differ: sampling, not greedy
    JsonNode a = byId.get("a");
    assertThat(a.get(0).get("text").asText() + a.get(1).get("text").asText() + a.get(2).get("text").asText())
        .isNotEqualTo(a.get(0).get("text").asText().repeat(3));

    var again = run("eval", "--task", "jsonl", "--data", forward.toString(), "--out", all.toString());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains(all.toString()).contains("--overwrite");
    var greedy = run("eval", "--task", "jsonl", "--data", forward.toString(), "--max-new-tokens", "6", "--overwrite",
        "--out", all.toString());
    assertThat(greedy.code()).as(greedy.err()).isZero();
    JsonNode summary = JSON.readTree(all.resolve("summary.json").toFile());
    assertThat(summary.get("samples").asInt()).isEqualTo(1);
    assertThat(summary.has("pass@1")).isTrue();
    assertThat(summary.has("pass@2")).isFalse();
  }

  @Test
  void paraRevIsGradedAndBadDataNamesFileAndLine(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("pararev");
    var r = run("eval", "--task", "pararev", "--data",
        Fixtures.paraReval().toString(), "--limit", "2",
        "--max-prompt-length", "64", "--max-new-tokens", "4", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("2 of 2 prompts were cut to their last 64 tokens");
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.fieldNames()).toIterable()
        .containsExactly("task", "n", "samples", "rougeL", "length_ratio", "mean_completion_tokens", "seconds",
            "truncated_prompts");
    List<JsonNode> results = lines(out.resolve("results.jsonl"));
    double f1 = 0;
    for (JsonNode line : results) {
      assertThat(line.get("prompt_tokens").asInt()).isEqualTo(64);
      JsonNode c = line.get("completions").get(0);
      assertThat(c.get("correct").isNull()).isTrue();
      f1 += c.get("score").asDouble();
    }
    assertThat(summary.get("rougeL").asDouble()).isCloseTo(f1 / 2, within(1e-12));

    Path bad = write(dir, "bad.jsonl", "{\"id\": \"a\", \"fields\": {\"prompt\": \"x\"}, \"reference\": \"y\"}",
        "{\"id\": \"b\", \"fields\": {\"prompt\": 3}}");
    var failed = run("eval", "--task", "jsonl", "--data", bad.toString(), "--out", dir.resolve("bad").toString());
    assertThat(failed.code()).isEqualTo(1);
    assertThat(failed.err()).contains(bad.toString()).contains("line 2");
    assertThat(dir.resolve("bad")).doesNotExist();
    assertThat(run("eval", "--task", "nope", "--data", bad.toString(), "--out", dir.toString()).code()).isEqualTo(2);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
