package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dro4j.Fixtures;
import dro4j.model.ModelConfig;
import dro4j.model.TensorEngine;
import dro4j.model.Transformer;
import dro4j.rl.config.GrpoConfig;
import dro4j.rl.config.TrainingArguments;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared optimizer step: non-finite guard, NaN-safe zeroing, clipping, no leaked gradient handles. */
class OptimizationTest {

  private static Map<String, float[]> snapshot(Transformer model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    model.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  private static void backward(Transformer model, NDManager root, float scale) {
    try (NDManager m = root.newSubManager();
        GradientCollector c = Engine.getInstance().newGradientCollector()) {
      NDArray norm = model.parameters().get("model.norm.weight");
      NDArray embed = model.parameters().get("model.embed_tokens.weight");
      // scalar first: a result joins its first operand's manager (the model's, for a parameter)
      NDArray loss = m.create(scale).mul(norm).sum().add(m.create(1f).mul(embed).square().sum());
      c.backward(loss);
    }
  }

  private static Transformer stories(NDManager root) {
    Path dir = Fixtures.fixture("stories260K");
    return Transformer.load(dir, ModelConfig.loadFromDir(dir), root);
  }

  private static float[] gradient(Transformer model, String name) {
    try (NDArray g = model.parameters().get(name).getGradient()) {
      return g.toFloatArray();
    }
  }

  @Test
  void nonFiniteGradientSkipsTheUpdateAndLeavesEverythingUntouched() {
    try (NDManager root = TensorEngine.newManager()) {
      Transformer model = stories(root);
      TrainingArguments args = GrpoConfig.builder().learningRate(1e-2).build().training();
      try (Optimization opt = new Optimization(model, args, 10)) {
        Map<String, float[]> before = snapshot(model);
        backward(model, root, Float.NaN);
        Optimization.Update u = opt.update(0);
        assertThat(u.applied()).isFalse();
        assertThat(u.gradNorm()).isNaN();
        assertThat(opt.optimizer().stepCount()).isZero();
        assertThat(opt.optimizer().stateNames()).isEmpty();
        Map<String, float[]> after = snapshot(model);
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).containsExactly(v));

        opt.zeroGradients(); // NaN * 0 would stay NaN: zeroing overwrites
        assertThat(gradient(model, "model.norm.weight")).containsOnly(0f);

        backward(model, root, 1f);
        Optimization.Update ok = opt.update(1);
        assertThat(ok.applied()).isTrue();
        assertThat(ok.gradNorm()).isFinite().isPositive();
        assertThat(ok.learningRate()).isCloseTo(1e-2 * (10 - 1) / 10.0, org.assertj.core.data.Offset.offset(1e-12)); // linear decay, update 1 of 10
        assertThat(opt.optimizer().stepCount()).isEqualTo(1);
        assertThat(snapshot(model).get("model.norm.weight")).isNotEqualTo(before.get("model.norm.weight"));
      }
    }
  }

  @Test
  void anUpdateFreesTheGradientsAndTheNextBackwardStartsFromNone() {
    try (NDManager root = TensorEngine.newManager()) {
      Transformer model = stories(root);
      // lr 0 and no decay: the parameters stay as they are, so both backwards see the same model
      TrainingArguments args = GrpoConfig.builder().learningRate(0).build().training();
      try (Optimization opt = new Optimization(model, args, 10)) {
        backward(model, root, 1f);
        float[] first = gradient(model, "model.embed_tokens.weight");
        assertThat(first).isNotEqualTo(new float[first.length]);
        assertThat(opt.update(0).applied()).isTrue();
        for (NDArray p : model.parameters().values()) {
          assertThat(JniUtils.getGradient((PtNDArray) p)).as(p.getName()).isNull();
          assertThat(p.hasGradient()).as(p.getName()).isTrue();
        }
        opt.zeroGradients(); // nothing to zero: must not fail
        backward(model, root, 1f);
        assertThat(gradient(model, "model.embed_tokens.weight")).containsExactly(first);
        // a skipped update frees them as well: no NaN is left for the next window
        backward(model, root, Float.NaN);
        assertThat(opt.update(1).applied()).isFalse();
        assertThat(JniUtils.getGradient((PtNDArray) model.parameters().get("model.norm.weight"))).isNull();
      }
    }
  }

  @Test
  void closingFreezesTheParametersAgainWithTheirUpdatedValues() {
    try (NDManager root = TensorEngine.newManager()) {
      Transformer model = stories(root);
      TrainingArguments args = GrpoConfig.builder().learningRate(1e-2).build().training();
      Map<String, float[]> updated;
      try (Optimization opt = new Optimization(model, args, 10)) {
        backward(model, root, 1f);
        assertThat(opt.update(0).applied()).isTrue();
        backward(model, root, 1f); // a gradient left over when the run ends
        updated = snapshot(model);
      }
      for (NDArray p : model.parameters().values()) {
        assertThat(p.hasGradient()).as(p.getName()).isFalse();
        assertThat(JniUtils.getGradient((PtNDArray) p)).as(p.getName()).isNull();
      }
      Map<String, float[]> after = snapshot(model);
      updated.forEach((k, v) -> assertThat(after.get(k)).as(k).containsExactly(v));
      // a later optimization of the same model trains it again
      try (Optimization opt = new Optimization(model, args, 10)) {
        backward(model, root, 1f);
        assertThat(gradient(model, "model.norm.weight")).isNotEqualTo(new float[updated.get("model.norm.weight").length]);
      }
    }
  }

  @Test
  void clipsToMaxGradNormAndClosesEveryGradientHandle() {
    try (NDManager root = TensorEngine.newManager()) {
      Transformer model = stories(root);
      TrainingArguments args = GrpoConfig.builder().maxGradNorm(0.5).learningRate(0).build().training();
      try (Optimization opt = new Optimization(model, args, 100)) {
        int managed = -1;
        for (int i = 0; i < 5; i++) {
          opt.zeroGradients();
          backward(model, root, 100f);
          Optimization.Update u = opt.update(i);
          assertThat(u.gradNorm()).isGreaterThan(0.5);
          if (i == 0) {
            // the first moment after one step is (1 - beta1) times the clipped gradient
            double clipped = 0;
            for (String name : model.parameters().keySet()) {
              for (float mo : opt.optimizer().expAvg(name)) clipped += (double) mo * mo;
            }
            assertThat(Math.sqrt(clipped) / (1 - 0.9)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4));
          }
          int now = model.manager().getManagedArrays().size();
          if (i >= 2) assertThat(now).as("arrays in the model's manager after update " + i).isEqualTo(managed);
          managed = now;
        }
      }
    }
  }
}
