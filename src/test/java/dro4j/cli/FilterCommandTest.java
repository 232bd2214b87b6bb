package dro4j.cli;

import static dro4j.cli.RewardCommandTest.run;
import static dro4j.cli.RewardCommandTest.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import dro4j.task.Tasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dro4j filter} on the bundled model: the three files, their fields, rounds and errors. */
class FilterCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String LILY = "Once upon a time, there was a little girl named Lily.";

  static String example(String id, String prompt, String reference) {
    return "{\"id\": \"" + id + "\", \"fields\": {\"prompt\": \"" + prompt + "\"}, \"reference\": \"" + reference
        + "\", \"metadata\": {\"source\": \"test\"}}";
  }

  static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  static String[] args(Path data, Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("filter", "--data", data.toString(), "--task", "jsonl",
        "--reasoning-end", ".", "--samples", "8", "--max-new-tokens", "48", "--worst-rank-fraction", "0.25",
        "--rank-threshold", "40", "--drop-low-variation", "0", "--seed", "7", "--out", out.toString()));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  @Test
  void writesKeptDroppedAndSummaryAndFeedsTheNextRound(@TempDir Path dir) throws IOException {
    Path data = write(dir, "data.jsonl",
        example("rare", LILY, "Zyx qvq 7%^ Kjw Xq."),
        example("finqa", "The revenue in 2019 was", "$ 1,284.73 million, up 17.4% from $ 1,094.35 million in 2018"),
        example("lily", LILY, "She went to the park."),
        example("tim", "Tim had a big red ball.", "He played with it every day."));
    Path out = dir.resolve("round0");
    RewardCommandTest.Result r = run(args(data, out));
    assertThat(r.code()).as(r.err()).isZero();

    List<JsonNode> kept = lines(out.resolve("kept.jsonl"));
    List<JsonNode> dropped = lines(out.resolve("dropped.jsonl"));
    assertThat(kept).extracting(n -> n.get("id").asText()).containsExactly("lily", "tim");
    assertThat(dropped).extracting(n -> n.get("id").asText()).containsExactly("rare", "finqa");
    JsonNode lily = kept.get(0);
    assertThat(lily.get("fields").get("prompt").asText()).isEqualTo(LILY);
    assertThat(lily.get("reference").asText()).isEqualTo("She went to the park.");
    assertThat(lily.get("metadata").get("source").asText()).isEqualTo("test");
    JsonNode f = lily.get("filter");
    assertThat(f.get("decision").asText()).isEqualTo("kept");
    assertThat(f.get("worst_rank_averages")).hasSize(8);
    double best = Double.POSITIVE_INFINITY;
    for (JsonNode w : f.get("worst_rank_averages")) {
      best = Math.min(best, w.asDouble());
    }
    assertThat(f.get("best_worst_rank_average").asDouble()).isEqualTo(best).isLessThanOrEqualTo(40);
    assertThat(f.get("max_sigma").asDouble()).isPositive();
    assertThat(f.get("reference_tokens").asInt()).isPositive();
    for (JsonNode d : dropped) {
      assertThat(d.get("filter").get("decision").asText()).isEqualTo("dropped_out_of_reach");
      assertThat(d.get("filter").get("best_worst_rank_average").asDouble()).isGreaterThan(40);
    }

    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(JSON.readTree(r.out())).isEqualTo(summary); // printed as written
    assertThat(summary.get("candidates").asInt()).isEqualTo(4);
    assertThat(summary.get("training_set").asInt()).isEqualTo(2);
    assertThat(summary.get("counts").toString()).isEqualTo(
        "{\"kept\":2,\"dropped_out_of_reach\":2,\"dropped_low_variation\":0,\"carried_forward\":0}");
    JsonNode t = summary.get("thresholds");
    assertThat(t.get("samples_per_prompt").asInt()).isEqualTo(8);
    assertThat(t.get("worst_rank_fraction").asDouble()).isEqualTo(0.25);
    assertThat(t.get("rank_threshold").asDouble()).isEqualTo(40);
    assertThat(t.get("low_variation_drop_fraction").asDouble()).isZero();
    assertThat(t.get("carry_forward_fraction").asDouble()).isEqualTo(0.1);
    assertThat(summary.get("sampling").get("reasoning_end").asText()).isEqualTo(".");
    assertThat(summary.get("sampling").get("template").asText()).isEqualTo("plain");
    assertThat(summary.get("sampling").get("samples").asInt()).isEqualTo(32);
    assertThat(summary.get("timing").get("filter_s").asDouble()).isPositive();
    assertThat(summary.get("model").asText()).contains("stories260K");

    // Round 1: kept.jsonl is the previous set; the candidates (the first two lines) are out of reach.
    Path out1 = dir.resolve("round1");
    RewardCommandTest.Result r1 = run(args(data, out1, "--limit", "2", "--round", "1",
        "--previous", out.resolve("kept.jsonl").toString(), "--carry-forward", "1"));
    assertThat(r1.code()).as(r1.err()).isZero();
    List<JsonNode> carried = lines(out1.resolve("kept.jsonl"));
    assertThat(carried).extracting(n -> n.get("id").asText()).containsExactlyInAnyOrder("lily", "tim");
    for (JsonNode c : carried) {
      assertThat(c.get("filter").toString()).isEqualTo("{\"decision\":\"carried_forward\"}");
    }
    assertThat(lines(out1.resolve("dropped.jsonl"))).hasSize(2);
    JsonNode summary1 = JSON.readTree(out1.resolve("summary.json").toFile());
    assertThat(summary1.get("counts").get("carried_forward").asInt()).isEqualTo(2);
    assertThat(summary1.get("previous_examples").asInt()).isEqualTo(2);
  }

  @Test
  void readsEveryTaskFormat(@TempDir Path dir) throws IOException {
    Path gsm8k = Fixtures.data("gsm8k", "test.jsonl");
    RewardCommandTest.Result r = run("filter", "--data", gsm8k.toString(), "--task", "gsm8k", "--limit", "2",
        "--samples", "2", "--max-new-tokens", "4", "--out", dir.resolve("g").toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode summary = JSON.readTree(dir.resolve("g/summary.json").toFile());
    assertThat(summary.get("candidates").asInt()).isEqualTo(2);
    assertThat(summary.get("sampling").get("template").asText()).isEqualTo("math");
    assertThat(summary.get("sampling").get("reasoning_end").asText()).isEqualTo("</think>");
    List<JsonNode> all = new ArrayList<>(lines(dir.resolve("g/kept.jsonl")));
    all.addAll(lines(dir.resolve("g/dropped.jsonl")));
    assertThat(all).extracting(n -> n.get("id").asText()).containsExactlyInAnyOrder("gsm8k/test/0", "gsm8k/test/1");
    assertThat(all.get(0).get("metadata").get("source").asText()).isEqualTo("gsm8k");

    // the other formats go through the same loaders (a FinQA prompt is ~2000 stories260K tokens: not sampled here)
    assertThat(Tasks.byName("finqa").load(Fixtures.data("finqa", "example_finqa.json"))).hasSize(1);
    assertThat(Tasks.byName("pararev").load(Fixtures.paraReval())).hasSize(129);
    assertThat(Tasks.byName("svamp").load(Fixtures.data("svamp", "SVAMP.json")).get(0).id()).startsWith("svamp/");
    assertThat(Tasks.byName("finqa").template().name()).isEqualTo("finqa");
    assertThat(Tasks.byName("pararev").template().name()).isEqualTo("pararev");
    assertThat(Tasks.byName("svamp").template().name()).isEqualTo("math");
    assertThat(Tasks.byName("jsonl").template().name()).isEqualTo("plain");
  }

  @Test
  void malformedInputNamesFileAndLine(@TempDir Path dir) throws IOException {
    Path data = write(dir, "bad.jsonl",
        example("lily", LILY, "She went to the park."),
        "{\"id\": \"x\", \"fields\": {\"prompt\": \"p\"}}");
    RewardCommandTest.Result r = run(args(data, dir.resolve("out")));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).doesNotContain("\n").contains("bad.jsonl").contains("line 2").contains("reference");
    assertThat(dir.resolve("out")).doesNotExist();

    Path gsm = write(dir, "gsm.jsonl", "{\"question\": \"q\", \"answer\": \"#### 4\"}", "{\"question\": \"q\"");
    RewardCommandTest.Result g = run("filter", "--data", gsm.toString(), "--task", "gsm8k", "--out", dir.resolve("o").toString());
    assertThat(g.code()).isEqualTo(1);
    assertThat(g.err()).contains("gsm.jsonl").contains("line 2");

    Path noPrompt = write(dir, "noprompt.jsonl", "{\"id\": \"q\", \"fields\": {\"question\": \"Why?\", \"context\": \"-\"}, \"reference\": \"x\"}");
    RewardCommandTest.Result p = run(args(noPrompt, dir.resolve("o2")));
    assertThat(p.code()).isEqualTo(1);
    assertThat(p.err()).contains("noprompt.jsonl").contains("needs field 'prompt'");
  }

  @Test
  void usageAndHelp(@TempDir Path dir) throws IOException {
    Path data = write(dir, "d.jsonl", example("lily", LILY, "She went to the park."));
    String out = dir.resolve("o").toString();
    assertThat(run("filter", "--data", data.toString(), "--task", "csv", "--out", out).code()).isEqualTo(2);
    assertThat(run("filter", "--data", data.toString(), "--task", "jsonl").code()).isEqualTo(2);
    assertThat(run("filter", "--data", data.toString(), "--task", "jsonl", "--out", out, "--carry-forward", "0.5").code())
        .isEqualTo(2);
    RewardCommandTest.Result badSamples = run("filter", "--data", data.toString(), "--task", "jsonl", "--out", out, "--samples", "1");
    assertThat(badSamples.code()).isEqualTo(1);
    assertThat(badSamples.err()).contains("samples_per_prompt must be >= 2");
    RewardCommandTest.Result help = run("filter", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("kept.jsonl").contains("dropped.jsonl").contains("summary.json")
        .contains("best_worst_rank_average").contains("worst_rank_averages").contains("--rank-threshold");
  }
}
