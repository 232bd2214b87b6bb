package dro4j.reward.likelihood;

import static dro4j.reward.likelihood.RewardFixtures.advantages;
import static dro4j.reward.likelihood.RewardFixtures.groups;
import static dro4j.reward.likelihood.RewardFixtures.handWritten;
import static dro4j.reward.likelihood.RewardFixtures.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** R3 on stories260K: its properties, KV-cache scoring against re-encoding, and the paper's motivating case. */
class ReasoningReflectionRewardTest {
  static LanguageModel lm;

  static final List<String> PROMPTS = List.of(
      "Once upon a time, there was a little girl named Lily.", "Tim had a big red ball.");
  static final List<String> REFERENCES = List.of(
      "She went to the park and played with her friends.", "He threw the ball to his dog.");

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Fixtures.fixture("stories260K"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static Generation sample(int perPrompt, long seed) {
    List<int[]> prompts = PROMPTS.stream().map(p -> lm.tokenizer().encode(p, true)).toList();
    SamplingParams params = SamplingParams.defaults().withMaxNewTokens(24).withSeed(seed).withNumReturnSequences(perPrompt);
    return lm.generate(prompts, params, true);
  }

  /** Every option on, so that every scoring path (rollout rows, baseline rows) is compared. */
  private static R3Config everything() {
    ScoringOptions scoring = ScoringOptions.defaults()
        .withSplit(ReasoningSplit.marker(".").withOccurrence(ReasoningSplit.Occurrence.FIRST));
    return R3Config.defaults().withScoring(scoring)
        .withBaseline(MaskedCotBaseline.filler("Then"))
        .withPropagation(ControlledPropagation.withDecay(0.5))
        .withLengthPenalty(OutcomeLengthPenalty.of(0.1, 1.0));
  }

  private static double[] doubles(RewardResult r, String key) {
    return (double[]) r.diagnostics().get(key);
  }

  @Test
  void kvCacheScoringEqualsReencodingOnSampledRollouts() {
    try (Generation g = sample(6, 11)) {
      List<RolloutGroup> groups = groups(g, REFERENCES);
      ReasoningReflectionReward r3 = new ReasoningReflectionReward(everything());
      List<RewardResult> cached = r3.score(groups, new RewardContext(lm, null, g, 0));
      List<RewardResult> fresh = r3.score(groups, RewardContext.of(lm));
      int splitsFound = 0;
      for (int k = 0; k < groups.size(); k++) {
        assertThat(cached.get(k).diagnostics().get("kv_cache")).isEqualTo(true);
        assertThat(fresh.get(k).diagnostics().get("kv_cache")).isEqualTo(false);
        for (String key : List.of("sigma", "weights", "logprob_sum", "baseline_logprobs", "r3", "length_penalty")) {
          assertThat(maxAbsDiff(doubles(cached.get(k), key), doubles(fresh.get(k), key))).as("%s of group %d", key, k)
              .isLessThan(1e-4);
        }
        assertThat(maxAbsDiff(cached.get(k).scores(), fresh.get(k).scores())).isLessThan(1e-4);
        for (boolean f : (boolean[]) cached.get(k).diagnostics().get("split_found")) {
          splitsFound += f ? 1 : 0;
        }
      }
      // the sampled rollouts exercise real splits, not only the fallback
      assertThat(splitsFound).isGreaterThan(0);

      // token by token, through the shared machinery
      ScoringOptions scoring = everything().scoring();
      ReferenceScorer.Batch a = ReferenceScorer.scoreAfterReasoning(groups, new RewardContext(lm, null, g, 0), scoring);
      ReferenceScorer.Batch b = ReferenceScorer.scoreAfterReasoning(groups, RewardContext.of(lm), scoring);
      assertThat(a.fromCache()).isTrue();
      assertThat(b.fromCache()).isFalse();
      for (int k = 0; k < groups.size(); k++) {
        for (int i = 0; i < groups.get(k).size(); i++) {
          assertThat(maxAbsDiff(a.groups().get(k).scores().get(i).logprobs(), b.groups().get(k).scores().get(i).logprobs()))
              .isLessThan(1e-4);
        }
      }
      // a subset of the generation's groups continues a copy of just their cache rows
      List<RewardResult> second = r3.score(groups.subList(1, 2), new RewardContext(lm, null, g, 0));
      assertThat(second.get(0).diagnostics().get("kv_cache")).isEqualTo(true);
      assertThat(maxAbsDiff(second.get(0).scores(), fresh.get(1).scores())).isLessThan(1e-4);
      // groups in reverse order: every row once, reordered
      List<RewardResult> reversed = r3.score(List.of(groups.get(1), groups.get(0)), new RewardContext(lm, null, g, 0));
      assertThat(maxAbsDiff(reversed.get(0).scores(), fresh.get(1).scores())).isLessThan(1e-4);
      assertThat(maxAbsDiff(reversed.get(1).scores(), fresh.get(0).scores())).isLessThan(1e-4);
    }
  }

  @Test
  void identicalRolloutsGetIdenticalR3AndUniformWeights() {
    // greedy decoding: every rollout of a prompt is the same
    List<int[]> prompts = List.of(lm.tokenizer().encode(PROMPTS.get(0), true));
    try (Generation g = lm.generate(prompts, SamplingParams.greedy(20).withNumReturnSequences(4), true)) {
      RewardResult r = new ReasoningReflectionReward().score(groups(g, REFERENCES), new RewardContext(lm, null, g, 0)).get(0);
      double[] s = r.scores();
      for (double v : s) {
        assertThat(Math.abs(v - s[0])).isLessThan(1e-6);
      }
      double[] w = doubles(r, "weights");
      double[] uniform = new double[w.length];
      Arrays.fill(uniform, 1.0 / w.length);
      assertThat(w).containsExactly(uniform);
    }
    // identical rollouts among different ones
    RolloutGroup mixed = handWritten(lm, "Once upon a time, there was a little", "One day, Lily went to the park.",
        List.of("girl named Lily.", "boy named Tim.", "girl named Lily.", "dog."));
    RewardResult r = new ReasoningReflectionReward(R3Config.defaults().withScoring(
        ScoringOptions.defaults().withSplit(ReasoningSplit.wholeRollout()))).score(List.of(mixed), RewardContext.of(lm)).get(0);
    assertThat(Math.abs(r.scores()[0] - r.scores()[2])).isLessThan(1e-6);
    assertThat(Math.abs(r.scores()[0] - r.scores()[1])).isGreaterThan(0.1);
  }

  @Test
  void identicalRowsDifferOnlyByRoundingAndShareOneScore() {
    List<int[]> prompts = List.of(lm.tokenizer().encode(PROMPTS.get(0), true));
    try (Generation g = lm.generate(prompts, SamplingParams.greedy(20).withNumReturnSequences(4), true)) {
      RolloutGroup group = groups(g, REFERENCES).get(0);
      RewardContext ctx = new RewardContext(lm, null, g, 0);
      ReferenceScorer.Target t = ReferenceScorer.tokenizeReference(lm.tokenizer(), "", REFERENCES.get(0));
      List<ReferenceScorer.Request> requests = new java.util.ArrayList<>();
      for (int i = 0; i < group.size(); i++) {
        int[] context = ReferenceScorer.concat(group.promptIds(), group.rollouts().get(i).ids());
        requests.add(new ReferenceScorer.Request(i, context, t.referenceIds()));
      }
      // Each row scored on its own: the rows may differ, but only by float32 rounding, well below the
      // level R3's sigma treats as zero (this is the margin the bound relies on, on this CPU).
      List<TokenScores> raw = ReferenceScorer.scoreEach(requests, ctx, ScoringPolicy.current(), 1.0).scores();
      for (int j = 0; j < t.referenceIds().length; j++) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, meanAbs = 0;
        for (TokenScores s : raw) {
          lo = Math.min(lo, s.logprobs()[j]);
          hi = Math.max(hi, s.logprobs()[j]);
          meanAbs += Math.abs(s.logprobs()[j]) / raw.size();
        }
        assertThat(hi - lo).as("token %d", j).isLessThan(ReasoningReflectionReward.roundingLevel(meanAbs));
      }
      // through score(): the identical requests share the first one's scores exactly
      List<TokenScores> shared = ReferenceScorer.score(requests, ctx, ScoringPolicy.current(), 1.0).scores();
      for (TokenScores s : shared) {
        assertThat(s.logprobs()).containsExactly(shared.get(0).logprobs());
      }
      assertThat(shared.get(0).logprobs()).containsExactly(raw.get(0).logprobs());
    }
  }

  @Test
  void realLogprobsWithInjectedNoiseKeepUniformWeights() {
    // one real row of reference log-probs, copied 8 times with 1e-6 relative noise
    int[] context = lm.tokenizer().encode(PROMPTS.get(0), true);
    int[] reference = lm.tokenizer().encode(REFERENCES.get(0), false);
    float[] real = lm.scorer().score(List.of(context), List.of(reference), 1.0, lm.manager()).get(0).logprobs();
    java.util.Random random = new java.util.Random(7);
    double[][] l = new double[8][real.length];
    for (double[] row : l) {
      for (int j = 0; j < real.length; j++) {
        row[j] = real[j] * (1 + 1e-6 * (2 * random.nextDouble() - 1));
      }
    }
    ReasoningReflectionReward.GroupR3 r = ReasoningReflectionReward.compute(
        l, null, TokenWeighting.sigmaNormalised(), ControlledPropagation.off());
    assertThat(r.sigma()).containsOnly(0.0);
    assertThat(r.weights()).containsOnly(1.0 / real.length);
  }

  @Test
  void maskedCotBaselineLeavesGroupAdvantagesUnchanged() {
    try (Generation g = sample(8, 5)) {
      List<RolloutGroup> groups = groups(g, REFERENCES);
      RewardContext ctx = new RewardContext(lm, null, g, 0);
      R3Config plain = R3Config.defaults().withScoring(
          ScoringOptions.defaults().withSplit(ReasoningSplit.marker(".").withOccurrence(ReasoningSplit.Occurrence.FIRST)));
      List<RewardResult> base = new ReasoningReflectionReward(plain).score(groups, ctx);
      for (MaskedCotBaseline masked : List.of(MaskedCotBaseline.promptOnly(), MaskedCotBaseline.filler("Then"))) {
        for (ControlledPropagation prop : List.of(ControlledPropagation.off(), ControlledPropagation.withDecay(0.5))) {
          List<RewardResult> without = new ReasoningReflectionReward(plain.withPropagation(prop)).score(groups, ctx);
          List<RewardResult> with = new ReasoningReflectionReward(plain.withBaseline(masked).withPropagation(prop)).score(groups, ctx);
          for (int k = 0; k < groups.size(); k++) {
            double[] a = without.get(k).scores();
            double[] b = with.get(k).scores();
            // the baseline really moves the scores (by the same amount for every rollout)...
            double shift = b[0] - a[0];
            assertThat(Math.abs(shift)).as("%s group %d", masked.mode(), k).isGreaterThan(1e-3);
            for (int i = 0; i < a.length; i++) {
              assertThat(b[i] - a[i]).isCloseTo(shift, org.assertj.core.data.Offset.offset(1e-9));
            }
            // ...and the group-normalised advantages do not move
            assertThat(maxAbsDiff(advantages(a), advantages(b))).as("%s group %d", masked.mode(), k).isLessThan(1e-6);
          }
        }
      }
      assertThat(base).hasSize(2);
    }
  }

  @Test
  void lengthPenaltyAddsWeightedRLen() {
    try (Generation g = sample(4, 3)) {
      List<RolloutGroup> groups = groups(g, REFERENCES);
      RewardContext ctx = new RewardContext(lm, null, g, 0);
      R3Config plain = everything().withLengthPenalty(OutcomeLengthPenalty.off());
      RewardResult a = new ReasoningReflectionReward(plain).score(groups, ctx).get(0);
      RewardResult b = new ReasoningReflectionReward(plain.withLengthPenalty(OutcomeLengthPenalty.of(0.5, 0.25))).score(groups, ctx).get(0);
      int m = ((int[]) b.diagnostics().get("reference_ids")).length;
      int[] outcome = (int[]) b.diagnostics().get("outcome_tokens");
      for (int i = 0; i < a.scores().length; i++) {
        double rLen = 1 - 0.25 * Math.abs(m - outcome[i]) / (double) m;
        assertThat(b.scores()[i]).isCloseTo(a.scores()[i] + 0.5 * rLen, org.assertj.core.data.Offset.offset(1e-9));
      }
    }
  }

  @Test
  void emptyReferenceScoresNaNAndMissingPoliciesAreBadInput() {
    RolloutGroup g = handWritten(lm, "Once upon a time", "", List.of("there was", "a dog"));
    RewardResult r = new ReasoningReflectionReward().score(List.of(g), RewardContext.of(lm)).get(0);
    assertThat(r.scores()).containsOnly(Double.NaN);
    assertThat(r.diagnostics().get("empty_reference")).isEqualTo(true);
    RolloutGroup h = handWritten(lm, "Once upon a time", "Lily", List.of("there was"));
    R3Config ref = R3Config.defaults().withScoring(ScoringOptions.defaults().withPolicy(ScoringPolicy.reference()));
    assertThatThrownBy(() -> new ReasoningReflectionReward(ref).score(List.of(h), RewardContext.of(lm)))
        .isInstanceOf(BadInputException.class).hasMessageContaining("reference policy");
    assertThatThrownBy(() -> new ReasoningReflectionReward().score(List.of(h), RewardContext.textOnly()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("current policy");
  }
}
