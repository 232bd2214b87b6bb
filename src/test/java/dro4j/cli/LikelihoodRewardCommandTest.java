package dro4j.cli;

import static dro4j.cli.RewardCommandTest.run;
import static dro4j.cli.RewardCommandTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dro4j reward} with the likelihood rewards on the bundled default model (no --model given). */
class LikelihoodRewardCommandTest {
  static final String LINE =
      "{\"id\": \"lily\", \"prompt\": \"Once upon a time, there was a little girl named Lily.\","
          + " \"reference\": \"She went to the park.\","
          + " \"rollouts\": [\"She liked to play.\", \"He had a big dog.\", \"She liked to play.\"]}";

  @Test
  void r3EndToEndOnTheBundledModel(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl", LINE);
    RewardCommandTest.Result r = run("reward", "--reward", "r3", "--input", in.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode line = r.lines().get(0);
    assertThat(line.get("id").asText()).isEqualTo("lily");
    JsonNode scores = line.get("scores");
    assertThat(scores).hasSize(3);
    for (JsonNode s : scores) {
      assertThat(s.isNumber()).isTrue();
      assertThat(s.asDouble()).isNegative(); // a weighted average of log-probs
    }
    // identical rollouts get identical R3; a different reasoning scores differently
    assertThat(scores.get(2).asDouble()).isCloseTo(scores.get(0).asDouble(), offset(1e-5));
    assertThat(scores.get(1).asDouble()).isNotCloseTo(scores.get(0).asDouble(), offset(1e-3));
    JsonNode diag = line.get("diagnostics");
    int referenceTokens;
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      referenceTokens = lm.tokenizer().encode("She went to the park.", false).length;
    }
    assertThat(diag.get("sigma")).hasSize(referenceTokens);
    double weightSum = 0;
    for (JsonNode w : diag.get("weights")) {
      weightSum += w.asDouble();
    }
    assertThat(weightSum).isCloseTo(1.0, offset(1e-9));
    assertThat(diag.get("kv_cache").asBoolean()).isFalse(); // rollouts read from a file have no cache
    assertThat(diag.get("split_found").toString()).isEqualTo("[false,false,false]");
  }

  @Test
  void r3OptionsFromParamsAndTheLikelihoodFamily(@TempDir Path dir) throws IOException {
    Path in = write(dir, "in.jsonl", LINE);
    RewardCommandTest.Result topK = run("reward", "--reward", "r3", "--input", in.toString(),
        "--param", "weighting=top_k", "--param", "k=2", "--param", "length_penalty_weight=0.5");
    assertThat(topK.code()).as(topK.err()).isZero();
    JsonNode diag = topK.lines().get(0).get("diagnostics");
    int nonZero = 0;
    for (JsonNode w : diag.get("weights")) {
      nonZero += w.asDouble() > 0 ? 1 : 0;
    }
    assertThat(nonZero).isEqualTo(2);
    assertThat(diag.get("length_penalty")).hasSize(3);

    Path config = write(dir, "r3.json",
        "{\"name\": \"weighted_sum\", \"rewards\": [{\"reward\": {\"name\": \"r3\", \"baseline\": \"prompt\"}},"
            + " {\"reward\": {\"name\": \"logprob_sum\"}, \"weight\": 0}]}");
    RewardCommandTest.Result sum = run("reward", "--config", config.toString(), "--input", in.toString());
    assertThat(sum.code()).as(sum.err()).isZero();
    assertThat(sum.lines().get(0).get("diagnostics").get("logprob_sum")).hasSize(3);

    for (String name : new String[] {"logprob_mean", "verifree", "rlpr", "nover"}) {
      RewardCommandTest.Result other = run("reward", "--reward", name, "--input", in.toString());
      assertThat(other.code()).as(name + ": " + other.err()).isZero();
      assertThat(other.lines().get(0).get("scores")).as(name).hasSize(3);
    }
    RewardCommandTest.Result flr = run("reward", "--reward", "follow_up", "--input", in.toString(),
        "--param", "positive=[\" The end.\"]");
    assertThat(flr.code()).as(flr.err()).isZero();
    assertThat(flr.lines().get(0).get("scores").get(0).asDouble()).isNegative();

    RewardCommandTest.Result bad = run("reward", "--reward", "r3", "--input", in.toString(), "--param", "weighting=max");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("reward r3: parameter 'weighting' must be one of");
  }
}
