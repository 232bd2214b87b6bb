package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.data.Example;
import dro4j.reward.KeywordReward;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardScoringTest {
  private static RolloutGroup group(String... texts) {
    List<Rollout> rollouts = new java.util.ArrayList<>();
    for (String t : texts) rollouts.add(Rollout.ofText(t));
    return new RolloutGroup(new Example("e", Map.of("prompt", "p"), "", Map.of()), new int[] {1}, rollouts);
  }

  @Test
  void weightedSumOfRewardsWithEachKeptUnderItsName() {
    Reward length = new Reward.PerRollout() {
      @Override
      public String name() {
        return "length";
      }

      @Override
      public double score(Rollout r, RolloutGroup g) {
        return r.text().length();
      }
    };
    RewardScoring scoring = new RewardScoring(List.of(
        new RewardScoring.Weighted(new KeywordReward(List.of("ball")), 2.0),
        new RewardScoring.Weighted(length, -0.5),
        new RewardScoring.Weighted(new KeywordReward(List.of("dog")), 1.0)));
    assertThat(scoring.names()).containsExactly("keyword", "length", "keyword#2");
    RewardScoring.Scores s = scoring.score(List.of(group("a ball.", "dog"), group("x")), RewardContext.textOnly());
    assertThat(s.perReward().get("keyword")).containsExactly(1.0, 0.0, 0.0);
    assertThat(s.perReward().get("length")).containsExactly(7.0, 3.0, 1.0);
    assertThat(s.total()).containsExactly(2.0 - 3.5, -1.5 + 1.0, -0.5);
    assertThat(s.nonFinite()).isZero();
  }

  @Test
  void nonFiniteScoresArePassedThroughForTheGuard() {
    assertThat(RewardScoring.weightedSum(new double[][] {{1, Double.NaN}, {1, 1}}, new double[] {1, 1}))
        .containsExactly(2.0, Double.NaN);
    assertThatThrownBy(() -> new RewardScoring(List.of())).hasMessageContaining("no rewards");
    assertThatThrownBy(() -> new RewardScoring.Weighted(new KeywordReward(List.of("a")), Double.NaN))
        .hasMessageContaining("finite");
  }
}
