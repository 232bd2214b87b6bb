package dro4j.reward.likelihood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dro4j.BadInputException;
import org.junit.jupiter.api.Test;

/** R3's math on hand-computed arrays: sigma, every weighting, baseline, controlled propagation, r_len. */
class R3MathTest {
  static final double EPS = 1e-12;

  @Test
  void sigmaIsThePopulationStdOverRollouts() {
    // token 0: {-1, -3} -> mean -2, population std 1 (the unbiased one would be sqrt(2)); token 1 constant
    double[] sigma = ReasoningReflectionReward.tokenStd(new double[][] {{-1, -2}, {-3, -2}});
    assertThat(sigma).containsExactly(new double[] {1, 0}, offset(EPS));
    // three rollouts: {0, -1, -5} -> mean -2, var (4 + 1 + 9) / 3
    assertThat(ReasoningReflectionReward.tokenStd(new double[][] {{0}, {-1}, {-5}})[0])
        .isCloseTo(Math.sqrt(14.0 / 3), offset(EPS));
    // one rollout: sigma 0 (defined, where the unbiased std would divide by zero)
    assertThat(ReasoningReflectionReward.tokenStd(new double[][] {{-4, -1}})).containsExactly(0, 0);
    assertThat(ReasoningReflectionReward.tokenStd(new double[0][])).isEmpty();
  }

  /** Realistic log-probs of a 12-token reference: near-certain tokens to very unlikely ones. */
  static final double[] LOGPROBS = {-1e-4, -0.003, -0.02, -0.1, -0.4, -0.9, -1.6, -2.5, -4.0, -6.5, -9.0, -14.0};

  /** G copies of {@link #LOGPROBS}, each value times (1 + u) with u uniform in [-relative, relative]. */
  static double[][] noisyCopies(int g, double relative, long seed) {
    java.util.Random random = new java.util.Random(seed);
    double[][] l = new double[g][LOGPROBS.length];
    for (int i = 0; i < g; i++) {
      for (int j = 0; j < LOGPROBS.length; j++) {
        l[i][j] = LOGPROBS[j] * (1 + relative * (2 * random.nextDouble() - 1));
      }
    }
    return l;
  }

  @Test
  void roundingNoiseIsNotReflection() {
    // rows that differ only by 1e-6 relative noise (float32 rounding is ~6e-8 per operation): sigma is
    // exactly 0 and every scheme gives uniform weights
    for (long seed = 0; seed < 20; seed++) {
      double[][] l = noisyCopies(8, 1e-6, seed);
      assertThat(ReasoningReflectionReward.tokenStd(l)).containsOnly(0.0);
      for (TokenWeighting w : new TokenWeighting[] {
          TokenWeighting.sigmaNormalised(), TokenWeighting.softmax(0.1), TokenWeighting.topK(3)}) {
        ReasoningReflectionReward.GroupR3 r = ReasoningReflectionReward.compute(l, null, w, ControlledPropagation.off());
        assertThat(r.weights()).as("%s, seed %d", w, seed).containsOnly(1.0 / LOGPROBS.length);
      }
    }
  }

  @Test
  void aRealDifferenceJustAboveRoundingCounts() {
    // one token of one rollout moves by twice the rounding level: that token alone is reflective
    for (int j : new int[] {0, 5, 11}) {
      double[][] l = noisyCopies(8, 1e-6, j);
      double level = ReasoningReflectionReward.roundingLevel(Math.abs(LOGPROBS[j]));
      // population std of one outlier among 8 is |shift| * sqrt(7) / 8
      l[3][j] -= 2 * level * 8 / Math.sqrt(7);
      double[] sigma = ReasoningReflectionReward.tokenStd(l);
      assertThat(sigma[j]).as("token %d", j).isGreaterThan(level);
      double[] w = TokenWeighting.sigmaNormalised().weights(sigma);
      assertThat(w[j]).as("token %d", j).isEqualTo(1.0);
    }
    // and the bound itself: 64 float32 ulps relative, with a floor of 64 ulps of 1 for log-probs near 0
    assertThat(ReasoningReflectionReward.roundingLevel(0)).isEqualTo(64 * Math.pow(2, -23));
    assertThat(ReasoningReflectionReward.roundingLevel(9)).isEqualTo(640 * Math.pow(2, -23));
  }

  @Test
  void sigmaNormalisedWeights() {
    assertThat(TokenWeighting.sigmaNormalised().weights(new double[] {1, 3, 0, 4}))
        .containsExactly(new double[] {0.125, 0.375, 0, 0.5}, offset(EPS));
  }

  @Test
  void softmaxWeights() {
    // exp(sigma / 0.5) = {1, 3}
    assertThat(TokenWeighting.softmax(0.5).weights(new double[] {0, 0.5 * Math.log(3)}))
        .containsExactly(new double[] {0.25, 0.75}, offset(EPS));
    // large sigma differences do not overflow
    assertThat(TokenWeighting.softmax(0.01).weights(new double[] {50, 0}))
        .containsExactly(new double[] {1, 0}, offset(EPS));
  }

  @Test
  void topKWeightsAreUniformOverTheLargestSigma() {
    assertThat(TokenWeighting.topK(2).weights(new double[] {0.1, 0.5, 0.5, 0.2}))
        .containsExactly(new double[] {0, 0.5, 0.5, 0}, offset(EPS));
    // a tie at the cut goes to the earlier token
    assertThat(TokenWeighting.topK(1).weights(new double[] {0.1, 0.5, 0.5, 0.2}))
        .containsExactly(new double[] {0, 1, 0, 0}, offset(EPS));
    // k larger than the reference: every token
    assertThat(TokenWeighting.topK(8).weights(new double[] {0.1, 0.3}))
        .containsExactly(new double[] {0.5, 0.5}, offset(EPS));
  }

  @Test
  void everySchemeIsUniformWhenSigmaIsZero() {
    double[] uniform = {0.25, 0.25, 0.25, 0.25};
    for (TokenWeighting w : new TokenWeighting[] {
        TokenWeighting.sigmaNormalised(), TokenWeighting.softmax(0.1), TokenWeighting.topK(1), TokenWeighting.uniform()}) {
      assertThat(w.weights(new double[4])).as(w.toString()).containsExactly(uniform, offset(EPS));
      // float32 rounding noise never reaches the weights: tokenStd sets it to 0 (roundingNoiseIsNotReflection)
      double[] sigma = ReasoningReflectionReward.tokenStd(new double[][] {{-1, -2, -3, -4}, {-1 - 3e-7, -2, -3 + 1e-7, -4}});
      assertThat(w.weights(sigma)).as(w.toString()).containsExactly(uniform, offset(EPS));
    }
    assertThat(TokenWeighting.uniform().weights(new double[] {1, 2, 3, 4})).containsExactly(uniform, offset(EPS));
    assertThat(TokenWeighting.sigmaNormalised().weights(new double[0])).isEmpty();
  }

  @Test
  void r3IsTheWeightedSumAndTheBaselineShiftsEveryRolloutEqually() {
    double[][] l = {{-1, -2}, {-3, -2}};
    ReasoningReflectionReward.GroupR3 r = ReasoningReflectionReward.compute(
        l, null, TokenWeighting.sigmaNormalised(), ControlledPropagation.off());
    assertThat(r.weights()).containsExactly(new double[] {1, 0}, offset(EPS));
    assertThat(r.r3()).containsExactly(new double[] {-1, -3}, offset(EPS));
    // uniform weights: the mean log-prob
    assertThat(ReasoningReflectionReward.compute(l, null, TokenWeighting.uniform(), ControlledPropagation.off()).r3())
        .containsExactly(new double[] {-1.5, -2.5}, offset(EPS));
    // baseline b = {-2, -5}: R3_i = sum_j w_j (l_ij - b_j) = l_i0 + 2
    ReasoningReflectionReward.GroupR3 withBaseline = ReasoningReflectionReward.compute(
        l, new double[] {-2, -5}, TokenWeighting.sigmaNormalised(), ControlledPropagation.off());
    assertThat(withBaseline.r3()).containsExactly(new double[] {1, -1}, offset(EPS));
  }

  @Test
  void controlledPropagationDiscountsTokensAfterAnUnlikelyReflectiveToken() {
    double ln2 = Math.log(2);
    double[] l = {Math.log(0.5), Math.log(0.8), Math.log(0.9)};
    boolean[] reflective = {true, false, false};
    // gamma = ln 2: distance 1 recovers 1/2 of the way to 1, distance 2 recovers 3/4
    double[] adjusted = ControlledPropagation.adjust(l, reflective, ln2);
    assertThat(adjusted[0]).isCloseTo(Math.log(0.5), offset(EPS));
    assertThat(adjusted[1]).isCloseTo(Math.log(0.8 * 0.75), offset(EPS)); // P = 0.5 + 0.5 * 0.5
    assertThat(adjusted[2]).isCloseTo(Math.log(0.9 * 0.875), offset(EPS)); // P = 0.5 + 0.5 * 0.75
    // gamma = 0: the full factor p_k at any distance
    double[] full = ControlledPropagation.adjust(l, reflective, 0);
    assertThat(full[2]).isCloseTo(Math.log(0.9 * 0.5), offset(EPS));
    // a certain reflective token (p = 1) lends nothing spurious: no change
    double[] certain = ControlledPropagation.adjust(new double[] {0, -1, -1}, reflective, 0);
    assertThat(certain).containsExactly(new double[] {0, -1, -1}, offset(EPS));
    // two reflective tokens multiply their factors
    double[] two = ControlledPropagation.adjust(
        new double[] {Math.log(0.5), Math.log(0.5), 0}, new boolean[] {true, true, false}, 0);
    assertThat(two[1]).isCloseTo(Math.log(0.25), offset(EPS));
    assertThat(two[2]).isCloseTo(Math.log(0.5 * 0.5), offset(EPS)); // l = 0 times both factors
  }

  @Test
  void reflectiveTokensAreThoseAboveUniformWeight() {
    assertThat(ControlledPropagation.reflective(new double[] {0.5, 0.25, 0.25})).containsExactly(true, false, false);
    assertThat(ControlledPropagation.reflective(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0})).containsExactly(false, false, false);
  }

  @Test
  void controlledPropagationInsideR3() {
    // sigma = {2, 1, 1} -> w = {.5, .25, .25}; token 0 is reflective
    double[][] l = {{-4, -1, -1}, {0, -3, -3}};
    double g = Math.log(2);
    ReasoningReflectionReward.GroupR3 r = ReasoningReflectionReward.compute(
        l, null, TokenWeighting.sigmaNormalised(), ControlledPropagation.withDecay(g));
    assertThat(r.reflective()).containsExactly(true, false, false);
    double p = Math.exp(-4);
    double expectedA = 0.5 * -4 + 0.25 * (-1 + Math.log(p + (1 - p) * 0.5)) + 0.25 * (-1 + Math.log(p + (1 - p) * 0.75));
    // rollout B gave token 0 probability 1: nothing to discount
    assertThat(r.r3()).containsExactly(new double[] {expectedA, -1.5}, offset(1e-12));
    // weights come from the raw log-probs, not the adjusted ones
    assertThat(r.weights()).containsExactly(new double[] {0.5, 0.25, 0.25}, offset(EPS));
  }

  @Test
  void outcomeLengthPenalty() {
    assertThat(OutcomeLengthPenalty.rLen(10, 7, 1.0)).isCloseTo(0.7, offset(EPS));
    assertThat(OutcomeLengthPenalty.rLen(10, 15, 0.5)).isCloseTo(0.75, offset(EPS));
    assertThat(OutcomeLengthPenalty.rLen(10, 10, 1.0)).isEqualTo(1.0);
    assertThat(OutcomeLengthPenalty.rLen(10, 30, 1.0)).isCloseTo(-1.0, offset(EPS));
    assertThat(OutcomeLengthPenalty.rLen(0, 3, 1.0)).isNaN();
  }

  @Test
  void invalidSettingsAreBadInput() {
    assertThatThrownBy(() -> TokenWeighting.softmax(0)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> TokenWeighting.topK(0)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> ControlledPropagation.withDecay(-1)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> OutcomeLengthPenalty.of(-1, 1)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> ScoringOptions.defaults().withTemperature(0)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> ScoringPolicy.lagged(0)).isInstanceOf(BadInputException.class);
  }
}
