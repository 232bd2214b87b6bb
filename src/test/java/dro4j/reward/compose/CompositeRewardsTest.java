package dro4j.reward.compose;

import static dro4j.reward.TextGroups.diag;
import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.reward.verifiable.AnswerExtraction;
import dro4j.reward.verifiable.NumericMatchReward;
import dro4j.reward.verifiable.RougeReward;
import dro4j.reward.verifiable.ThinkFormatReward;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** weighted_sum, gated, par and normalize over fixed and real rewards. */
class CompositeRewardsTest {
  static final RolloutGroup TWO = group("", "x", "y");

  @Test
  void weightedSumLogsEveryComponent() {
    var sum = new WeightedSum(List.of(
        new WeightedSum.Component(new FixedReward("a", new double[] {1, 0}), 2),
        new WeightedSum.Component(new FixedReward("b", new double[] {0.5, 1}), -1),
        new WeightedSum.Component(new FixedReward("a", new double[] {0, 3}), 1)));
    RewardResult r = result(sum, TWO);
    assertThat(r.scores()).containsExactly(1.5, 2.0);
    assertThat(r.diagnostics().keySet()).containsExactly("a", "a/note", "b", "b/note", "a#2", "a#2/note");
    assertThat((double[]) r.diagnostics().get("b")).containsExactly(0.5, 1);
    assertThat(r.diagnostics().get("a#2/note")).isEqualTo("a0");
    assertThatThrownBy(() -> new WeightedSum(List.of())).isInstanceOf(BadInputException.class);
  }

  @Test
  void gatedCountsFormatOnlyForCorrectAnswers() {
    var gated = new GatedReward(List.of(
        new GatedReward.Tier(new NumericMatchReward(AnswerExtraction.auto(), 1e-6), 1.0, 1.0),
        new GatedReward.Tier(ThinkFormatReward.standard(), 0.5, Double.NaN)));
    RewardResult r = result(gated, group("5",
        "<think>2+3</think> The answer is 5", "The answer is 5", "<think>2+3</think> The answer is 6"));
    assertThat(r.scores()).containsExactly(1.5, 1.0, 0.0);
    assertThat(diag(r, "think_format/counted")).containsExactly(true, true, false);
    assertThat((double[]) r.diagnostics().get("think_format")).containsExactly(1, 0, 1);
    assertThatThrownBy(() -> new GatedReward(List.of(
        new GatedReward.Tier(new FixedReward("a"), 1, Double.NaN), new GatedReward.Tier(new FixedReward("b"), 1, 0))))
        .hasMessageContaining("needs a threshold");
  }

  @Test
  void parAgainstReferenceResponses() {
    var rouge = new RougeReward(RougeReward.Type.ROUGE1, RougeReward.Measure.F1, false, AnswerExtraction.auto());
    var par = new PreferenceAsReward(rouge, PreferenceAsReward.DEFAULT_REFERENCE_KEY);
    Example ex = new Example("p", Map.of(), "the cat sat",
        Map.of("reference_responses", List.of("the cat", "a dog")));
    RewardResult r = result(par, group(ex, "the cat sat", "dogs"));
    // rollout rewards 1 and 0; reference rewards: "the cat" F1 = 0.8, "a dog" 0
    assertThat((double[]) r.diagnostics().get("reference_rewards")).containsExactly(new double[] {0.8, 0}, within(1e-12));
    assertThat(r.scores()[0]).isCloseTo((Shaping.sigmoid(0.2) + Shaping.sigmoid(1)) / 2, within(1e-12));
    assertThat(r.scores()[1]).isCloseTo((Shaping.sigmoid(-0.8) + Shaping.sigmoid(0)) / 2, within(1e-12));
    // no listed responses: the reference answer is the one reference response (reward 1)
    assertThat(result(par, group("the cat sat", "the cat sat")).scores()).containsExactly(0.5);
    Example bad = new Example("b", Map.of(), "x", Map.of("reference_responses", "not a list"));
    assertThatThrownBy(() -> result(par, group(bad, "x"))).hasMessageContaining("non-empty list");
  }

  @Test
  void normalizeThenClip() {
    var norm = new NormalizedReward(new FixedReward("a", new double[] {1, 2, 3, 4}), Normalization.GROUP_ZSCORE, -1, 1, 0);
    RewardResult r = result(norm, group("", "1", "2", "3", "4"));
    double z = 0.5 / Math.sqrt(1.25);
    assertThat(r.scores()).containsExactly(new double[] {-1, -z, z, 1}, within(1e-12));
    assertThat((double[]) r.diagnostics().get("raw")).containsExactly(1, 2, 3, 4);
    assertThat(norm.name()).isEqualTo("a");
    // batch statistics cross groups
    var batch = new NormalizedReward(new FixedReward("a", new double[] {0, 1}, new double[] {2, 4}),
        Normalization.BATCH_MIN_MAX, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0);
    List<RewardResult> rs = batch.score(List.of(group("", "a", "b"), group("", "c", "d")), RewardContext.textOnly());
    assertThat(rs.get(0).scores()).containsExactly(0, 0.25);
    assertThat(rs.get(1).scores()).containsExactly(0.5, 1);
    assertThatThrownBy(() -> new NormalizedReward(new FixedReward("a"), Normalization.NONE, 1, 0, 0))
        .hasMessageContaining("clip");
  }
}
