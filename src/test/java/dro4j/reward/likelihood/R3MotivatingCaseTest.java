package dro4j.reward.likelihood;

import static dro4j.reward.likelihood.RewardFixtures.handWritten;
import static org.assertj.core.api.Assertions.assertThat;

import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DRO's motivating case (Xu et al. 2025, section 3, "reasoning-reflective token blindness") on
 * stories260K: a reference story continuation in which one token depends on the reasoning, the name
 * "Lily", among 31 generic tokens. Three reasonings establish a girl named Lily, three a boy named Tim,
 * two name nobody. One contradicting reasoning talks about the sun, the birds and the park, which the
 * reference's generic tokens mention: the plain sum of log-probs rewards that, R3 does not.
 *
 * <p>Measured (deterministic: no sampling, scores re-encoded): weight on "Lily" 0.266 = 8.5x uniform
 * and the largest; worst-case margin (lowest consistent minus highest contradicting) R3 +0.756 = +0.96
 * group spreads, sum -2.204 = -0.60 spreads; mean gap in spreads R3 1.82, sum 1.05 (ratio 1.73);
 * softmax(sigma / 0.1) puts 1.0000 on "Lily". The assertions are looser than these numbers.
 */
class R3MotivatingCaseTest {
  static LanguageModel lm;

  static final String PROMPT = "Once upon a time, there was a little";
  static final String REFERENCE = "One day, Lily went to the park. The sun was shining and the birds were singing.";
  static final List<String> REASONINGS = List.of(
      "girl named Lily. Lily liked to play.", // consistent
      "girl named Lily. She was very happy.",
      "girl. Her name was Lily. She loved flowers.",
      "boy named Tim. Tim liked to play.", // contradicting
      "boy named Tim. He liked the sun and the birds in the park.",
      "boy. His name was Tim. He had a red ball.",
      "girl who liked to play.", // neutral
      "child. The child was very happy.");
  static final int[] CONSISTENT = {0, 1, 2};
  static final int[] CONTRADICTING = {3, 4, 5};

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Fixtures.fixture("stories260K"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static RewardResult r3(TokenWeighting weighting) {
    RolloutGroup g = handWritten(lm, PROMPT, REFERENCE, REASONINGS);
    R3Config config = R3Config.defaults()
        .withScoring(ScoringOptions.defaults().withSplit(ReasoningSplit.wholeRollout()))
        .withWeighting(weighting);
    return new ReasoningReflectionReward(config).score(List.of(g), RewardContext.of(lm)).get(0);
  }

  private static double min(double[] v, int[] idx) {
    double m = Double.POSITIVE_INFINITY;
    for (int i : idx) {
      m = Math.min(m, v[i]);
    }
    return m;
  }

  private static double max(double[] v, int[] idx) {
    double m = Double.NEGATIVE_INFINITY;
    for (int i : idx) {
      m = Math.max(m, v[i]);
    }
    return m;
  }

  private static double mean(double[] v, int[] idx) {
    double s = 0;
    for (int i : idx) {
      s += v[i];
    }
    return s / idx.length;
  }

  /** Population std over the whole group: the scale against which gaps are compared. */
  private static double spread(double[] v) {
    return ReasoningReflectionReward.tokenStd(java.util.Arrays.stream(v).mapToObj(x -> new double[] {x})
        .toArray(double[][]::new))[0];
  }

  @Test
  void r3WeighsTheNameAndRanksConsistentReasoningFirstWhereTheSumDoesNot() {
    RewardResult r = r3(TokenWeighting.sigmaNormalised());
    int[] ref = (int[]) r.diagnostics().get("reference_ids");
    double[] w = (double[]) r.diagnostics().get("weights");
    int m = ref.length;
    int name = -1;
    for (int j = 0; j < m; j++) {
      if (lm.tokenizer().tokenString(ref[j]).equals("▁Lily")) {
        name = j;
      }
    }
    assertThat(name).as("the reference mentions Lily once, as one token").isGreaterThanOrEqualTo(0);
    int argmax = 0;
    for (int j = 1; j < m; j++) {
      argmax = w[j] > w[argmax] ? j : argmax;
    }
    double[] r3 = r.scores();
    double[] sum = (double[]) r.diagnostics().get("logprob_sum");
    double r3Worst = min(r3, CONSISTENT) - max(r3, CONTRADICTING);
    double sumWorst = min(sum, CONSISTENT) - max(sum, CONTRADICTING);
    double r3Gap = (mean(r3, CONSISTENT) - mean(r3, CONTRADICTING)) / spread(r3);
    double sumGap = (mean(sum, CONSISTENT) - mean(sum, CONTRADICTING)) / spread(sum);
    System.out.printf(
        "motivating case: m=%d, weight on 'Lily' %.3f (uniform %.3f, %.1fx), largest weight at '%s';"
            + " worst-case margin consistent - contradicting: R3 %+.3f (%.2f spreads), sum %+.3f (%.2f spreads);"
            + " mean gap / spread: R3 %.2f, sum %.2f, ratio %.2f%n",
        m, w[name], 1.0 / m, w[name] * m, lm.tokenizer().tokenString(ref[argmax]),
        r3Worst, r3Worst / spread(r3), sumWorst, sumWorst / spread(sum), r3Gap, sumGap, r3Gap / sumGap);

    // The name token carries the largest weight, several times the uniform weight (measured 8.5x).
    assertThat(argmax).isEqualTo(name);
    assertThat(w[name] * m).isGreaterThan(5);
    // R3 ranks every consistent reasoning above every contradicting one (and above the neutral ones)...
    assertThat(r3Worst).isGreaterThan(0);
    assertThat(min(r3, CONSISTENT)).isGreaterThan(max(r3, new int[] {6, 7}));
    // ...the plain sum does not: the park-and-birds reasoning with the wrong name beats a consistent one.
    assertThat(sumWorst).isLessThan(0);
    assertThat(sum[4]).isGreaterThan(min(sum, CONSISTENT));
    // Measured in units of each score's spread over the group, R3 separates the two sets by far more.
    assertThat(r3Gap).isGreaterThan(1.5 * sumGap);
    // The diagnostic sum is DRO-Aggr itself.
    RolloutGroup g = handWritten(lm, PROMPT, REFERENCE, REASONINGS);
    ReferenceLogProbReward aggr = new ReferenceLogProbReward(
        ScoringOptions.defaults().withSplit(ReasoningSplit.wholeRollout()), ReferenceLogProbReward.Aggregation.SUM);
    assertThat(RewardFixtures.maxAbsDiff(aggr.score(List.of(g), RewardContext.of(lm)).get(0).scores(), sum)).isLessThan(1e-9);
  }

  @Test
  void sharperWeightingsConcentrateOnTheName() {
    RewardResult soft = r3(TokenWeighting.softmax(0.1));
    int[] ref = (int[]) soft.diagnostics().get("reference_ids");
    double[] w = (double[]) soft.diagnostics().get("weights");
    int name = 3; // "▁One", "▁day", ",", "▁Lily"
    assertThat(lm.tokenizer().tokenString(ref[name])).isEqualTo("▁Lily");
    System.out.printf("motivating case: softmax(sigma/0.1) weight on 'Lily' %.4f%n", w[name]);
    assertThat(w[name]).isGreaterThan(0.9);
    assertThat(min(soft.scores(), CONSISTENT)).isGreaterThan(max(soft.scores(), CONTRADICTING));
    RewardResult top = r3(TokenWeighting.topK(3));
    assertThat(((double[]) top.diagnostics().get("weights"))[name]).isEqualTo(1.0 / 3);
    assertThat(min(top.scores(), CONSISTENT)).isGreaterThan(max(top.scores(), CONTRADICTING));
    // uniform weights (the mean log-prob) inherit the sum's mistake
    RewardResult uniform = r3(TokenWeighting.uniform());
    assertThat(uniform.scores()[4]).isGreaterThan(min(uniform.scores(), CONSISTENT));
  }
}
