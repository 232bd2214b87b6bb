package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default job of {@code dro4j train} is DRO: R3-guided GRPO of the bundled finqa-tiny on bundled
 * synthetic FinQA data with the filter on and an evaluation before and after; a finished run writes
 * summary.json and report.md. Here at a size that fits the suite (the full job is the README's first
 * command).
 */
class DefaultJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theDefaultJobIsDroOnFinqaTiny() {
    CliTest.Result r = CliTest.run("train", "--print-config");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("model: bundled:finqa-tiny", "task: finqa_program", "filter_dataset: true",
        "eval_on_start: true", "dataset: bundled:finqa-synthetic-train", "eval_dataset: bundled:finqa-synthetic-heldout");
  }

  @Test
  void aShortDefaultRunWritesItsReportAndSummary(@TempDir Path dir) throws IOException {
    // four training and two held-out records from the bundled data's generator, in FinQA's schema
    Path train = dir.resolve("train.json");
    Path heldout = dir.resolve("heldout.json");
    assertThat(CliTest.run("synthetic-finqa", "--seed", "2", "--count", "4", "--rows", "2-3", "--years", "2",
        "--format", "finqa", "--out", train.toString()).code()).isZero();
    assertThat(CliTest.run("synthetic-finqa", "--seed", "1001", "--count", "2", "--rows", "2-3", "--years", "2",
        "--format", "finqa", "--out", heldout.toString()).code()).isZero();
    Path out = dir.resolve("run");
    CliTest.Result r = CliTest.run("train", "--config", "bundled:demo-train", "--dataset", train.toString(),
        "--eval-dataset", heldout.toString(), "--max-steps", "1", "--per-step-prompts", "1", "--num-generations", "2",
        "--max-completion-length", "24", "--filter-samples-per-prompt", "2", "--filter-max-new-tokens", "24",
        "--output-dir", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("held-out pass@1: before", "report: ");
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.get("task").asText()).isEqualTo("finqa_program");
    assertThat(summary.get("rewards").get(0).asText()).isEqualTo("r3");
    assertThat(summary.get("steps").asLong()).isEqualTo(1);
    assertThat(summary.get("seconds").asDouble()).isPositive();
    assertThat(summary.get("eval_before").get("pass@1").isNumber()).isTrue();
    assertThat(summary.get("eval_after").get("pass@1").isNumber()).isTrue();
    assertThat(Path.of(summary.get("checkpoint").asText()).resolve("model.safetensors")).exists();
    String report = Files.readString(out.resolve("report.md"));
    assertThat(report).contains("| pass@1 |", "## Curves", "plots/", summary.get("checkpoint").asText());
    // the first step's metrics hold the filter round and the evaluation before training
    String first = Files.readAllLines(out.resolve("metrics.jsonl")).get(0);
    assertThat(JSON.readTree(first).has("filter/kept")).isTrue();
    assertThat(JSON.readTree(first).has("eval_start/pass@1")).isTrue();
  }
}
