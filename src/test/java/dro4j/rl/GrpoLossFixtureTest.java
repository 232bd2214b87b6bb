package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code stories260K-reference/grpo_loss.json}: the fixture gives old and reference log-probs as
 * deltas from the current ones (old = logp - old_delta, ref = logp - ref_delta), so the loss, the
 * mean k3 KL and the clip fraction depend only on the deltas, the advantages and the mask, not on
 * the model's log-probs. Any logp reproduces them; the gradients and grad norm need the model.
 */
class GrpoLossFixtureTest {
  private static NDManager m;
  private static JsonNode j;

  @BeforeAll
  static void load() throws IOException {
    m = Nd.manager();
    j = new ObjectMapper().readTree(Fixtures.fixture("stories260K-reference", "grpo_loss.json").toFile());
  }

  @AfterAll
  static void close() {
    m.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpo", "bnpo", "dr_grpo", "dapo"})
  void reproducesLossKlAndClipFraction(String mode) {
    JsonNode expected = j.get("modes").get(mode);
    double[][] oldDelta = matrix(j.get("old_logprob_delta"));
    double[][] refDelta = matrix(j.get("ref_logprob_delta"));
    int b = oldDelta.length;
    int len = oldDelta[0].length;
    int maxLen = j.get("max_completion_length").asInt();
    double[][] mask = new double[b][len];
    double[][] lp = new double[b][len];
    double[][] old = new double[b][len];
    double[][] ref = new double[b][len];
    for (int i = 0; i < b; i++) {
      int n = j.get("completion_ids").get(i).size();
      for (int t = 0; t < len; t++) {
        mask[i][t] = t < n ? 1 : 0;
        lp[i][t] = -1.0 - 0.25 * ((i * 7 + t * 3) % 11); // arbitrary current log-probs
        old[i][t] = lp[i][t] - oldDelta[i][t];
        ref[i][t] = lp[i][t] - refDelta[i][t];
      }
    }
    try (NDManager s = m.newSubManager()) {
      NDArray logp = Nd.matrix(s, lp);
      NDArray oldLogp = Nd.matrix(s, old);
      NDArray refLogp = Nd.matrix(s, ref);
      NDArray maskNd = Nd.matrix(s, mask);
      NDArray adv = Nd.vector(s, AdvantageEstimatorTest.doubles(j.get("advantages")));
      double eps = j.get("eps_low").asDouble();
      double epsHigh = j.get("eps_high").asDouble();
      double beta = j.get("beta").asDouble();

      NDArray perToken = PolicyLoss.perTokenLoss(logp, oldLogp, refLogp, adv, eps, epsHigh, beta, KlEstimator.K3);
      double loss = Nd.scalar(LossType.byName(mode).aggregate(perToken, maskNd, maxLen));
      double kl = Nd.scalar(TokenStats.maskedMean(KlEstimator.K3.apply(logp, refLogp), maskNd));
      ClipFractions clip = PolicyLoss.clipFractions(logp, oldLogp, adv, maskNd, eps, epsHigh);

      assertRelative(loss, expected.get("loss").asDouble(), 1e-5);
      assertRelative(kl, expected.get("mean_kl").asDouble(), 1e-5);
      assertRelative(clip.region(), expected.get("clip_fraction").asDouble(), 1e-5);
    }
  }

  private static void assertRelative(double actual, double expected, double rel) {
    assertThat(actual).isCloseTo(expected, within(rel * Math.abs(expected)));
  }

  private static double[][] matrix(JsonNode rows) {
    double[][] out = new double[rows.size()][];
    for (int i = 0; i < out.length; i++) out[i] = AdvantageEstimatorTest.doubles(rows.get(i));
    return out;
  }
}
