package dro4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dro4j.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The training FLOP count against a token-by-token count written out by hand, and a measured step's token count. */
class GrpoBenchmarkTest {
  @Test
  void aStepCountsTheTokensOfEveryGroupAtFullLength() {
    // rewards score each prompt's group on its own: the step's count must gather all groups
    try (dro4j.LanguageModel lm = dro4j.LanguageModel.load(dro4j.Fixtures.fixture("stories260K"))) {
      GrpoBenchmark.Result r = GrpoBenchmark.run(lm, 3, 2, 5);
      assertThat(r.completionTokens()).isEqualTo(3 * 2 * 5); // min_completion_length = max: no early EOS
      assertThat(r.trainedTokens()).isGreaterThan(r.completionTokens() + 3 * 2);
    }
  }

  @Test
  void trainingFlopsMatchATokenByTokenCount() {
    ModelConfig c = ModelConfig.qwen2_5_0_5B();
    double h = 896, q = 14 * 64, kv = 2 * 64, inter = 4864, vocab = 151936, layers = 24;
    double linear = 2 * (h * q + 2 * h * kv + q * h + 3 * h * inter); // per token per layer
    // rows (prompt 3, completion 2) and (prompt 1, completion 4): token t (1-based) attends to t keys,
    // 2 * 2 * q FLOPs per key (scores and weighted sum); the head runs once per completion token
    double forward = 0;
    for (int[] row : new int[][] {{3, 2}, {1, 4}}) {
      int n = row[0] + row[1];
      for (int t = 1; t <= n; t++) forward += layers * (linear + 4 * q * t);
      forward += row[1] * 2 * h * vocab;
    }
    int[] p = {3, 1};
    int[] n = {2, 4};
    assertThat(GrpoBenchmark.trainingFlops(c, p, n, 1, false)).isCloseTo(3 * forward, within(1e-6 * forward));
    assertThat(GrpoBenchmark.trainingFlops(c, p, n, 2, false)).isCloseTo(7 * forward, within(1e-6 * forward));
    assertThat(GrpoBenchmark.trainingFlops(c, p, n, 1, true)).isCloseTo(4 * forward, within(1e-6 * forward));
  }
}
