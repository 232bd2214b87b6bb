package dro4j.reward.likelihood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The likelihood rewards' formulas on hand-computed token log-probs. */
class LikelihoodFamilyMathTest {
  static final double EPS = 1e-6; // inputs are float32 log-probs

  private static float[] lp(double... p) {
    float[] out = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = (float) Math.log(p[i]);
    }
    return out;
  }

  @Test
  void sumAndMeanLogProb() {
    assertThat(ReferenceLogProbReward.sum(new float[] {-1, -2, -3})).isEqualTo(-6.0);
    assertThat(ReferenceLogProbReward.mean(new float[] {-1, -2, -3})).isEqualTo(-2.0);
    assertThat(ReferenceLogProbReward.mean(new float[0])).isNaN();
  }

  @Test
  void veriFreeIsTheProbabilityOfTheWholeReference() {
    assertThat(VeriFreeReward.probability(lp(0.5, 0.4))).isCloseTo(0.2, offset(EPS));
    assertThat(VeriFreeReward.probability(new float[0])).isEqualTo(1.0); // empty product
  }

  @Test
  void rlprMeanTokenProbabilityAndDebias() {
    assertThat(RlprReward.meanProbability(lp(0.5, 0.3))).isCloseTo(0.4, offset(EPS));
    assertThat(RlprReward.meanProbability(new float[0])).isNaN();
    assertThat(RlprReward.debias(0.4, 0.1)).isCloseTo(0.3, offset(1e-12));
    assertThat(RlprReward.debias(0.1, 0.4)).isEqualTo(0.0); // clipped below
    assertThat(RlprReward.debias(1.5, 0.2)).isEqualTo(1.0); // clipped above
  }

  @Test
  void rlprStdFilterFlattensLowVarianceGroupsAndMovesItsThreshold() {
    RlprReward reward = new RlprReward(RlprReward.Config.defaults().withStdFilter(true));
    List<double[]> scores = new ArrayList<>(List.of(new double[] {0.1, 0.5}, new double[] {0.3, 0.31}));
    List<Map<String, Object>> diags = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
    reward.filter(scores, diags);
    // stds 0.2 and 0.005; first threshold = their mean 0.1025: the second group is filtered
    assertThat(diags.get(0).get("std_filtered")).isEqualTo(false);
    assertThat(diags.get(1).get("std_filtered")).isEqualTo(true);
    assertThat(scores.get(0)).containsExactly(0.1, 0.5);
    assertThat(scores.get(1)).containsExactly(new double[] {0.305, 0.305}, offset(1e-12));
    // EMA: 0.99 * 0.1025 + 0.01 * 0.1025
    assertThat(reward.threshold()).isCloseTo(0.1025, offset(1e-12));
    reward.filter(new ArrayList<>(List.of(new double[] {0, 1})), List.of(new LinkedHashMap<>()));
    assertThat(reward.threshold()).isCloseTo(0.99 * 0.1025 + 0.01 * 0.5, offset(1e-12));
  }

  @Test
  void noverReasoningPerplexityAndRankReward() {
    assertThat(NoverReward.lengthNormaliser(100)).isCloseTo(3.0, offset(1e-12));
    assertThat(NoverReward.lengthNormaliser(5)).isCloseTo(1 + Math.log10(5), offset(1e-12));
    assertThat(NoverReward.lengthNormaliser(1)).isEqualTo(1.0);
    assertThat(NoverReward.lengthNormaliser(0)).isEqualTo(1.0);
    // exp(-(2 ln 0.5) / (2 * 3)) = 2^(1/3)
    assertThat(NoverReward.reasoningPerplexity(lp(0.5, 0.5), 100)).isCloseTo(Math.cbrt(2), offset(EPS));
    assertThat(NoverReward.reasoningPerplexity(lp(0.5, 0.5), 1)).isCloseTo(2.0, offset(EPS));
    assertThat(NoverReward.reasoningPerplexity(new float[0], 3)).isNaN();
    // four valid perplexities {3, 1, 2, 1} and a NaN: lowest gets 1, ties share, NaN gets 0
    double[] r = NoverReward.rankRewards(new double[] {3, 1, 2, 1, Double.NaN}, new boolean[] {true, true, true, true, true});
    assertThat(r).containsExactly(new double[] {0.25, 1, 0.5, 1, 0}, offset(1e-12));
    // an invalid rollout gets 0 and is not ranked
    double[] v = NoverReward.rankRewards(new double[] {3, 1, 2}, new boolean[] {true, false, true});
    assertThat(v).containsExactly(new double[] {0.5, 0, 1}, offset(1e-12));
  }

  @Test
  void followUpScoreAndContrast() {
    assertThat(FollowUpLikelihoodReward.followUpScore(new float[] {-1, -3}, true)).isEqualTo(-2.0);
    assertThat(FollowUpLikelihoodReward.followUpScore(new float[] {-1, -3}, false)).isEqualTo(-4.0);
    assertThat(FollowUpLikelihoodReward.contrast(new double[] {-1, -3}, new double[] {-4})).isEqualTo(2.0);
    assertThat(FollowUpLikelihoodReward.contrast(new double[] {-1, -3}, new double[0])).isEqualTo(-2.0);
  }
}
