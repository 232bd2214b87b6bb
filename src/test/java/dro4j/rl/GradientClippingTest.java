package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dro4j.BadInputException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GradientClippingTest {
  private static NDManager m;

  @BeforeAll
  static void engine() {
    m = Nd.manager();
  }

  @AfterAll
  static void close() {
    m.close();
  }

  /** Two tensors whose gradients have global norm sqrt(9 + 16 + 144) = 13. */
  private List<NamedParameter> params() {
    return List.of(
        new NamedParameter("a", m.zeros(new ai.djl.ndarray.types.Shape(2)), Nd.vector(m, 3, 4)),
        new NamedParameter("b", m.zeros(new ai.djl.ndarray.types.Shape(1)), Nd.vector(m, -12)));
  }

  @Test
  void clipsToMaxNormAndReturnsThePreClipNorm() {
    List<NamedParameter> ps = params();
    assertThat(GradientClipping.globalNorm(ps)).isCloseTo(13, within(1e-6));
    double norm = GradientClipping.clip(ps, 6.5);
    assertThat(norm).isCloseTo(13, within(1e-6));
    double coef = 6.5 / (13 + 1e-6);
    assertThat(ps.get(0).grad().toFloatArray()).containsExactly(new float[] {(float) (3 * coef), (float) (4 * coef)}, within(1e-6f));
    assertThat(ps.get(1).grad().toFloatArray()).containsExactly(new float[] {(float) (-12 * coef)}, within(1e-6f));
    assertThat(GradientClipping.globalNorm(ps)).isCloseTo(6.5, within(1e-5));
  }

  @Test
  void theEpsilonMattersForTinyNorms() {
    // norm 5e-6, max 1e-6: torch scales by 1e-6 / (5e-6 + 1e-6) = 1/6, not 1/5
    NDArray g = Nd.vector(m, 3e-6, 4e-6);
    List<NamedParameter> ps = List.of(new NamedParameter("a", m.zeros(g.getShape()), g));
    assertThat(GradientClipping.clip(ps, 1e-6)).isCloseTo(5e-6, within(1e-12));
    assertThat(g.toFloatArray()).containsExactly(new float[] {0.5e-6f, 4e-6f / 6}, within(1e-12f));
  }

  @Test
  void smallGradientsAreLeftAlone() {
    List<NamedParameter> ps = params();
    assertThat(GradientClipping.clip(ps, 100)).isCloseTo(13, within(1e-6));
    assertThat(ps.get(0).grad().toFloatArray()).containsExactly(3f, 4f);
    assertThat(ps.get(1).grad().toFloatArray()).containsExactly(-12f);
  }

  @Test
  void aNonFiniteGradientGivesANonFiniteNorm() {
    NDArray g = Nd.vector(m, 1, Double.NaN);
    List<NamedParameter> ps = List.of(new NamedParameter("a", m.zeros(g.getShape()), g));
    assertThat(GradientClipping.clip(ps, 1.0)).isNaN();
    assertThat(g.toFloatArray()[0]).isNaN();
    NDArray inf = Nd.vector(m, 1, Double.POSITIVE_INFINITY);
    assertThat(GradientClipping.globalNorm(List.of(new NamedParameter("b", m.zeros(inf.getShape()), inf))))
        .isInfinite();
  }

  @Test
  void maxGradNormMustBePositive() {
    assertThatThrownBy(() -> GradientClipping.clip(params(), 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("max_grad_norm");
    assertThatThrownBy(() -> GradientClipping.clip(params(), Double.NaN)).isInstanceOf(BadInputException.class);
  }
}
