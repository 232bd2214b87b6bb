package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dro4j.BadInputException;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class AdamWTest extends NdTest {

  /** torch.optim.AdamW's single-tensor update, in doubles. */
  static final class Reference {
    final double b1, b2, eps, wd;
    final double[] p, mo, v;
    int t;

    Reference(double[] p, double b1, double b2, double eps, double wd) {
      this.p = p.clone();
      this.mo = new double[p.length];
      this.v = new double[p.length];
      this.b1 = b1;
      this.b2 = b2;
      this.eps = eps;
      this.wd = wd;
    }

    void step(double[] g, double lr) {
      t++;
      for (int i = 0; i < p.length; i++) {
        p[i] *= 1 - lr * wd;
        mo[i] = b1 * mo[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        double mHat = mo[i] / (1 - Math.pow(b1, t));
        double vHat = v[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
      }
    }
  }

  private static double[] doubles(NDArray x) {
    float[] f = x.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  @Test
  void firstStepByHand() {
    NDArray p = Nd.vector(m, 0.5, -1.0, 2.0);
    NDArray g = Nd.vector(m, 0.1, -0.2, 0.3);
    AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, 0.1);
    opt.step(List.of(new NamedParameter("w", p, g)), 1e-2);
    // step 1: m_hat = g and v_hat = g^2, so the Adam step is lr * g / (|g| + eps); decay first
    assertThat(doubles(p))
        .containsExactly(
            new double[] {
              0.5 * (1 - 1e-3) - 1e-2 * 0.1 / (0.1 + 1e-8),
              -1.0 * (1 - 1e-3) + 1e-2 * 0.2 / (0.2 + 1e-8),
              2.0 * (1 - 1e-3) - 1e-2 * 0.3 / (0.3 + 1e-8)
            },
            within(1e-6));
    assertThat(opt.stepCount()).isEqualTo(1);
    // m = (1 - beta1) g, v = (1 - beta2) g^2
    assertThat(opt.expAvg("w")).containsExactly(new float[] {0.01f, -0.02f, 0.03f}, within(1e-8f));
    assertThat(opt.expAvgSq("w")).containsExactly(new float[] {1e-5f, 4e-5f, 9e-5f}, within(1e-10f));
    // the gradient is read, not changed
    assertThat(g.toFloatArray()).containsExactly(0.1f, -0.2f, 0.3f);
  }

  @Test
  void severalStepsMatchTheReferenceWithChangingLrAndGradients() {
    double[] p0 = {0.5, -1.0, 2.0, 0.0, 3e-3, -0.7};
    NDArray p = m.create(new float[] {0.5f, -1.0f, 2.0f, 0.0f, 3e-3f, -0.7f}, new Shape(2, 3));
    Reference ref = new Reference(p0, 0.9, 0.95, 1e-6, 0.05);
    AdamW opt = new AdamW(m, 0.9, 0.95, 1e-6, 0.05);
    for (int s = 0; s < 6; s++) {
      double[] g = new double[6];
      for (int i = 0; i < 6; i++) g[i] = Math.sin(1.3 * s + i) * (i == 3 ? 1e-4 : 1.0);
      double lr = 1e-2 * (s + 1) / 6.0;
      NDArray gNd = m.create(toFloats(g), new Shape(2, 3));
      opt.step(List.of(new NamedParameter("w", p, gNd)), lr);
      ref.step(toDoublesOfFloats(g), lr);
      assertThat(doubles(p)).as("step %d", s + 1).containsExactly(ref.p, within(2e-6));
    }
    assertThat(opt.stepCount()).isEqualTo(6);
    double[] mo = new double[6];
    float[] fm = opt.expAvg("w");
    for (int i = 0; i < 6; i++) mo[i] = fm[i];
    assertThat(mo).containsExactly(ref.mo, within(1e-6));
  }

  @Test
  void decayFilterSkipsBiasesAndNorms() {
    Predicate<String> f = AdamW.transformersDecayFilter();
    assertThat(f.test("model.layers.0.self_attn.q_proj.weight")).isTrue();
    assertThat(f.test("model.embed_tokens.weight")).isTrue();
    assertThat(f.test("model.layers.0.mlp.normalizer.weight")).isTrue();
    assertThat(f.test("model.layers.0.self_attn.q_proj.bias")).isFalse();
    assertThat(f.test("model.layers.0.input_layernorm.weight")).isFalse();
    assertThat(f.test("model.layers.0.post_attention_layernorm.weight")).isFalse();
    assertThat(f.test("model.norm.weight")).isFalse();
    assertThat(f.test("model.layers.1.self_attn.q_norm.weight")).isFalse();
    assertThat(f.test("transformer.ln_f.RMSNorm.weight")).isFalse();

    NDArray w = Nd.vector(m, 1.0, 2.0);
    NDArray n = Nd.vector(m, 1.0, 2.0);
    NDArray g = Nd.vector(m, 0.5, 0.5);
    AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, 0.5, f);
    opt.step(
        List.of(new NamedParameter("model.layers.0.mlp.up_proj.weight", w, g), new NamedParameter("model.norm.weight", n, g)),
        0.1);
    double step = 0.1 * 0.5 / (0.5 + 1e-8);
    assertThat(doubles(w)).containsExactly(new double[] {1.0 * 0.95 - step, 2.0 * 0.95 - step}, within(1e-6));
    assertThat(doubles(n)).containsExactly(new double[] {1.0 - step, 2.0 - step}, within(1e-6));
  }

  @Test
  void restoredStateContinuesBitIdentically() {
    float[] init = {0.3f, -0.2f, 0.9f, 1.5f};
    NDArray a = m.create(init.clone(), new Shape(2, 2));
    AdamW optA = new AdamW(m, 0.9, 0.999, 1e-8, 0.01);
    for (int s = 0; s < 3; s++) {
      optA.step(List.of(new NamedParameter("p", a, grad(s))), 1e-3);
    }
    // a fresh optimizer and parameter restored from A's checkpointable state
    NDArray b = m.create(a.toFloatArray(), new Shape(2, 2));
    AdamW optB = new AdamW(m, 0.9, 0.999, 1e-8, 0.01);
    optB.setState("p", optA.expAvg("p"), optA.expAvgSq("p"));
    optB.setStepCount(optA.stepCount());
    assertThat(optB.stateNames()).containsExactly("p");
    assertThat(optB.expAvg("p")).containsExactly(optA.expAvg("p"));
    for (int s = 3; s < 5; s++) {
      optA.step(List.of(new NamedParameter("p", a, grad(s))), 1e-3);
      optB.step(List.of(new NamedParameter("p", b, grad(s))), 1e-3);
    }
    assertThat(b.toFloatArray()).containsExactly(a.toFloatArray());
    assertThat(optB.expAvgSq("p")).containsExactly(optA.expAvgSq("p"));
    assertThat(optB.stepCount()).isEqualTo(5);

    // a wrong step count gives different bias corrections, hence different parameters
    NDArray c = m.create(init.clone(), new Shape(2, 2));
    AdamW optC = new AdamW(m, 0.9, 0.999, 1e-8, 0.01);
    optC.setState("p", new float[4], new float[4]);
    optC.setStepCount(7);
    optC.step(List.of(new NamedParameter("p", c, grad(0))), 1e-3);
    NDArray d = m.create(init.clone(), new Shape(2, 2));
    new AdamW(m, 0.9, 0.999, 1e-8, 0.01).step(List.of(new NamedParameter("p", d, grad(0))), 1e-3);
    assertThat(c.toFloatArray()).isNotEqualTo(d.toFloatArray());
  }

  private NDArray grad(int s) {
    return m.create(new float[] {0.1f * s - 0.2f, 0.05f, -0.3f + 0.01f * s, 0.7f}, new Shape(2, 2));
  }

  @Test
  void slicedUpdatesAreBitIdenticalToWholeTensorOnes() {
    // a [7, 5] matrix in slices of 2 rows (10 elements), a 13-vector in slices of 10, against one pass each
    AdamW sliced = new AdamW(m, 0.9, 0.999, 1e-8, 0.01, name -> !name.equals("b"), 10);
    AdamW whole = new AdamW(m, 0.9, 0.999, 1e-8, 0.01, name -> !name.equals("b"), Long.MAX_VALUE);
    java.util.Random rng = new java.util.Random(3);
    float[] w0 = randoms(rng, 35);
    float[] b0 = randoms(rng, 13);
    NDArray w1 = m.create(w0.clone(), new Shape(7, 5));
    NDArray b1 = m.create(b0.clone(), new Shape(13));
    NDArray w2 = m.create(w0.clone(), new Shape(7, 5));
    NDArray b2 = m.create(b0.clone(), new Shape(13));
    for (int s = 0; s < 4; s++) {
      NDArray gw = m.create(randoms(rng, 35), new Shape(7, 5));
      NDArray gb = m.create(randoms(rng, 13), new Shape(13));
      sliced.step(List.of(new NamedParameter("w", w1, gw), new NamedParameter("b", b1, gb)), 1e-2 * (s + 1));
      whole.step(List.of(new NamedParameter("w", w2, gw), new NamedParameter("b", b2, gb)), 1e-2 * (s + 1));
    }
    assertThat(w1.toFloatArray()).containsExactly(w2.toFloatArray());
    assertThat(b1.toFloatArray()).containsExactly(b2.toFloatArray());
    assertThat(sliced.expAvg("w")).containsExactly(whole.expAvg("w"));
    assertThat(sliced.expAvgSq("w")).containsExactly(whole.expAvgSq("w"));
    assertThat(sliced.expAvgSq("b")).containsExactly(whole.expAvgSq("b"));
    assertThat(w1.toFloatArray()).isNotEqualTo(w0);
  }

  private static float[] randoms(java.util.Random rng, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) f[i] = (float) rng.nextGaussian();
    return f;
  }

  @Test
  void eachParameterIsDoneBeforeTheNextOneStartsAndGetsItsMomentsOnlyThen() {
    NDArray p = Nd.vector(m, 1.0, 2.0);
    NDArray q = Nd.vector(m, 3.0, 4.0);
    NDArray g = Nd.vector(m, 0.5, -0.5);
    AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, 0.0);
    List<String> seen = new java.util.ArrayList<>();
    opt.step(List.of(new NamedParameter("p", p, g), new NamedParameter("q", q, g)), 0.1, done -> {
      seen.add(done.name() + ": p moved " + (p.toFloatArray()[0] != 1f) + ", q moved " + (q.toFloatArray()[0] != 3f)
          + ", state " + opt.stateNames());
    });
    // when p is reported, p has moved, q has not and has no moments yet
    assertThat(seen).containsExactly("p: p moved true, q moved false, state [p]",
        "q: p moved true, q moved true, state [p, q]");
  }

  @Test
  void updatesAutogradParametersInPlace() {
    NDArray w = Nd.vector(m, 1.0, -2.0);
    w.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(w.square().sum()); // gradient 2 w = [2, -4]
    }
    NamedParameter p = NamedParameter.withAutogradGradient("w", w);
    assertThat(p.grad().toFloatArray()).containsExactly(2f, -4f);
    new AdamW(m, 0.9, 0.999, 1e-8, 0.0).step(List.of(p), 0.1);
    assertThat(doubles(w)).containsExactly(new double[] {1.0 - 0.1, -2.0 + 0.1}, within(1e-6));
  }

  @Test
  void stepsAndClippingLeaveNoArraysBehind() {
    try (NDManager params = m.newSubManager();
        NDManager state = m.newSubManager()) {
      NDArray w = params.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
      NDArray g = params.create(new float[] {0.5f, -0.5f, 0.25f, 2f}, new Shape(2, 2));
      List<NamedParameter> ps = List.of(new NamedParameter("w", w, g));
      AdamW opt = new AdamW(state, 0.9, 0.999, 1e-8, 0.01);
      for (int s = 0; s < 5; s++) {
        GradientClipping.clip(ps, 1.0);
        opt.step(ps, 1e-3);
        opt.expAvg("w");
        assertThat(params.getManagedArrays()).as("step %d", s).hasSize(2);
        assertThat(state.getManagedArrays()).as("step %d", s).hasSize(2);
      }
    }
  }

  @Test
  void badInputIsRejectedBeforeAnyParameterChanges() {
    NDArray p = Nd.vector(m, 1.0, 2.0);
    NDArray q = Nd.vector(m, 3.0, 4.0);
    NDArray g = Nd.vector(m, 1.0, 1.0);
    AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, 0.0);
    opt.setState("q", new float[3], new float[3]);
    assertThatThrownBy(() -> opt.step(List.of(new NamedParameter("p", p, g), new NamedParameter("q", q, g)), 0.1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("AdamW state of q: 3 values");
    assertThat(p.toFloatArray()).containsExactly(1f, 2f);
    assertThat(opt.stepCount()).isZero();
    assertThatThrownBy(() -> opt.step(List.of(new NamedParameter("p", p, g), new NamedParameter("p", q, g)), 0.1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("given twice");
    assertThatThrownBy(() -> opt.step(List.of(new NamedParameter("p", p, g)), Double.NaN))
        .isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> new NamedParameter("p", p, Nd.vector(m, 1.0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("gradient");
    assertThatThrownBy(() -> new AdamW(m, 1.0, 0.999, 1e-8, 0)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> new AdamW(m, 0.9, 0.999, 1e-8, -0.1)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> opt.setState("p", new float[2], new float[] {0, -1}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("exp_avg_sq");
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
    return f;
  }

  /** The reference sees the same float32-rounded gradients the optimizer does. */
  private static double[] toDoublesOfFloats(double[] d) {
    double[] out = new double[d.length];
    for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
    return out;
  }
}
