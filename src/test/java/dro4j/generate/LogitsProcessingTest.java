package dro4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogitsProcessingTest {
  private static final float NEG_INF = Float.NEGATIVE_INFINITY;

  /** Logits whose softmax is the given distribution (up to float rounding of the logs). */
  private static float[] logitsOf(double... probs) {
    float[] l = new float[probs.length];
    for (int i = 0; i < probs.length; i++) {
      l[i] = probs[i] == 0 ? NEG_INF : (float) Math.log(probs[i]);
    }
    return l;
  }

  private static double[] distribution(
      float[] logits, double t, int topK, double topP, double minP) {
    double[] probs = new double[logits.length];
    LogitsProcessing.samplingDistribution(logits, t, topK, topP, minP, probs);
    return probs;
  }

  private static double[] normalised(double... w) {
    double s = Arrays.stream(w).sum();
    return Arrays.stream(w).map(x -> x / s).toArray();
  }

  private static void assertProbs(double[] actual, double... expected) {
    assertThat(actual).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] == 0) {
        assertThat(actual[i]).as("p[%d]", i).isZero();
      } else {
        assertThat(actual[i]).as("p[%d]", i).isCloseTo(expected[i], within(1e-6));
      }
    }
  }

  // ---- repetition penalty ----

  @Test
  void repetitionPenaltyDividesPositiveMultipliesNegativeOncePerToken() {
    float[] logits = {2f, -2f, 1f, 0f, 3f};
    // token 0 occurs three times, but is penalised once; 4 never occurs
    LogitsProcessing.applyRepetitionPenalty(logits, new int[] {0, 1, 0, 3, 0, 99}, 5, 2.0);
    assertThat(logits).containsExactly(1f, -4f, 1f, 0f, 3f);
  }

  @Test
  void repetitionPenaltyBelowOneRewardsRepeats() {
    float[] logits = {2f, -2f, 1f};
    LogitsProcessing.applyRepetitionPenalty(logits, new int[] {0, 1}, 2, 0.5);
    assertThat(logits).containsExactly(4f, -1f, 1f);
  }

  @Test
  void repetitionPenaltyOfOneChangesNothingAndBadIdsAreRejected() {
    float[] logits = {2f, -2f};
    LogitsProcessing.applyRepetitionPenalty(logits, new int[] {0, 1}, 2, 1.0);
    assertThat(logits).containsExactly(2f, -2f);
    assertThatThrownBy(() -> LogitsProcessing.applyRepetitionPenalty(logits, new int[] {2}, 1, 1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token id 2");
    assertThatThrownBy(() -> LogitsProcessing.applyRepetitionPenalty(logits, new int[] {0}, 1, 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("repetition_penalty");
  }

  // ---- log softmax and temperature ----

  @Test
  void logSoftmaxMatchesHandComputedValues() {
    double[] out = new double[3];
    LogitsProcessing.logSoftmax(new float[] {1f, 2f, 3f}, 1.0, out);
    // log Z = 3 + log(1 + e^-1 + e^-2) = 3.4076059644443806
    assertThat(out[0]).isCloseTo(-2.4076059644443806, within(1e-12));
    assertThat(out[1]).isCloseTo(-1.4076059644443806, within(1e-12));
    assertThat(out[2]).isCloseTo(-0.4076059644443806, within(1e-12));
  }

  @Test
  void logSoftmaxDividesByTemperatureAndHandlesInfinityAndLargeLogits() {
    double[] out = new double[4];
    LogitsProcessing.logSoftmax(new float[] {1000f, NEG_INF, 1002f, 998f}, 2.0, out);
    // logits / 2 = [500, -inf, 501, 499]; log Z = 501 + log(1 + e^-1 + e^-2)
    double logZ = 501 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
    assertThat(out[0]).isCloseTo(500 - logZ, within(1e-9));
    assertThat(out[1]).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(out[2]).isCloseTo(501 - logZ, within(1e-9));
    assertThat(out[3]).isCloseTo(499 - logZ, within(1e-9));
    assertThat(LogitsProcessing.logProb(new float[] {1000f, NEG_INF, 1002f, 998f}, 2.0, 3))
        .isEqualTo(out[3]);
  }

  @Test
  void temperatureSharpensAndFlattens() {
    // softmax([0, 1] / 0.5) = softmax([0, 2])
    double e2 = Math.exp(2);
    assertProbs(distribution(new float[] {0f, 1f}, 0.5, 0, 1.0, 0.0), 1 / (1 + e2), e2 / (1 + e2));
    // softmax([0, 1] / 2) = softmax([0, 0.5])
    double eh = Math.exp(0.5);
    assertProbs(distribution(new float[] {0f, 1f}, 2.0, 0, 1.0, 0.0), 1 / (1 + eh), eh / (1 + eh));
  }

  // ---- top-k ----

  @Test
  void topKKeepsExactlyKTokens() {
    float[] logits = {1f, 3f, 2f, 5f, 4f};
    double[] probs = new double[5];
    int kept = LogitsProcessing.samplingDistribution(logits, 1.0, 2, 1.0, 0.0, probs);
    assertThat(kept).isEqualTo(2);
    double e = Math.exp(-1); // softmax over logits {5, 4}
    assertProbs(probs, 0, 0, 0, 1 / (1 + e), e / (1 + e));
    assertProbs(distribution(logits, 1.0, 1, 1.0, 0.0), 0, 0, 0, 1, 0);
  }

  @Test
  void topKKeepsTokensTiedWithTheKthLikeTransformers() {
    float[] logits = {1f, 3f, 3f, 5f, 0f};
    double[] probs = new double[5];
    assertThat(LogitsProcessing.samplingDistribution(logits, 1.0, 2, 1.0, 0.0, probs)).isEqualTo(3);
    double e2 = Math.exp(-2);
    assertProbs(probs, 0, e2 / (1 + 2 * e2), e2 / (1 + 2 * e2), 1 / (1 + 2 * e2), 0);
  }

  @Test
  void topKAtLeastVocabOrBeyondFiniteTokensKeepsAllFinite() {
    float[] logits = {0f, NEG_INF, 0f};
    assertProbs(distribution(logits, 1.0, 3, 1.0, 0.0), 0.5, 0, 0.5);
    assertProbs(distribution(logits, 1.0, 2, 1.0, 0.0), 0.5, 0, 0.5);
    assertProbs(distribution(logits, 1.0, 50, 1.0, 0.0), 0.5, 0, 0.5);
  }

  // ---- top-p ----

  @Test
  void topPKeepsSmallestSetReachingP() {
    float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
    // 0.5 + 0.3 = 0.8 reaches 0.8: two tokens
    assertProbs(distribution(logits, 1.0, 0, 0.8, 0.0), 0.625, 0.375, 0, 0);
    // 0.8 < 0.81, 0.95 >= 0.81: three tokens
    assertProbs(distribution(logits, 1.0, 0, 0.81, 0.0), normalised(0.5, 0.3, 0.15, 0));
    assertProbs(distribution(logits, 1.0, 0, 1.0, 0.0), 0.5, 0.3, 0.15, 0.05);
    // always at least the top token
    assertProbs(distribution(logits, 1.0, 0, 1e-9, 0.0), 1, 0, 0, 0);
    assertProbs(distribution(logits, 1.0, 0, 0.5, 0.0), 1, 0, 0, 0);
  }

  @Test
  void topPBoundaryDoesNotDependOnFloatRounding() {
    // float(log 0.4) rounds so that the top token's computed mass is 0.3999999984 < 0.4; in real
    // arithmetic it reaches 0.4 and is the whole nucleus
    assertProbs(distribution(logitsOf(0.4, 0.3, 0.2, 0.1), 1.0, 0, 0.4, 0.0), 1, 0, 0, 0);
    assertProbs(distribution(logitsOf(0.6, 0.25, 0.15), 1.0, 0, 0.6, 0.0), 1, 0, 0);
  }

  @Test
  void topPOrdersByProbabilityNotById() {
    float[] logits = logitsOf(0.05, 0.3, 0.5, 0.15);
    assertProbs(distribution(logits, 1.0, 0, 0.8, 0.0), 0, 0.375, 0.625, 0);
    assertProbs(distribution(logits, 1.0, 0, 0.81, 0.0), normalised(0, 0.3, 0.5, 0.15));
  }

  @Test
  void topPBreaksTiesByLowerTokenId() {
    // order: token 2 (0.4), then the tie 0 before 1; 0.4 < 0.6 keeps token 0, 0.7 >= 0.6 drops 1
    float[] logits = logitsOf(0.3, 0.3, 0.4);
    assertProbs(distribution(logits, 1.0, 0, 0.6, 0.0), 3.0 / 7, 0, 4.0 / 7);
  }

  /** Straightforward top-k/top-p by a full sort, to check the selection code on big rows. */
  private static boolean[] referenceKept(float[] logits, int topK, double topP) {
    int n = logits.length;
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparing(i -> i));
    double kth = topK > 0 && topK < n ? logits[order[topK - 1]] : Double.NEGATIVE_INFINITY;
    double max = logits[order[0]];
    double z = 0;
    for (float v : logits) {
      z += v >= kth ? Math.exp(v - max) : 0;
    }
    boolean[] kept = new boolean[n];
    double before = 0;
    for (int r = 0; r < n; r++) {
      int i = order[r];
      double p = logits[i] >= kth ? Math.exp(logits[i] - max) / z : 0;
      if (p == 0 || (topP < 1 && r > 0 && before >= topP - LogitsProcessing.TOP_P_TOLERANCE)) {
        break;
      }
      kept[i] = true;
      before += p;
    }
    return kept;
  }

  @Test
  void topKAndTopPOnLargeRowsMatchAFullSort() {
    Random random = new Random(42);
    int n = 5000;
    for (int trial = 0; trial < 30; trial++) {
      float[] logits = new float[n];
      for (int i = 0; i < n; i++) {
        // coarse values so that many logits tie; a few masked tokens
        logits[i] = random.nextInt(50) == 0 ? NEG_INF : Math.round(random.nextGaussian() * 8) / 2f;
      }
      int topK = new int[] {0, 1, 7, 100, 4999}[trial % 5];
      double topP = new double[] {0.05, 0.5, 0.9, 0.99, 1.0, 0.3}[trial % 6];
      double[] probs = distribution(logits, 1.0, topK, topP, 0.0);
      boolean[] expected = referenceKept(logits, topK, topP);
      for (int i = 0; i < n; i++) {
        assertThat(probs[i] > 0).as("trial %d token %d", trial, i).isEqualTo(expected[i]);
      }
      assertThat(Arrays.stream(probs).sum()).isCloseTo(1.0, within(1e-12));
    }
  }

  @Test
  void topPOnManyShortRowsMatchesAFullSort() {
    // rows just above the sort-only size, so the selection often ends on a pivot
    Random random = new Random(7);
    for (int trial = 0; trial < 2000; trial++) {
      int n = 33 + random.nextInt(64);
      float[] logits = new float[n];
      for (int i = 0; i < n; i++) {
        logits[i] = (float) (random.nextGaussian() * 2);
      }
      double topP = 0.05 + 0.9 * random.nextDouble();
      double[] probs = distribution(logits, 1.0, 0, topP, 0.0);
      boolean[] expected = referenceKept(logits, 0, topP);
      for (int i = 0; i < n; i++) {
        assertThat(probs[i] > 0).as("trial %d token %d", trial, i).isEqualTo(expected[i]);
      }
    }
  }

  // ---- min-p and combinations ----

  @Test
  void minPKeepsTokensAtLeastMinPTimesTheMax() {
    float[] logits = logitsOf(0.15, 0.5, 0.05, 0.3);
    // cut 0.2 * 0.5 = 0.1
    assertProbs(distribution(logits, 1.0, 0, 1.0, 0.2), normalised(0.15, 0.5, 0, 0.3));
    // cut 0.5 * 0.5 = 0.25
    assertProbs(distribution(logits, 1.0, 0, 1.0, 0.5), 0, 0.625, 0, 0.375);
    // cut 0.5: only the max
    assertProbs(distribution(logits, 1.0, 0, 1.0, 1.0), 0, 1, 0, 0);
  }

  @Test
  void minPIsRelativeToTheMaxNotAbsolute() {
    // a flat distribution: max 0.1, cut 0.05 keeps everything although no p >= 0.5
    float[] logits = new float[10];
    double[] probs = new double[10];
    assertThat(LogitsProcessing.samplingDistribution(logits, 1.0, 0, 1.0, 0.5, probs)).isEqualTo(10);
  }

  @Test
  void topKIsAppliedBeforeTopP() {
    float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
    // alone, top-p 0.75 keeps 3 (0.7 < 0.75)
    assertProbs(distribution(logits, 1.0, 0, 0.75, 0.0), normalised(0.4, 0.3, 0.2, 0));
    // after top-k 3 the mass before token 2 is 0.7 / 0.9 = 0.78 >= 0.75: 2 tokens
    assertProbs(distribution(logits, 1.0, 3, 0.75, 0.0), 4.0 / 7, 3.0 / 7, 0, 0);
  }

  @Test
  void temperatureIsAppliedBeforeTopP() {
    float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
    assertProbs(distribution(logits, 1.0, 0, 0.8, 0.0), 0.625, 0.375, 0, 0);
    // T = 2: p ~ sqrt(p) = [0.379, 0.294, 0.208, 0.120]; mass before token 2 is 0.673 < 0.8
    double[] flat = normalised(Math.sqrt(0.5), Math.sqrt(0.3), Math.sqrt(0.15), Math.sqrt(0.05));
    assertProbs(distribution(logits, 2.0, 0, 0.8, 0.0), normalised(flat[0], flat[1], flat[2], 0));
  }

  @Test
  void minPAfterTopPIsTheIntersection() {
    float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
    // top-p 0.9 keeps 3; min-p 0.5 cuts below 0.25
    assertProbs(distribution(logits, 1.0, 0, 0.9, 0.5), 0.625, 0.375, 0, 0);
    // min-p 0.2 (cut 0.1) alone keeps 3; top-p 0.8 keeps 2
    assertProbs(distribution(logits, 1.0, 0, 0.8, 0.2), 0.625, 0.375, 0, 0);
    // all four: top-k 3, T 1, top-p 0.99 (keeps the 3), min-p 0.4 (cut 0.2)
    assertProbs(distribution(logits, 1.0, 3, 0.99, 0.4), 0.625, 0.375, 0, 0);
  }

  // ---- sample ----

  private static float[] randomRow(int n, long seed) {
    Random random = new Random(seed);
    float[] logits = new float[n];
    for (int i = 0; i < n; i++) {
      logits[i] = (float) (random.nextGaussian() * 3);
    }
    return logits;
  }

  @Test
  void sampleWithFixedSeedReproducesExactly() {
    float[] logits = randomRow(1000, 1);
    SamplingParams p = SamplingParams.defaults().withTopP(0.9).withTopK(200).withTemperature(0.8);
    int[] first = new int[200];
    int[] second = new int[200];
    int[] otherSequence = new int[200];
    SplittableRandom a = LogitsProcessing.rngFor(123, 0);
    SplittableRandom b = LogitsProcessing.rngFor(123, 0);
    SplittableRandom c = LogitsProcessing.rngFor(123, 1);
    for (int i = 0; i < 200; i++) {
      TokenChoice choice = LogitsProcessing.sample(logits, null, 0, p, a);
      first[i] = choice.tokenId();
      assertThat(choice.logprob()).isEqualTo(LogitsProcessing.logProb(logits, 0.8, first[i]));
      second[i] = LogitsProcessing.sample(logits, null, 0, p, b).tokenId();
      otherSequence[i] = LogitsProcessing.sample(logits, null, 0, p, c).tokenId();
    }
    assertThat(second).containsExactly(first);
    assertThat(otherSequence).isNotEqualTo(first);
  }

  @Test
  void sampleUsesOneUniformPerTokenAndTheInverseCdfInIdOrder() {
    float[] logits = logitsOf(0.1, 0.2, 0.3, 0.4);
    SamplingParams p = SamplingParams.defaults();
    SplittableRandom rng = LogitsProcessing.rngFor(5, 2);
    SplittableRandom twin = LogitsProcessing.rngFor(5, 2);
    for (int i = 0; i < 100; i++) {
      double u = twin.nextDouble();
      int expected = u < 0.1 ? 0 : u < 0.3 ? 1 : u < 0.6 ? 2 : 3;
      if (Math.abs(u - 0.1) > 1e-6 && Math.abs(u - 0.3) > 1e-6 && Math.abs(u - 0.6) > 1e-6) {
        assertThat(LogitsProcessing.sample(logits, null, 0, p, rng).tokenId()).isEqualTo(expected);
      } else {
        LogitsProcessing.sample(logits, null, 0, p, rng); // too close to a boundary to call
      }
    }
    assertThat(rng.nextLong()).isEqualTo(twin.nextLong());
  }

  @Test
  void drawsFollowTheKeptDistributionAndNeverAFilteredToken() {
    // top-p 0.8 keeps tokens 0, 2, 4 (mass before token 1 is 0.85); token 5 is masked
    float[] logits = logitsOf(0.4, 0.1, 0.25, 0.05, 0.2, 0);
    double[] expected = normalised(0.4, 0, 0.25, 0, 0.2, 0);
    SamplingParams p = SamplingParams.defaults().withTopP(0.8);
    SplittableRandom rng = LogitsProcessing.rngFor(2024, 0);
    int draws = 20_000;
    int[] counts = new int[6];
    for (int i = 0; i < draws; i++) {
      counts[LogitsProcessing.sample(logits, null, 0, p, rng).tokenId()]++;
    }
    assertThat(counts[1]).isZero();
    assertThat(counts[3]).isZero();
    assertThat(counts[5]).isZero();
    double chi2 = 0;
    for (int i : new int[] {0, 2, 4}) {
      double e = expected[i] * draws;
      chi2 += (counts[i] - e) * (counts[i] - e) / e;
    }
    // 2 degrees of freedom: P(chi2 > 13.8) = 0.001 for a correct sampler
    assertThat(chi2).isLessThan(13.8);
  }

  @Test
  void logprobIsOfTheRawTemperedDistributionBeforePenaltyAndTruncation() {
    float[] logits = {2f, 1f, 0f, -1f};
    float[] copy = logits.clone();
    SamplingParams p =
        SamplingParams.defaults().withTemperature(0.5).withTopK(2).withRepetitionPenalty(2.0);
    TokenChoice c = LogitsProcessing.sample(logits, new int[] {0}, 1, p, LogitsProcessing.rngFor(0, 0));
    // penalised [1, 1, 0, -1], top-k 2 keeps tokens 0 and 1
    assertThat(c.tokenId()).isIn(0, 1);
    // log softmax([4, 2, 0, -2]) at the token
    double logZ = 4 + Math.log(1 + Math.exp(-2) + Math.exp(-4) + Math.exp(-6));
    double[] raw = {4, 2, 0, -2};
    assertThat(c.logprob()).isCloseTo(raw[c.tokenId()] - logZ, within(1e-12));
    assertThat(logits).containsExactly(copy);
  }

  @Test
  void greedyPicksArgmaxLowestIdOnTiesAndUsesNoRandomness() {
    SplittableRandom rng = LogitsProcessing.rngFor(9, 0);
    SplittableRandom twin = LogitsProcessing.rngFor(9, 0);
    SamplingParams greedy = SamplingParams.greedy(10);
    TokenChoice c = LogitsProcessing.sample(new float[] {1f, 3f, 3f, 2f}, null, 0, greedy, rng);
    assertThat(c.tokenId()).isEqualTo(1);
    assertThat(c.logprob())
        .isCloseTo(3 - Math.log(Math.exp(1) + 2 * Math.exp(3) + Math.exp(2)), within(1e-12));
    assertThat(rng.nextLong()).isEqualTo(twin.nextLong());
  }

  @Test
  void greedyAppliesThePenaltyButReportsTheRawLogprobAtTemperatureOne() {
    SamplingParams p = SamplingParams.greedy(10).withRepetitionPenalty(2.0).withTemperature(0.1);
    // penalised [1.5, 2.5]: token 1 wins although token 0 has the larger raw logit
    TokenChoice c = LogitsProcessing.sample(
        new float[] {3f, 2.5f}, new int[] {0}, 1, p, LogitsProcessing.rngFor(0, 0));
    assertThat(c.tokenId()).isEqualTo(1);
    assertThat(c.logprob()).isCloseTo(2.5 - Math.log(Math.exp(3) + Math.exp(2.5)), within(1e-12));
  }

  @Test
  void negativeInfinityIsNeverChosen() {
    float[] logits = {NEG_INF, -50f, NEG_INF, -50.5f, NEG_INF};
    SplittableRandom rng = LogitsProcessing.rngFor(1, 0);
    SamplingParams p = SamplingParams.defaults().withTemperature(5.0);
    for (int i = 0; i < 2000; i++) {
      assertThat(LogitsProcessing.sample(logits, null, 0, p, rng).tokenId()).isIn(1, 3);
    }
    assertThat(LogitsProcessing.sample(logits, null, 0, SamplingParams.greedy(1), rng).tokenId())
        .isEqualTo(1);
  }

  @Test
  void badLogitRowsAreRejected() {
    SamplingParams p = SamplingParams.defaults();
    SplittableRandom rng = LogitsProcessing.rngFor(0, 0);
    assertThatThrownBy(() -> LogitsProcessing.sample(new float[] {0f, Float.NaN}, null, 0, p, rng))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> LogitsProcessing.sample(new float[] {NEG_INF, NEG_INF}, null, 0, p, rng))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-inf");
    assertThatThrownBy(() -> LogitsProcessing.sample(
            new float[] {0f, Float.POSITIVE_INFINITY}, null, 0, p, rng))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("+inf");
  }

  @Test
  void invalidWarperArgumentsAreRejected() {
    float[] logits = {0f, 1f};
    double[] probs = new double[2];
    assertThatThrownBy(() -> LogitsProcessing.samplingDistribution(logits, 0.0, 0, 1.0, 0.0, probs))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("temperature");
    assertThatThrownBy(() -> LogitsProcessing.samplingDistribution(logits, 1.0, -1, 1.0, 0.0, probs))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("top_k");
    assertThatThrownBy(() -> LogitsProcessing.samplingDistribution(logits, 1.0, 0, 0.0, 0.0, probs))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("top_p");
    assertThatThrownBy(() -> LogitsProcessing.samplingDistribution(logits, 1.0, 0, 1.0, 2.0, probs))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("min_p");
    assertThatThrownBy(() -> LogitsProcessing.samplingDistribution(logits, 1.0, 0, 1.0, 0.0,
            new double[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rngForDependsOnlyOnSeedAndIndex() {
    assertThat(LogitsProcessing.rngFor(7, 3).nextLong())
        .isEqualTo(LogitsProcessing.rngFor(7, 3).nextLong());
    long[] firsts = {
      LogitsProcessing.rngFor(7, 0).nextLong(),
      LogitsProcessing.rngFor(7, 1).nextLong(),
      LogitsProcessing.rngFor(8, 0).nextLong(),
      LogitsProcessing.rngFor(8, 1).nextLong()
    };
    assertThat(firsts).doesNotHaveDuplicates();
    assertThatThrownBy(() -> LogitsProcessing.rngFor(7, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
