package dro4j.reward.verifiable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.generate.FinishReason;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OverlongPunishmentTest {
  @Test
  void dapoFormulaWithItsDefaults() {
    int max = OverlongPunishment.DAPO_MAX_LENGTH;
    int cache = OverlongPunishment.DAPO_CACHE;
    assertThat(OverlongPunishment.penalty(0, max, cache)).isZero();
    assertThat(OverlongPunishment.penalty(16384, max, cache)).isZero(); // L_max - L_cache
    assertThat(OverlongPunishment.penalty(16385, max, cache)).isCloseTo(-1.0 / 4096, within(1e-15));
    assertThat(OverlongPunishment.penalty(18432, max, cache)).isEqualTo(-0.5);
    assertThat(OverlongPunishment.penalty(20480, max, cache)).isEqualTo(-1.0);
    assertThat(OverlongPunishment.penalty(20481, max, cache)).isEqualTo(-1.0);
  }

  @Test
  void countsTheRolloutsTokenIds() {
    var reward = new OverlongPunishment(10, 4);
    var group = new RolloutGroup(new Example("e", Map.of(), "", Map.of()), new int[0],
        List.of(ids(6), ids(7), ids(8), ids(10), ids(11), Rollout.ofText("")));
    RewardResult r = reward.score(List.of(group), RewardContext.textOnly()).get(0);
    assertThat(r.scores()).containsExactly(0, -0.25, -0.5, -1, -1, 0);
    assertThat(dro4j.reward.TextGroups.diag(r, "length")).containsExactly(6, 7, 8, 10, 11, 0);
  }

  @Test
  void textWithoutTokensNeedsAModel() {
    var group = new RolloutGroup(new Example("e", Map.of(), "", Map.of()), new int[0], List.of(Rollout.ofText("hello")));
    assertThatThrownBy(() -> new OverlongPunishment(10, 4).score(List.of(group), RewardContext.textOnly()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("--model");
    assertThatThrownBy(() -> new OverlongPunishment(10, 0)).hasMessageContaining("cache");
    assertThatThrownBy(() -> new OverlongPunishment(3, 4)).hasMessageContaining("cache");
  }

  private static Rollout ids(int n) {
    return new Rollout(new int[n], "x", new double[n], FinishReason.STOP, -1);
  }
}
