package dro4j.reward.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ShapingTest {
  static final double TOL = 1e-12;

  @Test
  void sigmoidIsStable() {
    assertThat(Shaping.sigmoid(0)).isEqualTo(0.5);
    assertThat(Shaping.sigmoid(Math.log(3))).isCloseTo(0.75, within(TOL));
    assertThat(Shaping.sigmoid(-Math.log(3))).isCloseTo(0.25, within(TOL));
    assertThat(Shaping.sigmoid(-1000)).isZero();
    assertThat(Shaping.sigmoid(1000)).isEqualTo(1.0);
  }

  @Test
  void parIsTheMeanSigmoidOfTheMargins() {
    // sigmoid(0) = 0.5 and sigmoid(-ln 3) = 0.25
    assertThat(Shaping.par(1.0, new double[] {1.0, 1.0 + Math.log(3)})).isCloseTo(0.375, within(TOL));
    assertThatThrownBy(() -> Shaping.par(1, new double[0])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void weightedSum() {
    double[] s = Shaping.weightedSum(new double[][] {{1, 0}, {0.5, 1}}, new double[] {2, -1});
    assertThat(s).containsExactly(1.5, -1.0);
    assertThatThrownBy(() -> Shaping.weightedSum(new double[][] {{1}}, new double[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void gatedAccumulation() {
    double[][] c = {{1, 0, 1, Double.NaN}, {1, 1, 0, 1}, {0.5, 0.5, 0.5, 0.5}};
    double[] s = Shaping.gated(c, new double[] {1, 0.5, 0.2}, new double[] {1, 1, Double.NaN});
    // all gates open: 1 + 0.5 + 0.1; first fails: 0; second fails: 1 + 0; NaN closes the gate
    assertThat(s[0]).isCloseTo(1.6, within(TOL));
    assertThat(s[1]).isZero();
    assertThat(s[2]).isEqualTo(1.0);
    assertThat(s[3]).isNaN();
  }

  @Test
  void zScores() {
    // mean 2.5, population std sqrt(1.25)
    double[] z = Shaping.zScore(new double[] {1, 2, 3, 4}, 0);
    double sd = Math.sqrt(1.25);
    assertThat(z).containsExactly(new double[] {-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd}, within(TOL));
    assertThat(Shaping.zScore(new double[] {2, 2}, 1e-6)).containsExactly(0, 0);
    double[] withNan = Shaping.zScore(new double[] {1, Double.NaN, 3}, 0);
    assertThat(withNan[0]).isEqualTo(-1);
    assertThat(withNan[1]).isNaN();
    assertThat(withNan[2]).isEqualTo(1);
    double[][] batch = Shaping.zScore(new double[][] {{1, 2}, {3, 4}}, 0);
    assertThat(batch[0]).containsExactly(new double[] {-1.5 / sd, -0.5 / sd}, within(TOL));
    assertThat(Normalization.GROUP_ZSCORE.apply(new double[][] {{1, 2}, {3, 4}}, 0)[1]).containsExactly(-1, 1);
  }

  @Test
  void minMaxAndClip() {
    assertThat(Shaping.minMax(new double[] {2, 4, 3})).containsExactly(0, 1, 0.5);
    assertThat(Shaping.minMax(new double[] {7, 7})).containsExactly(0, 0);
    double[][] batch = Normalization.BATCH_MIN_MAX.apply(new double[][] {{0, 1}, {2, 4}}, 0);
    assertThat(batch[0]).containsExactly(0, 0.25);
    assertThat(batch[1]).containsExactly(0.5, 1);
    double[] c = Shaping.clip(new double[] {-2, 0.5, 3, Double.NaN}, -1, 1);
    assertThat(c[0]).isEqualTo(-1);
    assertThat(c[1]).isEqualTo(0.5);
    assertThat(c[2]).isEqualTo(1);
    assertThat(c[3]).isNaN();
    assertThat(Normalization.parse("batch_zscore")).isEqualTo(Normalization.BATCH_ZSCORE);
    assertThatThrownBy(() -> Normalization.parse("zscore")).hasMessageContaining("group_zscore");
  }
}
