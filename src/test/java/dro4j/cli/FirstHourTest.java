package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.task.PromptRenderer;
import dro4j.task.Tasks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's first hour (issue 12), command by command as a user types them: no silent demo settings,
 * no mixed runs, TRL's data formats, progress and warnings in filter, --print-config round trips,
 * paths and bundled names, TRL conventions in train, and the smaller usage fixes.
 */
class FirstHourTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STORIES = CliTest.STORIES;
  private static final String GSM8K = Fixtures.data("gsm8k", "test.jsonl").toString();
  private static final String[] TINY = {"--max_steps", "2", "--num_generations", "2", "--max_completion_length", "4"};

  private static CliTest.Result run(String... args) {
    return CliTest.run(args);
  }

  private static String[] concat(String[] a, String... b) {
    return TrainCommandTest.concat(a, b);
  }

  /** TRL's standard and conversational formats and dro4j's id-less {id?, prompt, reference}, in one file. */
  private static Path trlData(Path dir) throws IOException {
    return Files.writeString(dir.resolve("trl.jsonl"), String.join("\n",
        "{\"prompt\": \"Tom had a red ball. What color was the ball?\", \"solution\": \"red\", \"level\": 1}",
        "{\"prompt\": [{\"role\": \"user\", \"content\": \"Sam had a blue kite. What color was the kite?\"}], \"answer\": \"blue\"}",
        "{\"id\": \"q3\", \"prompt\": \"Mia had a green hat. What color was the hat?\", \"reference\": \"green\"}",
        ""));
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) if (!l.isBlank()) out.add(JSON.readTree(l));
    return out;
  }

  /** The YAML of --print-config without its comment lines. */
  private static String body(String printed) {
    return Arrays.stream(printed.split("\n")).filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
  }

  @Test
  void withoutConfigTheDemoRunsOnlyWhenNoModelDatasetOrTaskIsGiven(@TempDir Path dir) throws IOException {
    Path data = trlData(dir);
    CliTest.Result demo = run("train", "--print-config");
    assertThat(demo.code()).as(demo.err()).isZero();
    assertThat(demo.out()).contains("demo job bundled:demo-train", "learning_rate: 1.0E-4", "task: finqa_program");

    CliTest.Result own = run("train", "--model", STORIES, "--dataset", data.toString(), "--print-config");
    assertThat(own.out()).contains("learning_rate: 1.0E-6", "rewards: []", "output_dir: trainer_output\n")
        .doesNotContain("finqa", "demo job");
    CliTest.Result noRewards = run("train", "--model", STORIES, "--dataset", data.toString(), "--max_steps", "1");
    assertThat(noRewards.code()).isEqualTo(2);
    assertThat(noRewards.err()).contains("no rewards", "--task gsm8k").doesNotContain("Usage:");
    CliTest.Result noData = run("train", "--task", "gsm8k", "--output_dir", dir.resolve("none").toString());
    assertThat(noData.err()).contains("task gsm8k needs a dataset");
    CliTest.Result sft = run("sft", "--dataset", data.toString(), "--print-config");
    assertThat(sft.out()).contains("learning_rate: 2.0E-5", "output_dir: trainer_output\n").doesNotContain("0.003");

    // GSM8K's own test.jsonl, no conversion: the task's default reward, the defaults, sources named
    Path out = dir.resolve("gsm8k-run");
    CliTest.Result gsm = run(concat(new String[] {"train", "--model", STORIES, "--task", "gsm8k", "--dataset", GSM8K,
        "--per_step_prompts", "1", "--output_dir", out.toString()}, TINY));
    assertThat(gsm.code()).as(gsm.err()).isZero();
    assertThat(gsm.out()).contains("settings: flags (output_dir, model, dataset, task, max_steps, per_step_prompts,",
        "defaults (TRL/transformers) for the other", "rewards [numeric_match]", "PyTorch threads ", "DRO4J_THREADS");
  }

  @Test
  void printConfigFedBackWithConfigReproducesTheJob(@TempDir Path dir) throws IOException {
    for (String command : List.of("train", "sft")) {
      CliTest.Result printed = run(command, "--learning_rate", "3e-4", "--system_prompt", "Answer: {x}: yes # no",
          "--output_dir", dir.resolve("o").toString(), "--print-config");
      assertThat(printed.code()).as(printed.err()).isZero();
      Path job = Files.writeString(dir.resolve(command + ".yaml"), printed.out());
      CliTest.Result again = run(command, "--config", job.toString(), "--print-config");
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(body(again.out())).isEqualTo(body(printed.out())).contains("learning_rate: 3.0E-4");
      assertThat(again.out()).contains("job file " + job);
      // the bundled demo job by name is the job that runs without --config
      assertThat(body(run(command, "--config", "bundled:demo-" + command, "--print-config").out()))
          .isEqualTo(body(run(command, "--print-config").out()));
      // help points to --print-config instead of embedding (and wrapping) the YAML; each default once
      String help = run(command, "--help").out();
      assertThat(help).contains("--print-config", "bundled:demo-" + command).doesNotContain("words: [ball]",
          "Default: trainer_output", "Default: linear", "Default: 500");
    }
  }

  @Test
  void anOutputDirHoldingARunIsRefusedUnlessOverwriteOrResume(@TempDir Path dir) throws IOException {
    Path job = Files.writeString(dir.resolve("job.yaml"), "rewards: [{name: keyword, words: [ball]}]\nsave_steps: 1\n");
    Path out = dir.resolve("out");
    String[] base = concat(new String[] {"train", "--config", job.toString(), "--output_dir", out.toString(),
        "--per_step_prompts", "1"}, TINY);
    // a run that fails validation leaves nothing behind
    CliTest.Result bad = run(concat(base, "--dataset", dir.resolve("missing.jsonl").toString()));
    assertThat(bad.code()).as(bad.err()).isEqualTo(1);
    assertThat(bad.err()).contains("no such data file");
    assertThat(out.resolve("metrics.jsonl")).doesNotExist();

    assertThat(run(base).code()).isZero();
    assertThat(out.resolve("checkpoint-2")).isDirectory();
    CliTest.Result again = run(concat(base, "--max_steps", "1"));
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("already holds a run", "checkpoint-1, checkpoint-2", "metrics.jsonl", "--resume",
        "--overwrite_output_dir");
    assertThat(out.resolve("checkpoint-2")).isDirectory();
    assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(2);

    // overwriting a job that then fails its checks loses nothing
    assertThat(run(concat(base, "--overwrite_output_dir", "--dataset", dir.resolve("missing.jsonl").toString())).code())
        .isEqualTo(1);
    assertThat(out.resolve("checkpoint-2")).isDirectory();
    CliTest.Result overwrite = run(concat(base, "--max_steps", "1", "--overwrite_output_dir"));
    assertThat(overwrite.code()).as(overwrite.err()).isZero();
    assertThat(overwrite.out()).contains("overwrite_output_dir: deleted the earlier run's checkpoint-1, checkpoint-2");
    assertThat(out.resolve("checkpoint-2")).doesNotExist();
    assertThat(out.resolve("checkpoint-1")).isDirectory();
    assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(1);
    // --resume wins over overwrite_output_dir (the demo jobs set it): the run is continued
    CliTest.Result resumed = run(concat(base, "--resume", "--overwrite_output_dir"));
    assertThat(resumed.out()).as(resumed.err()).contains("resuming from " + out.resolve("checkpoint-1"), "done: 2 steps");
    assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(2);
  }

  @Test
  void jsonlReadsTrlStandardAndConversationalFormatsAndGsm8kReadsItsOwnFile(@TempDir Path dir) throws IOException {
    Path data = trlData(dir);
    Path out = dir.resolve("eval");
    CliTest.Result r = run("eval", "--task", "jsonl", "--data", data.toString(), "--model",
        Fixtures.fixture("tiny-qwen2").toString(), "--max-new-tokens", "2", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> results = lines(out.resolve("results.jsonl"));
    assertThat(results).extracting(n -> n.get("id").asText()).containsExactly("trl:1", "trl:2", "q3");
    assertThat(results).extracting(n -> n.get("reference").asText()).containsExactly("red", "blue", "green");

    List<Example> examples = Tasks.byName("jsonl").load(data);
    assertThat(examples.get(0).metadata()).containsEntry("level", 1);
    try (LanguageModel lm = LanguageModel.load(Fixtures.fixture("tiny-qwen2"))) {
      PromptRenderer prompts = PromptRenderer.forTask(lm, Tasks.byName("jsonl"), null, null, 512);
      assertThat(prompts.text(examples.get(1))).contains("<|im_start|>user\nSam had a blue kite.")
          .endsWith("<|im_start|>assistant\n");
    }
    // GSM8K's own file: through --task gsm8k as it is; through jsonl, an error that says so
    CliTest.Result gsm = run("eval", "--task", "gsm8k", "--data", GSM8K, "--limit", "2", "--max-new-tokens", "2",
        "--out", dir.resolve("gsm").toString());
    assertThat(gsm.code()).as(gsm.err()).isZero();
    CliTest.Result wrong = run("eval", "--task", "jsonl", "--data", GSM8K, "--out", dir.resolve("x").toString());
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrong.err()).contains("line 1", "read it with --task gsm8k");
  }

  @Test
  void filterShowsProgressAndWarnsWhenARoundKeepsFewExamples(@TempDir Path dir) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    CliTest.Result r;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      // progress comes after each decode batch: 16 rows, 8 examples of 2 samples
      r = run("filter", "--task", "gsm8k", "--data", GSM8K, "--limit", "10", "--samples", "2", "--max-new-tokens", "4",
          "--out", dir.resolve("round0").toString());
    } finally {
      System.setErr(original);
    }
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("filter 8/10", "eta", "filter 10/10");
    assertThat(r.err()).contains("warning: this round keeps none of the 10 examples", "10 out of reach");
  }

  @Test
  void pathsResolveAgainstTheWorkingDirectoryAndBundledNamesNeverDo(@TempDir Path dir) throws IOException {
    CliTest.Result missing = run("train", "--config", "no-such-job.yaml");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains(Path.of("no-such-job.yaml").toAbsolutePath().toString(), "no such job file",
        "resolved against the working directory");
    CliTest.Result folder = run("eval", "--task", "jsonl", "--data", dir.toString(), "--out", dir.resolve("o").toString());
    assertThat(folder.err()).contains(dir.toAbsolutePath().toString(), "is a directory");
    CliTest.Result unknown = run("train", "--config", "bundled:nope");
    assertThat(unknown.err()).contains("bundled:demo-sft", "bundled:demo-train");
    Path job = Files.writeString(dir.resolve("job.yaml"), "dataset: bundled:sft-colors\nmax_steps: 1\n"
        + "per_device_train_batch_size: 2\noutput_dir: " + dir.resolve("sft") + "\n");
    CliTest.Result sft = run("sft", "--config", job.toString());
    assertThat(sft.code()).as(sft.err()).isZero();
    CliTest.Result data = run("sft", "--config", job.toString(), "--dataset", "bundled:colors", "--overwrite_output_dir");
    assertThat(data.err()).contains("no bundled data set", "bundled:keyword-prompts, bundled:sft-colors");
  }

  @Test
  void trainFollowsTrlConventions(@TempDir Path dir) throws IOException {
    Path job = Files.writeString(dir.resolve("job.yaml"), String.join("\n", "rewards: [{name: keyword, words: [ball]}]",
        "per_device_train_batch_size: 4", "report_to: tensorboard", "log_completions: true", ""));
    Path out = dir.resolve("out");
    String[] base = concat(new String[] {"train", "--config", job.toString(), "--output_dir", out.toString()}, TINY);
    CliTest.Result r = run(base);
    assertThat(r.code()).as(r.err()).isZero();
    // per_device_train_batch_size 4 * gradient_accumulation_steps 1 / num_generations 2 = 2 prompts per step
    assertThat(r.out()).contains("2 steps x 2 prompts x 2 rollouts", "completions of step 1 (4 of 4", "prompt ", "advantage");
    assertThat(run(concat(base, "--per_device_train_batch_size", "3", "--print-config")).err())
        .contains("must be a multiple of num_generations");
    assertThat(run(concat(base, "--per_step_prompts", "3", "--print-config")).err())
        .contains("per_step_prompts 3 disagrees with per_device_train_batch_size 4");

    List<JsonNode> metrics = lines(out.resolve("metrics.jsonl"));
    JsonNode state = JSON.readTree(out.resolve("checkpoint-2").resolve("trainer_state.json").toFile());
    assertThat(state.get("epoch").asDouble()).isEqualTo(metrics.get(1).get("epoch").asDouble());
    assertThat(state.get("log_history")).hasSize(2);
    assertThat(state.get("log_history").get(1).get("step").asLong()).isEqualTo(2);
    assertThat(state.get("log_history").get(1).get("reward").asDouble()).isEqualTo(metrics.get(1).get("reward").asDouble());
    assertThat(state.get("log_history").get(1).has("time/step")).isFalse(); // timings stay in metrics.jsonl

    List<JsonNode> completions = lines(out.resolve("completions.jsonl"));
    assertThat(completions).hasSize(8);
    JsonNode first = completions.get(0);
    assertThat(first.get("step").asLong()).isEqualTo(1);
    assertThat(first.has("prompt") && first.has("completion") && first.get("advantage").isNumber()).isTrue();
    assertThat(first.get("rewards").has("keyword")).isTrue();

    List<float[]> rewards = new ArrayList<>();
    try (Stream<Path> files = Files.list(out.resolve("runs"))) {
      for (Path events : files.toList()) rewards.addAll(scalars(events, "reward"));
    }
    assertThat(rewards).hasSize(2);
    assertThat(rewards.get(1)[0]).isEqualTo(2f);
    assertThat((double) rewards.get(1)[1]).isCloseTo(metrics.get(1).get("reward").asDouble(), org.assertj.core.data.Offset.offset(1e-6));

    // a resumed run continues log_history
    CliTest.Result resumed = run(concat(base, "--resume", "--max_steps", "3"));
    assertThat(resumed.code()).as(resumed.err()).isZero();
    JsonNode state3 = JSON.readTree(out.resolve("checkpoint-3").resolve("trainer_state.json").toFile());
    assertThat(state3.get("log_history")).extracting(n -> n.get("step").asLong()).containsExactly(1L, 2L, 3L);
  }

  /**
   * The (step, value) pairs of a TensorBoard scalar in an event file: TFRecords (length, masked CRC-32C,
   * data, masked CRC-32C; both checked) of Event protos, read field by field.
   */
  static List<float[]> scalars(Path file, String tag) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    List<float[]> out = new ArrayList<>();
    boolean sawVersion = false;
    while (in.hasRemaining()) {
      byte[] header = new byte[8];
      in.get(header);
      assertThat(in.getInt()).isEqualTo(masked(header));
      byte[] data = new byte[(int) ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong()];
      in.get(data);
      assertThat(in.getInt()).isEqualTo(masked(data));
      ByteBuffer event = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      long step = 0;
      while (event.hasRemaining()) {
        int key = (int) varint(event);
        switch (key) {
          case 0x09 -> event.getDouble();
          case 0x10 -> step = varint(event);
          case 0x1A -> {
            sawVersion |= new String(bytes(event), StandardCharsets.UTF_8).equals("brain.Event:2");
          }
          case 0x2A -> {
            ByteBuffer summary = ByteBuffer.wrap(bytes(event)).order(ByteOrder.LITTLE_ENDIAN);
            while (summary.hasRemaining()) {
              assertThat(varint(summary)).isEqualTo(0x0A);
              ByteBuffer value = ByteBuffer.wrap(bytes(summary)).order(ByteOrder.LITTLE_ENDIAN);
              assertThat(varint(value)).isEqualTo(0x0A);
              String name = new String(bytes(value), StandardCharsets.UTF_8);
              assertThat(varint(value)).isEqualTo(0x15);
              float v = value.getFloat();
              if (name.equals(tag)) out.add(new float[] {step, v});
            }
          }
          default -> throw new AssertionError("unexpected field key " + key);
        }
      }
    }
    assertThat(sawVersion).isTrue();
    return out;
  }

  private static int masked(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  private static long varint(ByteBuffer b) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b.get();
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) return v;
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[(int) varint(b)];
    b.get(out);
    return out;
  }

  /**
   * The README's "Using your own model and data" commands, as written: the bundled model stands in for
   * {@code $M}, GSM8K's own test.jsonl for the user's files, and the output folders go to a temporary one.
   */
  @Test
  void readmeOwnModelAndDataSectionWorksAsWritten(@TempDir Path dir) throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    int section = readme.indexOf("## Using your own model and data");
    int start = readme.indexOf("```\n", section) + 4;
    String block = readme.substring(start, readme.indexOf("```", start)).replace("\\\n", " ");
    List<String> commands = block.lines().filter(l -> l.startsWith("java -jar target/dro4j.jar ")).toList();
    assertThat(commands).hasSize(2);
    for (String command : commands) {
      String line = command.replace("$M", STORIES).replace("gsm8k/train.jsonl", "@DATA@").replace("gsm8k/test.jsonl", "@DATA@")
          .replace("@DATA@", GSM8K).replace("my-run", dir.resolve("my-run").toString()).replace("my-eval", dir.resolve("my-eval").toString());
      String[] args = line.substring("java -jar target/dro4j.jar ".length()).trim().split("\\s+");
      CliTest.Result r = run(args);
      assertThat(r.code()).as(line + "\n" + r.err()).isZero();
    }
    assertThat(dir.resolve("my-eval").resolve("summary.json")).isRegularFile();
  }

  @Test
  void smallerUsageFixes(@TempDir Path dir) throws IOException {
    assertThat(run("agreement").code()).isEqualTo(2);
    assertThat(run("agreement", "--heuristic", "longest").code()).isEqualTo(2);
    Path judge = Files.writeString(dir.resolve("judge.json"), "{\"name\": \"pairwise_judgee\"}");
    CliTest.Result unknownJudge = run("agreement", "--judge-config", judge.toString());
    assertThat(unknownJudge.code()).isEqualTo(2);
    assertThat(unknownJudge.err()).contains("unknown reward 'pairwise_judgee'", "judge.json");
    CliTest.Result agreement = run("agreement", "--heuristic", "longer");
    assertThat(agreement.code()).as(agreement.err()).isZero();
    assertThat(agreement.out()).contains("50.0% by chance", "by always naming the revision the annotators preferred");
    assertThat(run("agreement", "--heuristic", "longer", "--json").out()).contains("\"chance\":0.5", "\"majority_class\":");

    Path in = Files.writeString(dir.resolve("in.jsonl"), "{\"prompt\": \"Once upon a time\", \"rollouts\": [\"a\", \"b\"]}\n");
    assertThat(run("reward", "--input", in.toString(), "--reward", "exact_matc").code()).isEqualTo(2);
    CliTest.Result one = run("reward", "--list", "r3");
    assertThat(one.out()).startsWith("r3").doesNotContain("numeric_match");
    CliTest.Result r3 = run("reward", "--input", in.toString(), "--reward", "r3");
    assertThat(r3.code()).as(r3.err()).isZero();
    assertThat(r3.err()).contains("warning: ", "line 1 has no \"reference\"");

    CliTest.Result tokens = run("generate", "--prompt", "Once", "--max-new-tokens", "-1");
    assertThat(tokens.err()).contains("max_new_tokens").doesNotContain("maxNewTokens");
  }
}
