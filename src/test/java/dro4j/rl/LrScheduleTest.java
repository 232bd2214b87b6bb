package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import org.junit.jupiter.api.Test;

class LrScheduleTest {
  private static final double LR = 1e-3;

  /** 10 steps, warmup_ratio 0.2 -> ceil(2.0) = 2 warmup steps. */
  private static LrSchedule schedule(String type) {
    return LrSchedule.of(LrSchedulerType.byName(type), LR, 10, 0, 0.2);
  }

  @Test
  void constantWithWarmup() {
    LrSchedule s = schedule("constant_with_warmup");
    assertThat(s.warmupSteps()).isEqualTo(2);
    assertThat(s.lr(0)).isZero();
    assertThat(s.lr(1)).isCloseTo(0.5 * LR, within(1e-15));
    assertThat(s.lr(2)).isCloseTo(LR, within(1e-15));
    assertThat(s.lr(6)).isCloseTo(LR, within(1e-15));
    assertThat(s.lr(9)).isCloseTo(LR, within(1e-15));
  }

  @Test
  void linearDecaysToZeroAtTheLastStep() {
    LrSchedule s = schedule("linear");
    assertThat(s.lr(0)).isZero();
    assertThat(s.lr(1)).isCloseTo(0.5 * LR, within(1e-15));
    assertThat(s.lr(2)).isCloseTo(LR, within(1e-15)); // (10 - 2) / 8
    assertThat(s.lr(6)).isCloseTo(0.5 * LR, within(1e-15)); // 4 / 8
    assertThat(s.lr(9)).isCloseTo(LR / 8, within(1e-15)); // the last update: 1 / 8
    assertThat(s.lr(10)).isZero();
    assertThat(s.lr(12)).isZero();
  }

  @Test
  void cosineFollowsHalfACosine() {
    LrSchedule s = schedule("cosine");
    assertThat(s.lr(0)).isZero();
    assertThat(s.lr(1)).isCloseTo(0.5 * LR, within(1e-15));
    assertThat(s.lr(2)).isCloseTo(LR, within(1e-15));
    assertThat(s.lr(4)).isCloseTo(LR * 0.5 * (1 + Math.cos(Math.PI / 4)), within(1e-15)); // progress 1/4
    assertThat(s.lr(6)).isCloseTo(0.5 * LR, within(1e-15)); // progress 1/2
    assertThat(s.lr(9)).isCloseTo(LR * 0.5 * (1 + Math.cos(7 * Math.PI / 8)), within(1e-15));
    assertThat(s.lr(10)).isCloseTo(0, within(1e-18));
  }

  @Test
  void constantIgnoresWarmupLikeTransformers() {
    LrSchedule s = schedule("constant");
    assertThat(s.lr(0)).isEqualTo(LR);
    assertThat(s.lr(1)).isEqualTo(LR);
    assertThat(s.lr(9)).isEqualTo(LR);
  }

  @Test
  void withoutWarmupTheFirstStepUsesThePeak() {
    LrSchedule s = LrSchedule.of(LrSchedulerType.LINEAR, LR, 4, 0, 0);
    assertThat(s.lr(0)).isCloseTo(LR, within(1e-15));
    assertThat(s.lr(3)).isCloseTo(LR / 4, within(1e-15));
  }

  @Test
  void warmupStepsResolveLikeTransformers() {
    assertThat(LrSchedule.resolveWarmupSteps(10, 3, 0.5)).isEqualTo(3); // warmup_steps wins
    assertThat(LrSchedule.resolveWarmupSteps(10, 0, 0.25)).isEqualTo(3); // ceil(2.5)
    assertThat(LrSchedule.resolveWarmupSteps(100, 0, 0.07)).isEqualTo(8); // Python: ceil(7.000000000000001)
    assertThat(LrSchedule.resolveWarmupSteps(10, 0, 0)).isZero();
    assertThatThrownBy(() -> LrSchedule.resolveWarmupSteps(10, 0, 1.5))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("warmup_ratio");
    assertThatThrownBy(() -> LrSchedule.resolveWarmupSteps(10, -1, 0)).isInstanceOf(BadInputException.class);
  }

  @Test
  void badValuesAreRejected() {
    assertThatThrownBy(() -> LrSchedulerType.byName("polynomial"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("constant, constant_with_warmup, linear, cosine");
    assertThatThrownBy(() -> new LrSchedule(LrSchedulerType.COSINE, -1, 0, 10)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> new LrSchedule(LrSchedulerType.COSINE, 1e-3, 0, 0)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> schedule("linear").lr(-1)).isInstanceOf(BadInputException.class);
  }
}
