package dro4j.reward.likelihood;

import static dro4j.reward.likelihood.RewardFixtures.groups;
import static dro4j.reward.likelihood.RewardFixtures.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scoring with the reference policy and with a lagged copy; copying a model's weights. */
class ScoringPolicyTest {
  LanguageModel lm; // this test changes its weights: its own instance

  @BeforeEach
  void load() {
    lm = LanguageModel.load(Fixtures.fixture("stories260K"));
  }

  @AfterEach
  void close() {
    lm.close();
  }

  private int[] context() {
    return lm.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true);
  }

  private int[] target() {
    return lm.tokenizer().encode("She went to the park.", false);
  }

  /** Halves the final norm's weights in place: a visible change of the policy. */
  private static void perturb(LanguageModel m) {
    NDArray norm = m.transformer().parameters().get("model.norm.weight");
    norm.muli(0.5f);
  }

  @Test
  void aCopyKeepsItsWeightsUntilToldToCatchUp() {
    try (LanguageModel copy = lm.copy()) {
      TokenScores before = lm.score(context(), target());
      assertThat(maxAbsDiff(copy.score(context(), target()).logprobs(), before.logprobs())).isEqualTo(0.0);
      perturb(lm);
      TokenScores after = lm.score(context(), target());
      assertThat(maxAbsDiff(after.logprobs(), before.logprobs())).isGreaterThan(1e-2);
      assertThat(maxAbsDiff(copy.score(context(), target()).logprobs(), before.logprobs())).isEqualTo(0.0);
      copy.copyWeightsFrom(lm);
      assertThat(maxAbsDiff(copy.score(context(), target()).logprobs(), after.logprobs())).isEqualTo(0.0);
    }
  }

  @Test
  void copyingBetweenDifferentArchitecturesIsRefused() {
    try (LanguageModel qwen = LanguageModel.load(Fixtures.fixture("tiny-qwen2"))) {
      assertThatThrownBy(() -> lm.copyWeightsFrom(qwen)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void laggedPolicyRefreshesEveryNSteps() {
    List<int[]> prompts = List.of(context());
    try (Generation g = lm.generate(prompts, SamplingParams.defaults().withMaxNewTokens(12).withSeed(3).withNumReturnSequences(4), true);
        ScoringPolicy lagged = ScoringPolicy.lagged(2)) {
      List<RolloutGroup> groups = groups(g, List.of("She went to the park."));
      ReasoningReflectionReward current = new ReasoningReflectionReward();
      ReasoningReflectionReward lag = new ReasoningReflectionReward(
          R3Config.defaults().withScoring(ScoringOptions.defaults().withPolicy(lagged)));
      RewardResult original = current.score(groups, new RewardContext(lm, null, g, 0)).get(0);
      RewardResult at0 = lag.score(groups, new RewardContext(lm, null, g, 0)).get(0);
      assertThat(at0.diagnostics().get("kv_cache")).isEqualTo(false); // a copy cannot use the policy's cache
      assertThat(at0.diagnostics().get("scoring_policy")).isEqualTo("lagged(2)");
      assertThat(maxAbsDiff(at0.scores(), original.scores())).isLessThan(1e-4);

      perturb(lm); // the policy trains
      double[] moved = current.score(groups, RewardContext.of(lm)).get(0).scores();
      assertThat(maxAbsDiff(moved, original.scores())).isGreaterThan(1e-3);
      RewardResult at1 = lag.score(groups, new RewardContext(lm, null, g, 1)).get(0);
      assertThat(maxAbsDiff(at1.scores(), original.scores())).isLessThan(1e-4); // still the step-0 weights
      assertThat(lagged.refreshedAt()).isEqualTo(0);
      RewardResult at2 = lag.score(groups, new RewardContext(lm, null, g, 2)).get(0);
      assertThat(lagged.refreshedAt()).isEqualTo(2);
      assertThat(maxAbsDiff(at2.scores(), moved)).isLessThan(1e-4); // caught up
    }
  }

  @Test
  void referencePolicyScoresWithTheReferenceModel() {
    try (LanguageModel reference = lm.copy()) {
      perturb(lm); // policy and reference now differ
      List<int[]> prompts = List.of(context());
      try (Generation g = lm.generate(prompts, SamplingParams.defaults().withMaxNewTokens(12).withSeed(4).withNumReturnSequences(3), true)) {
        List<RolloutGroup> groups = groups(g, List.of("She went to the park."));
        ReasoningReflectionReward byRef = new ReasoningReflectionReward(
            R3Config.defaults().withScoring(ScoringOptions.defaults().withPolicy(ScoringPolicy.reference())));
        RewardResult r = byRef.score(groups, new RewardContext(lm, reference, g, 0)).get(0);
        assertThat(r.diagnostics().get("kv_cache")).isEqualTo(false);
        // the same as the current-policy reward computed with the reference model as "policy"
        RewardResult expected = new ReasoningReflectionReward().score(groups, RewardContext.of(reference)).get(0);
        assertThat(maxAbsDiff(r.scores(), expected.scores())).isLessThan(1e-4);
        RewardResult byPolicy = new ReasoningReflectionReward().score(groups, new RewardContext(lm, reference, g, 0)).get(0);
        assertThat(byPolicy.diagnostics().get("kv_cache")).isEqualTo(true);
        assertThat(maxAbsDiff(byPolicy.scores(), r.scores())).isGreaterThan(1e-3);
      }
    }
  }
}
