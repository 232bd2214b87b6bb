package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dro4j train --config examples/agents/guess_number.yaml} runs offline on the bundled model. */
class AgentJobCommandTest {
  @Test
  void bundledGuessNumberJobTrains(@TempDir Path dir) throws java.io.IOException {
    Path root = Path.of(System.getProperty("basedir", "."));
    CliTest.Result r = CliTest.run("train", "--config", root.resolve("examples/agents/guess_number.yaml").toString(),
        "--dataset", root.resolve("examples/agents/guess_number.jsonl").toString(), "--max_steps", "2",
        "--per_step_prompts", "1", "--num_generations", "2", "--max_completion_length", "12",
        "--output_dir", dir.resolve("out").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("step 2/2", "done: 2 steps");
    assertThat(dir.resolve("out").resolve("checkpoint-2").resolve("model.safetensors")).isRegularFile();
    // log_completions: each trajectory, turn by turn, in completions.jsonl
    String log = java.nio.file.Files.readString(dir.resolve("out").resolve("completions.jsonl"));
    assertThat(log).contains("Assistant:", "\"environment\"", "\"turns\":[{\"role\":\"assistant\"");
  }
}
