package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.rl.config.GrpoConfig;
import dro4j.rollout.StopReason;
import dro4j.rollout.Trajectory;
import dro4j.rollout.Turn;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-trajectory tool-call rewards: {@code tool_error_reward} and {@code tool_success_reward}. */
class ToolCallRewardsTest {
  private static Trajectory trajectory(Turn... turns) {
    int n = turns[turns.length - 1].observationEnd();
    return new Trajectory(new int[] {1}, new int[n], new int[n], new double[n], List.of(turns), StopReason.DONE, 0);
  }

  // two calls, one failed; two calls that ran; an answer without calls
  private final List<Trajectory> group = List.of(
      trajectory(new Turn(0, 2, 4, "call", 1, 1, null), new Turn(4, 6, 8, "call", 1, 0, null),
          new Turn(8, 10, 10, "answer", 0, 0, 0.0)),
      trajectory(new Turn(0, 2, 4, "two calls", 2, 0, null), new Turn(4, 6, 6, "answer", 0, 0, 1.0)),
      trajectory(new Turn(0, 3, 3, "answer", 0, 0, 0.0)));

  @Test
  void successRewardIsTheWeightTimesTheShareOfCallsThatRanAndZeroWithoutCalls() {
    assertThat(TrajectoryTraining.toolSuccessRewards(group, 0.5)).containsExactly(0.25, 0.5, 0.0);
  }

  @Test
  void errorRewardCountsFailedCalls() {
    assertThat(TrajectoryTraining.toolErrorRewards(group, -0.5)).containsExactly(-0.5, -0.0, -0.0);
  }

  @Test
  void successRewardMustBeFinite() {
    assertThatThrownBy(() -> GrpoConfig.builder().set("tool_success_reward", Double.NaN).build())
        .isInstanceOf(BadInputException.class).hasMessageContaining("tool_success_reward");
  }
}
