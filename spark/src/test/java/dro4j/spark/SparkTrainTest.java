package dro4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollout_workers: spark}: dro4j-spark's train at {@code local[2]} writes the checkpoint that
 * {@code dro4j train} writes in-process with the same job and seed (the suite runs both at one PyTorch
 * thread, DRO4J_THREADS=1 in the pom): the LoRA adapter and the optimizer state byte for byte, and the
 * trainer state apart from timings and the rollout_workers setting itself. The job trains stories260K with
 * LoRA on R3 (scored on the executors from each group's own KV cache) plus a keyword reward, with a KL
 * penalty (the executors' reference policy is their base), over three steps of three groups; the Spark
 * run, resumed from its step-2 checkpoint, writes that final checkpoint again.
 */
class SparkTrainTest {
  @TempDir static Path dir;
  static Path data;
  static Path job;

  @BeforeAll
  static void job() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      lines.add(SparkCommandsTest.exampleLine("s" + i, SparkCommandsTest.OPENINGS[i], SparkCommandsTest.NEXT[i]));
    }
    data = Files.write(dir.resolve("train.jsonl"), lines);
    job = writeJob("job.yaml", 3,
        "  - name: r3",
        "  - name: keyword",
        "    weight: 0.5",
        "    words: [park]");
  }

  /** The LoRA job on the four stories, for {@code steps} steps (a checkpoint every 2), with these rewards: lines. */
  static Path writeJob(String file, int steps, String... rewards) throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "model: bundled:stories260K",
        "task: jsonl",
        "dataset: " + data,
        "use_peft: true",
        "lora_r: 4",
        "lora_alpha: 8",
        "per_step_prompts: 3",
        "num_generations: 4",
        "max_completion_length: 10",
        "temperature: 1.0",
        "learning_rate: 0.01",
        "beta: 0.04",
        "max_steps: " + steps,
        "save_steps: 2",
        "seed: 11",
        "rewards:"));
    lines.addAll(List.of(rewards));
    lines.add("");
    return Files.writeString(dir.resolve(file), String.join("\n", lines));
  }

  @Test
  void sparkRolloutsGiveTheInProcessCheckpoint() throws IOException {
    Path local = dir.resolve("local");
    Path spark = dir.resolve("spark");
    SparkCommandsTest.Result c = SparkCommandsTest.core("train", "--config", job.toString(), "--output_dir", local.toString());
    assertThat(c.code()).as(c.err()).isZero();
    SparkCommandsTest.Result s = SparkCommandsTest.spark("train", "--config", job.toString(), "--output_dir",
        spark.toString(), "--rollout_workers", "spark", "--master", "local[2]");
    assertThat(s.code()).as(s.err()).isZero();
    assertThat(s.err()).contains("each step ships the LoRA adapter");

    Path a = local.resolve("checkpoint-3");
    Path b = spark.resolve("checkpoint-3");
    assertSameCheckpoint(a, b);
    // the adapter moved and the rewards were scored: the comparison is not between two untouched runs
    JsonNode last = withoutTimings(a.resolve("trainer_state.json")).get("log_history").get(2);
    assertThat(last.get("grad_norm").asDouble()).isPositive();
    assertThat(last.get("rewards/r3/mean").asDouble()).isNegative();

    // continued from checkpoint-2 on Spark: the same last step
    try (var files = Files.walk(b)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    SparkCommandsTest.Result r = SparkCommandsTest.spark("train", "--config", job.toString(), "--output_dir",
        spark.toString(), "--rollout_workers", "spark", "--master", "local[2]", "--resume");
    assertThat(r.code()).as(r.err()).isZero();
    assertSameCheckpoint(a, b);
  }

  @Test
  void aRolloutTaskFailedOnPurposeIsRetriedAndTheCheckpointIsUnchanged() throws IOException {
    // a reward class of this build, named in the job: in-process it never fails
    Path attempts = dir.resolve("flaky-attempts.txt");
    Path flakyJob = writeJob("flaky.yaml", 2,
        "  - name: r3",
        "  - name: " + FlakyReward.class.getName(),
        "    words: [park]",
        "    fails_at: s1",
        "    attempts: " + attempts);
    Path local = dir.resolve("flaky-local");
    SparkCommandsTest.Result c = SparkCommandsTest.core("train", "--config", flakyJob.toString(), "--output_dir",
        local.toString());
    assertThat(c.code()).as(c.err()).isZero();
    assertThat(attempts).doesNotExist();
    // local[2,2]: each task may be tried twice; the task sampling s1's group fails on its first attempt
    Path spark = dir.resolve("flaky-spark");
    SparkCommandsTest.Result s = SparkCommandsTest.spark("train", "--config", flakyJob.toString(), "--output_dir",
        spark.toString(), "--rollout_workers", "spark", "--master", "local[2,2]");
    assertThat(s.code()).as(s.err()).isZero();
    assertSameCheckpoint(local.resolve("checkpoint-2"), spark.resolve("checkpoint-2"));
    JsonNode last = withoutTimings(local.resolve("checkpoint-2").resolve("trainer_state.json")).get("log_history").get(1);
    assertThat(last.get("grad_norm").asDouble()).isPositive();
    // every step that sampled s1 failed once and was retried, once
    List<String> tries = Files.readAllLines(attempts);
    assertThat(tries).isNotEmpty().contains("0", "1");
    assertThat(tries.stream().filter("0"::equals).count()).isEqualTo(tries.stream().filter("1"::equals).count());
    assertThat(tries).containsOnly("0", "1");
  }

  static void assertSameCheckpoint(Path a, Path b) throws IOException {
    assertThat(Files.readAllBytes(b.resolve("adapter_model.safetensors")))
        .isEqualTo(Files.readAllBytes(a.resolve("adapter_model.safetensors")));
    assertThat(Files.readAllBytes(b.resolve("optimizer.safetensors")))
        .isEqualTo(Files.readAllBytes(a.resolve("optimizer.safetensors")));
    JsonNode stateA = withoutTimings(a.resolve("trainer_state.json"));
    JsonNode stateB = withoutTimings(b.resolve("trainer_state.json"));
    assertThat(stateB).isEqualTo(stateA);
  }

  @Test
  void sparkRolloutsNeedLora() {
    SparkCommandsTest.Result s = SparkCommandsTest.spark("train", "--config", job.toString(), "--output_dir",
        dir.resolve("no-peft").toString(), "--rollout_workers", "spark", "--use_peft", "false", "--master", "local[1]");
    assertThat(s.code()).isNotZero();
    assertThat(s.err()).contains("rollout_workers: spark needs use_peft: true");
  }

  /** trainer_state.json without what differs between any two runs (timings), the output folder and the setting under test. */
  static JsonNode withoutTimings(Path file) throws IOException {
    ObjectNode state = (ObjectNode) SparkCommandsTest.JSON.readTree(file.toFile());
    ((ObjectNode) state.get("config")).remove(List.of("rollout_workers", "output_dir"));
    for (JsonNode entry : (ArrayNode) state.get("log_history")) {
      Iterator<String> keys = entry.fieldNames();
      List<String> timing = new ArrayList<>();
      while (keys.hasNext()) {
        String k = keys.next();
        if (k.startsWith("time/") || k.endsWith("tokens_per_second") || k.endsWith("seconds")) timing.add(k);
      }
      ((ObjectNode) entry).remove(timing);
    }
    return state;
  }
}
