package dro4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.cli.Main;
import dro4j.cli.SparkMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dro4j-spark's eval and filter in local mode against dro4j's own commands on the same inputs and
 * seed, with the bundled stories260K: identical files (timing fields aside), a task failed on purpose
 * and retried, and bad input reported as the in-process commands report it.
 */
class SparkCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] OPENINGS = {
    "Once upon a time, there was a little girl named Lily.", "Tim had a big red ball.",
    "One day, the sun was shining.", "The cat sat on the mat.", "Ben and Sue went to the park.",
    "Mom made a cake.", "The dog was happy.", "A bird sang in the tree."};
  static final String[] NEXT = {
    "She went to the park.", "He played with it every day.", "Lily and her mom went to the park.",
    "It was a sunny day.", "They played on the swings.", "It was very yummy.", "He wagged his tail.", "It was a pretty song."};

  @TempDir static Path dir;
  static Path examples;
  static Path previous;

  record Result(int code, String out, String err) {}

  static Result core(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    return new Result(Main.run(new PrintWriter(out), new PrintWriter(err), args), out.toString(), err.toString());
  }

  static Result spark(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    return new Result(SparkMain.run(new PrintWriter(out), new PrintWriter(err), args), out.toString(), err.toString());
  }

  static String[] args(String[] first, String... more) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  static String exampleLine(String id, String prompt, String reference) throws IOException {
    ObjectNode e = JSON.createObjectNode().put("id", id);
    e.putObject("fields").put("prompt", prompt);
    e.put("reference", reference);
    e.putObject("metadata").put("source", "test");
    return JSON.writeValueAsString(e);
  }

  @BeforeAll
  static void data() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < OPENINGS.length; i++) lines.add(exampleLine("e" + i, OPENINGS[i], NEXT[i]));
    examples = Files.write(dir.resolve("examples.jsonl"), lines);
    previous = Files.write(dir.resolve("previous.jsonl"), List.of(exampleLine("old0", "Old story.", "The end."),
        exampleLine("old1", "Another old story.", "The end."), exampleLine("e1", OPENINGS[1], NEXT[1])));
  }

  static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  static JsonNode summaryWithout(Path out, String timingField) throws IOException {
    ObjectNode s = (ObjectNode) JSON.readTree(out.resolve("summary.json").toFile());
    s.remove(timingField);
    return s;
  }

  static final String[] EVAL = {"eval", "--task", "jsonl", "--samples", "3", "--temperature", "1.0",
      "--max-new-tokens", "12", "--seed", "5"};

  @Test
  void evalOnSparkWritesWhatEvalWrites() throws IOException {
    Path coreOut = dir.resolve("eval-core");
    Path sparkOut = dir.resolve("eval-spark");
    Result c = core(args(EVAL, "--data", examples.toString(), "--out", coreOut.toString()));
    assertThat(c.code()).as(c.err()).isZero();
    // three partitions over two task slots: the partitioning is not the in-process order
    Result s = spark(args(EVAL, "--data", examples.toString(), "--out", sparkOut.toString(), "--master", "local[2]",
        "--partitions", "3"));
    assertThat(s.code()).as(s.err()).isZero();

    assertThat(read(sparkOut.resolve("results.jsonl"))).isEqualTo(read(coreOut.resolve("results.jsonl")));
    assertThat(read(coreOut.resolve("results.jsonl")).lines()).hasSize(OPENINGS.length);
    assertThat(summaryWithout(sparkOut, "seconds")).isEqualTo(summaryWithout(coreOut, "seconds"));
    ObjectNode printed = (ObjectNode) JSON.readTree(s.out());
    assertThat(printed.get("out").asText()).isEqualTo(sparkOut.toString());
    assertThat(printed.get("model").asText()).isEqualTo(JSON.readTree(c.out()).get("model").asText());
  }

  static final String[] FILTER = {"filter", "--task", "jsonl", "--reasoning-end", ".", "--samples", "4",
      "--max-new-tokens", "16", "--worst-rank-fraction", "0.25", "--rank-threshold", "40", "--drop-low-variation",
      "0.34", "--carry-forward", "0.5", "--seed", "3", "--round", "1"};

  @Test
  void filterOnSparkWritesWhatFilterWrites() throws IOException {
    Path coreOut = dir.resolve("filter-core");
    Path sparkOut = dir.resolve("filter-spark");
    Result c = core(args(FILTER, "--data", examples.toString(), "--previous", previous.toString(), "--out",
        coreOut.toString()));
    assertThat(c.code()).as(c.err()).isZero();
    Result s = spark(args(FILTER, "--data", examples.toString(), "--previous", previous.toString(), "--out",
        sparkOut.toString(), "--master", "local[2]"));
    assertThat(s.code()).as(s.err()).isZero();

    assertThat(read(sparkOut.resolve("kept.jsonl"))).isEqualTo(read(coreOut.resolve("kept.jsonl")));
    assertThat(read(sparkOut.resolve("dropped.jsonl"))).isEqualTo(read(coreOut.resolve("dropped.jsonl")));
    JsonNode summary = summaryWithout(coreOut, "timing");
    assertThat(summaryWithout(sparkOut, "timing")).isEqualTo(summary);
    // the round did decide: some kept, some dropped for low variation, part of --previous carried
    assertThat(summary.get("counts").get("kept").asInt()).isPositive();
    assertThat(summary.get("counts").get("dropped_low_variation").asInt()).isPositive();
    assertThat(summary.get("counts").get("carried_forward").asInt()).isPositive();
  }

  @Test
  void aTaskFailedOnPurposeIsRetriedAndTheOutputIsUnchanged() throws IOException {
    String[] eval = {"eval", "--task", FlakyTask.NAME, "--samples", "2", "--temperature", "1.0", "--max-new-tokens", "8",
        "--data", examples.toString()};
    Path coreOut = dir.resolve("flaky-core");
    Result c = core(args(eval, "--out", coreOut.toString()));
    assertThat(c.code()).as(c.err()).isZero();
    // local[2,2]: each task may be tried twice; the partition holding e4 fails on its first attempt
    Path sparkOut = dir.resolve("flaky-spark");
    Result s = spark(args(eval, "--out", sparkOut.toString(), "--master", "local[2,2]", "--partitions", "3"));
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(read(sparkOut.resolve("results.jsonl"))).isEqualTo(read(coreOut.resolve("results.jsonl")));
    assertThat(summaryWithout(sparkOut, "seconds")).isEqualTo(summaryWithout(coreOut, "seconds"));

    // plain local[2] never retries: the job fails, saying why, and writes nothing
    Path noRetry = dir.resolve("flaky-no-retry");
    Result f = spark(args(eval, "--out", noRetry.toString(), "--master", "local[2]", "--partitions", "3"));
    assertThat(f.code()).isEqualTo(1);
    assertThat(f.err()).contains("error: ", "the Spark job failed", "task attempt failed on purpose at example e4");
    assertThat(noRetry.resolve("results.jsonl")).doesNotExist();
  }

  @Test
  void badInputFailsTheJobAsTheCoreCommandsFail() throws IOException {
    // a line that is not JSON: read on the driver by the task's loader, so the same file and line
    List<String> lines = new ArrayList<>(Files.readAllLines(examples));
    lines.add(2, "{\"id\": \"broken\", ");
    Path broken = Files.write(dir.resolve("broken.jsonl"), lines);
    Result c = core(args(EVAL, "--data", broken.toString(), "--out", dir.resolve("broken-core").toString()));
    Result s = spark(args(EVAL, "--data", broken.toString(), "--out", dir.resolve("broken-spark").toString(),
        "--master", "local[2]"));
    assertThat(c.code()).isEqualTo(1);
    assertThat(errorLine(c)).contains(broken.toString(), "line 3");
    assertThat(s.code()).isEqualTo(1);
    assertThat(errorLine(s)).isEqualTo(errorLine(c));

    // an example its template cannot fill: found on an executor, reported with the file as eval reports it
    lines = new ArrayList<>(Files.readAllLines(examples));
    ObjectNode e = JSON.createObjectNode().put("id", "no-prompt");
    e.putObject("fields").put("question", "Why?").put("context", "None.");
    e.put("reference", "Because.");
    lines.add(5, JSON.writeValueAsString(e));
    Path unfillable = Files.write(dir.resolve("unfillable.jsonl"), lines);
    c = core(args(FILTER, "--data", unfillable.toString(), "--previous", previous.toString(), "--out",
        dir.resolve("unfillable-core").toString()));
    s = spark(args(FILTER, "--data", unfillable.toString(), "--previous", previous.toString(), "--out",
        dir.resolve("unfillable-spark").toString(), "--master", "local[2]"));
    assertThat(c.code()).isEqualTo(1);
    assertThat(errorLine(c)).contains(unfillable.toString(), "no-prompt", "needs field 'prompt'");
    assertThat(s.code()).isEqualTo(1);
    assertThat(errorLine(s)).isEqualTo(errorLine(c));
  }

  static String errorLine(Result r) {
    return r.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("(no error line in: " + r.err() + ")");
  }
}
