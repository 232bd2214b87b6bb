package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code dro4j bench --json} at tiny sizes: the last line of standard output is the whole report. */
class BenchJsonTest {
  @Test
  void lastLineIsOneJsonObjectWithEveryNumber() throws Exception {
    CliTest.Result r = CliTest.run("bench", "--json", "--skip-large", "--decode-steps", "2", "--prompt-length", "8",
        "--grpo-shape", "1x2x4", "--bandwidth-mb", "4");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.size()).isGreaterThan(5); // the human-readable table comes first
    String last = lines.get(lines.size() - 1);
    assertThat(last).startsWith("{").endsWith("}");
    assertThat(lines.subList(0, lines.size() - 1)).noneMatch(l -> l.startsWith("{"));
    JsonNode json = new ObjectMapper().readTree(last);
    assertThat(json.get("gemm_peak_gflops").asDouble()).isPositive();
    assertThat(json.get("read_bandwidth_gbs").asDouble()).isPositive();
    JsonNode stories = json.get("models").get("stories260K");
    for (String key : List.of("prefill_tokens_per_s", "decode_b1_tokens_per_s", "decode_b8_tokens_per_s",
        "decode_b1_bandwidth_fraction", "decode_b1_bandwidth_fraction_fastest_step", "decode_b1_tokens_per_s_libtorch",
        "decode_b8_tokens_per_s_libtorch", "decode_b8_over_b1_block_min", "decode_b8_over_b1_block_max")) {
      assertThat(stories.get(key).isNumber()).as(key).isTrue();
      assertThat(stories.get(key).asDouble()).as(key).isPositive();
    }
    // two steps of each batch size are one block of their interleaved measurement
    assertThat(stories.get("decode_b8_over_b1_block_min").asDouble()).isEqualTo(stories.get("decode_b8_over_b1_block_max").asDouble());
    JsonNode grpo = stories.get("grpo_step");
    for (String key : List.of("gen_s", "reward_s", "train_s", "train_gemm_fraction", "peak_rss_mb")) {
      assertThat(grpo.get(key).isNumber()).as(key).isTrue();
    }
    assertThat(grpo.get("shape").get("generations").asInt()).isEqualTo(2);
    assertThat(grpo.get("trained_tokens").asInt()).isPositive();
    assertThat(grpo.get("train_s").asDouble()).isPositive();
    JsonNode lora = stories.get("grpo_step_lora");
    assertThat(lora.get("train_s").asDouble()).as("LoRA step").isPositive();
    assertThat(lora.get("trained_tokens").asInt()).isPositive();
    // min_completion_length = max: every completion of both steps has its full 4 tokens
    assertThat(grpo.get("completion_tokens").asInt()).isEqualTo(1 * 2 * 4);
    assertThat(lora.get("completion_tokens").asInt()).isEqualTo(1 * 2 * 4);
    assertThat(grpo.get("shape").get("min_completion_tokens").asInt()).isEqualTo(4);
    assertThat(json.get("models").has("qwen2.5-0.5b-shape")).isTrue();
    assertThat(json.get("models").get("qwen2.5-0.5b-shape").isNull()).isTrue();
  }

  @Test
  void aBadGrpoShapeIsAUsageError() {
    CliTest.Result r = CliTest.run("bench", "--json", "--grpo-shape", "2x4");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("--grpo-shape").contains("2x4");
  }
}
