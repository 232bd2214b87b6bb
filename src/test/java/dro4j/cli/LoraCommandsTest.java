package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA from the command line: {@code sft --use_peft} writes adapter checkpoints and resumes from
 * them, {@code merge} folds the adapter into the base, and {@code score --adapter} equals {@code score}
 * of the merged folder.
 */
class LoraCommandsTest {
  private static final String STORIES = CliTest.STORIES;

  @Test
  void sftWithAnAdapterResumeMergeAndScore(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    String[] job = {"sft", "--model", STORIES, "--use_peft", "--lora_r", "4", "--lora_target_modules", "q_proj,v_proj",
        "--learning_rate", "1e-2", "--per_device_train_batch_size", "2", "--save_steps", "1", "--output_dir", out.toString()};
    CliTest.Result r = CliTest.run(concat(job, "--max_steps", "2"));
    assertThat(r.code()).as(r.err()).isZero();
    Path second = out.resolve("checkpoint-2");
    assertThat(second.resolve("adapter_model.safetensors")).isRegularFile();
    JsonNode cfg = new ObjectMapper().readTree(second.resolve("adapter_config.json").toFile());
    assertThat(cfg.get("target_modules")).extracting(JsonNode::asText).containsExactly("q_proj", "v_proj");
    assertThat(cfg.get("r").asInt()).isEqualTo(4);

    CliTest.Result resumed = CliTest.run(concat(job, "--max_steps", "3", "--resume"));
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming from " + second, "step 3/3");
    Path adapter = out.resolve("checkpoint-3");
    assertThat(adapter.resolve("adapter_config.json")).isRegularFile();

    Path merged = dir.resolve("merged");
    CliTest.Result m = CliTest.run("merge", "--model", STORIES, "--adapter", adapter.toString(), "--out", merged.toString());
    assertThat(m.code()).as(m.err()).isZero();
    assertThat(merged.resolve("model.safetensors")).isRegularFile();
    CliTest.Result again = CliTest.run("merge", "--model", STORIES, "--adapter", adapter.toString(), "--out", merged.toString());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains(merged.toString(), "not empty");

    String[] score = {"score", "--context", "Once upon a time", "--target", " there was a little dog", "--json"};
    JsonNode withAdapter = json(CliTest.run(concat(score, "--model", STORIES, "--adapter", adapter.toString())));
    JsonNode fromMerged = json(CliTest.run(concat(score, "--model", merged.toString())));
    JsonNode base = json(CliTest.run(concat(score, "--model", STORIES)));
    for (int j = 0; j < withAdapter.get("logprobs").size(); j++) {
      assertThat(withAdapter.get("logprobs").get(j).asDouble())
          .isCloseTo(fromMerged.get("logprobs").get(j).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }
    assertThat(withAdapter.get("sum").asDouble()).isNotEqualTo(base.get("sum").asDouble());

    // training can start from an adapter: its settings replace the lora_* defaults
    Path next = dir.resolve("next");
    CliTest.Result fromAdapter = CliTest.run("sft", "--model", STORIES, "--adapter", adapter.toString(), "--max_steps", "1",
        "--per_device_train_batch_size", "2", "--output_dir", next.toString());
    assertThat(fromAdapter.code()).as(fromAdapter.err()).isZero();
    JsonNode nextCfg = new ObjectMapper().readTree(next.resolve("checkpoint-1").resolve("adapter_config.json").toFile());
    assertThat(nextCfg.get("r").asInt()).isEqualTo(4);
    assertThat(nextCfg.get("target_modules")).extracting(JsonNode::asText).containsExactly("q_proj", "v_proj");

    CliTest.Result gen = CliTest.run("generate", "--model", STORIES, "--adapter", adapter.toString(), "--prompt",
        "Once upon a time", "--greedy", "--max-new-tokens", "4");
    assertThat(gen.code()).as(gen.err()).isZero();
  }

  private static JsonNode json(CliTest.Result r) throws IOException {
    assertThat(r.code()).as(r.err()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
