package dro4j.reward.likelihood;

import static dro4j.reward.likelihood.RewardFixtures.groups;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each likelihood reward on sampled stories260K rollouts, scored from the generation's KV cache, against
 * the same formula evaluated on independent re-encoded scores ({@link LanguageModel#score}).
 */
class LikelihoodRewardsTest {
  static LanguageModel lm;
  static Generation generation;
  static List<RolloutGroup> groups;
  static final ReasoningSplit SPLIT = ReasoningSplit.marker(".").withOccurrence(ReasoningSplit.Occurrence.FIRST);
  static final ScoringOptions SCORING = ScoringOptions.defaults().withSplit(SPLIT);

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Fixtures.fixture("stories260K"));
    List<int[]> prompts = List.of(
        lm.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true),
        lm.tokenizer().encode("Tim had a big red ball.", true));
    generation = lm.generate(prompts, SamplingParams.defaults().withMaxNewTokens(20).withSeed(21).withNumReturnSequences(5), true);
    groups = groups(generation, List.of("She was happy.", "He threw the ball to his dog."));
  }

  @AfterAll
  static void close() {
    generation.close();
    lm.close();
  }

  private static RewardContext cached() {
    return new RewardContext(lm, null, generation, 0);
  }

  private static ReasoningSplit.Split split(Rollout r) {
    return SPLIT.split(r, lm.tokenizer(), lm.eosTokenIds());
  }

  /** Reference scores after prompt + reasoning, re-encoded one rollout at a time. */
  private static TokenScores independent(RolloutGroup g, Rollout r) {
    return lm.score(ReferenceScorer.concat(g.promptIds(), split(r).reasoningIds()), lm.tokenizer().encode(g.reference(), false));
  }

  private static void assertKvCache(List<RewardResult> results) {
    for (RewardResult r : results) {
      assertThat(r.diagnostics().get("kv_cache")).isEqualTo(true);
    }
  }

  @Test
  void sumAndMeanLogProb() {
    List<RewardResult> sum = ReferenceLogProbReward.sum().score(groups, cached());
    List<RewardResult> mean = new ReferenceLogProbReward(SCORING, ReferenceLogProbReward.Aggregation.MEAN).score(groups, cached());
    List<RewardResult> sumSplit = new ReferenceLogProbReward(SCORING, ReferenceLogProbReward.Aggregation.SUM).score(groups, cached());
    assertKvCache(sum);
    for (int k = 0; k < groups.size(); k++) {
      RolloutGroup g = groups.get(k);
      for (int i = 0; i < g.size(); i++) {
        TokenScores s = independent(g, g.rollouts().get(i));
        // cache and re-encoding are two batch layouts: each log-prob within the fixture tolerance 1e-4
        assertThat(sumSplit.get(k).scores()[i]).isCloseTo(s.sum(), offset(s.length() * 1e-4));
        assertThat(mean.get(k).scores()[i]).isCloseTo(s.sum() / s.length(), offset(1e-4));
      }
    }
    // the default split (</think>) never matches here: the whole rollout is the reasoning
    assertThat(sum.get(0).scores()).isNotEqualTo(sumSplit.get(0).scores());
  }

  @Test
  void veriFreeProbability() {
    List<RewardResult> r = new VeriFreeReward(SCORING).score(groups, cached());
    assertKvCache(r);
    for (int k = 0; k < groups.size(); k++) {
      RolloutGroup g = groups.get(k);
      for (int i = 0; i < g.size(); i++) {
        TokenScores s = independent(g, g.rollouts().get(i));
        double expected = Math.exp(s.sum());
        assertThat(r.get(k).scores()[i]).isBetween(0.0, 1.0);
        // the log of the probability is a sum of n log-probs, each within the fixture tolerance 1e-4
        assertThat(Math.log(r.get(k).scores()[i])).isCloseTo(Math.log(expected), offset(s.length() * 1e-4));
      }
    }
  }

  @Test
  void rlprDebiasedMeanProbability() {
    RlprReward rlpr = new RlprReward(RlprReward.Config.defaults().withScoring(SCORING));
    List<RewardResult> r = rlpr.score(groups, cached());
    assertKvCache(r);
    List<RewardResult> raw = new RlprReward(RlprReward.Config.defaults().withScoring(SCORING).withDebias(false)).score(groups, cached());
    int clipped = 0;
    for (int k = 0; k < groups.size(); k++) {
      RolloutGroup g = groups.get(k);
      int[] ref = lm.tokenizer().encode(g.reference(), false);
      double r0 = RlprReward.meanProbability(lm.score(g.promptIds(), ref).logprobs());
      assertThat((double) r.get(k).diagnostics().get("no_reasoning_probability")).isCloseTo(r0, offset(1e-5));
      for (int i = 0; i < g.size(); i++) {
        double ri = RlprReward.meanProbability(independent(g, g.rollouts().get(i)).logprobs());
        assertThat(raw.get(k).scores()[i]).isCloseTo(ri, offset(1e-5));
        assertThat(r.get(k).scores()[i]).isCloseTo(Math.max(0, ri - r0), offset(1e-5));
        clipped += ri < r0 ? 1 : 0;
      }
    }
    // stories260K's sampled first sentences make these references less likely than the prompt alone
    System.out.printf("RLPR: %d of 10 sampled rollouts clipped to 0 by the no-reasoning debias%n", clipped);
    assertThat(clipped).isGreaterThan(0);
  }

  @Test
  void rlprDebiasKeepsWhatTheReasoningAdds() {
    // hand-written reasonings (no cache): naming Lily makes the reference likelier than no reasoning
    RolloutGroup g = RewardFixtures.handWritten(lm, R3MotivatingCaseTest.PROMPT, R3MotivatingCaseTest.REFERENCE,
        R3MotivatingCaseTest.REASONINGS);
    ScoringOptions whole = ScoringOptions.defaults().withSplit(ReasoningSplit.wholeRollout());
    RewardResult r = new RlprReward(RlprReward.Config.defaults().withScoring(whole)).score(List.of(g), RewardContext.of(lm)).get(0);
    double[] raw = (double[]) r.diagnostics().get("mean_probability");
    double r0 = (double) r.diagnostics().get("no_reasoning_probability");
    System.out.printf("RLPR on the motivating case: no-reasoning %.4f, raw %s, debiased %s%n", r0, Arrays.toString(raw),
        Arrays.toString(r.scores()));
    for (int i = 0; i < raw.length; i++) {
      assertThat(r.scores()[i]).isCloseTo(Math.max(0, raw[i] - r0), offset(1e-12));
    }
    assertThat(Arrays.stream(r.scores()).filter(v -> v > 0).count()).isGreaterThan(0);
    // like the plain sum, RLPR's mean token probability is blind to the name: the park-and-birds
    // reasoning with the wrong name scores highest (measured 0.107 against 0.050 for the best Lily one)
    for (int i : R3MotivatingCaseTest.CONSISTENT) {
      assertThat(r.scores()[4]).isGreaterThan(r.scores()[i]);
    }
  }

  @Test
  void rlprStdFilterFlagsGroupsOnTheModel() {
    // raw mean probabilities (the debiased ones are all 0 on these rollouts, see above)
    RlprReward rlpr = new RlprReward(RlprReward.Config.defaults().withScoring(SCORING).withDebias(false).withStdFilter(true));
    List<RewardResult> r = rlpr.score(groups, cached());
    assertThat(rlpr.threshold()).isGreaterThan(0);
    int filtered = 0;
    for (RewardResult res : r) {
      if ((boolean) res.diagnostics().get("std_filtered")) {
        filtered++;
        double[] s = res.scores();
        assertThat(Arrays.stream(s).distinct().count()).isEqualTo(1);
      }
    }
    // two groups, the threshold starts at their mean std: exactly the less varied one is filtered
    assertThat(filtered).isEqualTo(1);
  }

  @Test
  void noverRanksByReasoningPerplexity() {
    NoverReward nover = new NoverReward(NoverReward.Config.defaults().withScoring(SCORING));
    List<RewardResult> r = nover.score(groups, cached());
    assertKvCache(r);
    for (int k = 0; k < groups.size(); k++) {
      RolloutGroup g = groups.get(k);
      double[] ppl = new double[g.size()];
      boolean[] valid = new boolean[g.size()];
      for (int i = 0; i < g.size(); i++) {
        Rollout ro = g.rollouts().get(i);
        ppl[i] = NoverReward.reasoningPerplexity(independent(g, ro).logprobs(), split(ro).reasoningIds().length);
        valid[i] = split(ro).found();
      }
      // log perplexity is a mean of log-probs (over a length normaliser >= 1), each within 1e-4
      double[] own = (double[]) r.get(k).diagnostics().get("perplexity");
      for (int i = 0; i < g.size(); i++) {
        assertThat(Math.log(own[i])).as("rollout %d", i).isCloseTo(Math.log(ppl[i]), offset(1e-4));
      }
      // ranked by the reward's own perplexities: the independent ones come from other batch layouts, where
      // two perplexities within rounding of each other could swap places
      assertThat(r.get(k).scores()).containsExactly(NoverReward.rankRewards(own, valid), offset(1e-12));
      assertThat(Arrays.stream(r.get(k).scores()).allMatch(v -> v >= 0 && v <= 1)).isTrue();
    }
    // negated perplexity output
    List<RewardResult> neg = new NoverReward(NoverReward.Config.defaults().withScoring(SCORING)
        .withOutput(NoverReward.Output.NEGATIVE_PERPLEXITY).withRequireSplit(false)).score(groups, cached());
    double[] ppl0 = (double[]) neg.get(0).diagnostics().get("perplexity");
    for (int i = 0; i < ppl0.length; i++) {
      assertThat(neg.get(0).scores()[i]).isEqualTo(-ppl0[i]);
    }
  }

  @Test
  void followUpLikelihoodAfterTheWholeResponse() {
    String positive = " The end.";
    String negative = " What?";
    FollowUpLikelihoodReward flr = new FollowUpLikelihoodReward(
        FollowUpLikelihoodReward.Config.of(positive).withNegative(List.of(negative)));
    List<RewardResult> r = flr.score(groups, cached());
    assertKvCache(r);
    List<Integer> eos = lm.eosTokenIds();
    for (int k = 0; k < groups.size(); k++) {
      RolloutGroup g = groups.get(k);
      for (int i = 0; i < g.size(); i++) {
        int[] ids = g.rollouts().get(i).ids();
        int n = ids.length;
        while (n > 0 && eos.contains(ids[n - 1])) {
          n--;
        }
        int[] context = ReferenceScorer.concat(g.promptIds(), Arrays.copyOf(ids, n));
        TokenScores p = lm.score(context, lm.tokenizer().encode(positive, false));
        TokenScores q = lm.score(context, lm.tokenizer().encode(negative, false));
        assertThat(r.get(k).scores()[i]).isCloseTo(p.sum() / p.length() - q.sum() / q.length(), offset(1e-4));
      }
    }
    // re-encoding gives the same
    List<RewardResult> fresh = flr.score(groups, RewardContext.of(lm));
    assertThat(fresh.get(0).diagnostics().get("kv_cache")).isEqualTo(false);
    assertThat(RewardFixtures.maxAbsDiff(fresh.get(1).scores(), r.get(1).scores())).isLessThan(1e-4);
  }

  @Test
  void rewardsHaveDistinctNames() {
    List<Reward> all = new ArrayList<>(List.of(new ReasoningReflectionReward(), ReferenceLogProbReward.sum(),
        ReferenceLogProbReward.mean(), new VeriFreeReward(), new RlprReward(), new NoverReward(),
        new FollowUpLikelihoodReward(FollowUpLikelihoodReward.Config.of("Thanks"))));
    assertThat(all.stream().map(Reward::name).distinct().count()).isEqualTo(all.size());
  }
}
