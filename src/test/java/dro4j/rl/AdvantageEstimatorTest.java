package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class AdvantageEstimatorTest {
  private static final double EPS = 1e-4;

  // rows 0, 2, 4 are prompt 7 (rewards 1, 2, 4); rows 1, 3 are prompt 3 (rewards 0, 1)
  private static final double[] REWARDS = {1, 0, 2, 1, 4};
  private static final int[] IDS = {7, 3, 7, 3, 7};
  // prompt 7: mean 7/3, unbiased variance ((4/3)^2 + (1/3)^2 + (5/3)^2) / 2 = 7/3
  private static final double MEAN7 = 7.0 / 3;
  private static final double STD7 = Math.sqrt(7.0 / 3);
  // prompt 3: mean 1/2, unbiased variance 2 * (1/2)^2 / 1 = 1/2
  private static final double MEAN3 = 0.5;
  private static final double STD3 = Math.sqrt(0.5);
  // all five: mean 8/5, squared deviations .36 + 2.56 + .16 + .36 + 5.76 = 9.2, / 4 = 2.3
  private static final double STD_BATCH = Math.sqrt(2.3);

  @Test
  void groupScalingDividesByTheUnbiasedGroupStd() {
    Advantages a = AdvantageEstimator.byName("grpo").compute(REWARDS, IDS, ScaleRewards.GROUP, false);
    assertThat(a.advantages())
        .containsExactly(
            new double[] {
              (1 - MEAN7) / (STD7 + EPS),
              (0 - MEAN3) / (STD3 + EPS),
              (2 - MEAN7) / (STD7 + EPS),
              (1 - MEAN3) / (STD3 + EPS),
              (4 - MEAN7) / (STD7 + EPS)
            },
            within(1e-12));
    assertThat(a.keptRows()).containsExactly(0, 1, 2, 3, 4);
    assertThat(a.numGroups()).isEqualTo(2);
    assertThat(a.numZeroStdGroups()).isZero();
    assertThat(a.fracRewardZeroStd()).isZero();
  }

  @Test
  void batchScalingKeepsTheGroupMeanButDividesByTheBatchStd() {
    // TRL GRPOTrainer: advantages = rewards - group mean; std_rewards = nanstd(rewards) of the batch
    Advantages a = AdvantageEstimator.GRPO.compute(REWARDS, IDS, ScaleRewards.BATCH, false);
    assertThat(a.advantages())
        .containsExactly(
            new double[] {
              (1 - MEAN7) / (STD_BATCH + EPS),
              (0 - MEAN3) / (STD_BATCH + EPS),
              (2 - MEAN7) / (STD_BATCH + EPS),
              (1 - MEAN3) / (STD_BATCH + EPS),
              (4 - MEAN7) / (STD_BATCH + EPS)
            },
            within(1e-12));
  }

  @Test
  void noScalingOnlyCentres() {
    Advantages a = AdvantageEstimator.GRPO.compute(REWARDS, IDS, ScaleRewards.byName("none"), false);
    assertThat(a.advantages())
        .containsExactly(new double[] {1 - MEAN7, -MEAN3, 2 - MEAN7, 1 - MEAN3, 4 - MEAN7}, within(1e-12));
  }

  @Test
  void statisticsOfRewardsAndAdvantages() {
    Advantages a = AdvantageEstimator.GRPO.compute(REWARDS, IDS, ScaleRewards.NONE, false);
    assertThat(a.rewardMean()).isCloseTo(1.6, within(1e-12));
    assertThat(a.rewardStd()).isCloseTo(STD_BATCH, within(1e-12));
    // centred advantages sum to 0 per group; squares: 16/9 + 1/9 + 25/9 + 1/4 + 1/4 = 42/9 + 1/2
    assertThat(a.advantageMean()).isCloseTo(0, within(1e-12));
    assertThat(a.advantageStd()).isCloseTo(Math.sqrt((42.0 / 9 + 0.5) / 4), within(1e-12));
  }

  @Test
  void groupsAsArraysGiveTheSameAdvantagesInRowMajorOrder() {
    Advantages byArrays =
        AdvantageEstimator.GRPO.compute(new double[][] {{1, 2, 4}, {0, 1}}, ScaleRewards.GROUP, false);
    assertThat(byArrays.advantages())
        .containsExactly(
            new double[] {
              (1 - MEAN7) / (STD7 + EPS),
              (2 - MEAN7) / (STD7 + EPS),
              (4 - MEAN7) / (STD7 + EPS),
              (0 - MEAN3) / (STD3 + EPS),
              (1 - MEAN3) / (STD3 + EPS)
            },
            within(1e-12));
  }

  @Test
  void matchesTheAdvantagesOfTheGrpoFixture() throws IOException {
    JsonNode j =
        new ObjectMapper()
            .readTree(Fixtures.fixture("stories260K-reference", "grpo_loss.json").toFile());
    double[] rewards = doubles(j.get("rewards"));
    double[] expected = doubles(j.get("advantages"));
    Advantages a = AdvantageEstimator.GRPO.compute(new double[][] {rewards}, ScaleRewards.GROUP, false);
    // the fixture was computed by torch in float32
    assertThat(a.advantages()).containsExactly(expected, within(1e-6));
    // and by hand: mean 0.4375, unbiased std sqrt(0.546875 / 3)
    assertThat(a.get(0)).isCloseTo(0.5625 / (Math.sqrt(0.546875 / 3) + 1e-4), within(1e-12));
  }

  @Test
  void zeroVarianceGroupsAreCountedAndOptionallyDropped() {
    double[][] groups = {{1, 1, 1}, {0, 1}, {0.5, 0.5}};
    Advantages kept = AdvantageEstimator.GRPO.compute(groups, ScaleRewards.GROUP, false);
    assertThat(kept.numZeroStdGroups()).isEqualTo(2);
    assertThat(kept.fracRewardZeroStd()).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(kept.keptRows()).containsExactly(0, 1, 2, 3, 4, 5, 6);
    assertThat(kept.advantages())
        .containsExactly(
            new double[] {0, 0, 0, -0.5 / (STD3 + EPS), 0.5 / (STD3 + EPS), 0, 0}, within(1e-12));

    Advantages dropped = AdvantageEstimator.GRPO.compute(groups, ScaleRewards.GROUP, true);
    assertThat(dropped.keptRows()).containsExactly(3, 4);
    assertThat(dropped.fracRewardZeroStd()).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(dropped.advantages()).containsExactly(kept.advantages(), within(1e-12));
  }

  @Test
  void dynamicSamplingTakesTheBatchStdOverTheKeptRowsOnly() {
    double[][] groups = {{1, 1, 1}, {0, 1}};
    // all five rewards 1, 1, 1, 0, 1: mean 0.8, squared deviations 4 * 0.04 + 0.64 = 0.8, / 4
    Advantages all = AdvantageEstimator.GRPO.compute(groups, ScaleRewards.BATCH, false);
    assertThat(all.get(3)).isCloseTo(-0.5 / (Math.sqrt(0.2) + EPS), within(1e-12));
    // kept rewards 0, 1: std sqrt(1/2)
    Advantages kept = AdvantageEstimator.GRPO.compute(groups, ScaleRewards.BATCH, true);
    assertThat(kept.get(3)).isCloseTo(-0.5 / (STD3 + EPS), within(1e-12));
    assertThat(kept.get(0)).isZero();
  }

  @Test
  void nearlyEqualRewardsCountAsZeroStdLikeTorchIsclose() {
    // 0.1 + 0.2 != 0.3 in doubles, yet the std (~3e-17) is "zero"
    Advantages a =
        AdvantageEstimator.GRPO.compute(new double[][] {{0.1 + 0.2, 0.3}}, ScaleRewards.GROUP, true);
    assertThat(a.numZeroStdGroups()).isEqualTo(1);
    assertThat(a.keptRows()).isEmpty();
    Advantages b =
        AdvantageEstimator.GRPO.compute(new double[][] {{0, 1e-6}}, ScaleRewards.GROUP, true);
    assertThat(b.numZeroStdGroups()).isZero();
  }

  @Test
  void aSingleRolloutHasNoBaselineAndNoAdvantage() {
    Advantages a =
        AdvantageEstimator.GRPO.compute(new double[][] {{5}, {0, 2}}, ScaleRewards.NONE, false);
    assertThat(a.advantages()).containsExactly(new double[] {0, -1, 1}, within(1e-15));
    assertThat(a.numZeroStdGroups()).isEqualTo(1);
    Advantages r =
        AdvantageEstimator.RLOO.compute(new double[][] {{5}, {0, 2}}, ScaleRewards.NONE, false);
    assertThat(r.get(0)).isZero();
  }

  @Test
  void rlooSubtractsTheMeanOfTheOtherRollouts() {
    Advantages a =
        AdvantageEstimator.byName("RLOO").compute(new double[][] {{1, 2, 4}}, ScaleRewards.NONE, false);
    // 1 - (2+4)/2, 2 - (1+4)/2, 4 - (1+2)/2
    assertThat(a.advantages()).containsExactly(new double[] {-2, -0.5, 2.5}, within(1e-12));
    Advantages scaled =
        AdvantageEstimator.RLOO.compute(new double[][] {{1, 2, 4}}, ScaleRewards.GROUP, false);
    assertThat(scaled.get(2)).isCloseTo(2.5 / (STD7 + EPS), within(1e-12));
  }

  @Test
  void namesResolveAndUnknownNamesAreRejected() {
    assertThat(AdvantageEstimator.byName(" grpo ")).isEqualTo(AdvantageEstimator.GRPO);
    assertThat(ScaleRewards.byName("group")).isEqualTo(ScaleRewards.GROUP);
    assertThat(ScaleRewards.byName("BATCH")).isEqualTo(ScaleRewards.BATCH);
    assertThat(ScaleRewards.byName("true")).isEqualTo(ScaleRewards.GROUP);
    assertThat(ScaleRewards.byName("false")).isEqualTo(ScaleRewards.NONE);
    assertThatThrownBy(() -> AdvantageEstimator.byName("ppo"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("ppo")
        .hasMessageContaining("grpo, rloo");
    assertThatThrownBy(() -> ScaleRewards.byName("std")).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> ScaleRewards.byName(null)).isInstanceOf(BadInputException.class);
  }

  @Test
  void badRewardsAreRejected() {
    AdvantageEstimator e = AdvantageEstimator.GRPO;
    assertThatThrownBy(() -> e.compute(new double[] {1, Double.NaN}, new int[] {0, 0}, ScaleRewards.GROUP, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("reward 1 is NaN");
    assertThatThrownBy(
            () -> e.compute(new double[] {1, Double.POSITIVE_INFINITY}, new int[] {0, 0}, ScaleRewards.GROUP, false))
        .isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> e.compute(new double[] {1, 2}, new int[] {0}, ScaleRewards.GROUP, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("2 rewards but 1 group ids");
    assertThatThrownBy(() -> e.compute(new double[0], new int[0], ScaleRewards.GROUP, false))
        .isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> e.compute(new double[][] {{1}, {}}, ScaleRewards.GROUP, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("group 1 is empty");
    assertThatThrownBy(() -> e.compute(new double[] {1}, new int[] {0}, null, false))
        .isInstanceOf(BadInputException.class);
  }

  static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
    return out;
  }
}
