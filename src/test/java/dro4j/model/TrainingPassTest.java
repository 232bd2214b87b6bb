package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dro4j.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TrainingPass}: log-probs through the chunked head equal those of the whole-sequence logits,
 * and gradient checkpointing (layers and head recomputed in backward) gives the gradients of the
 * recorded graph, on stories260K (tied head, 5 layers) and tiny-qwen2 (untied head, q/k/v biases,
 * grouped-query attention), with padding on both sides and a temperature.
 *
 * <p>Tolerances: the chunked head multiplies different row blocks than one big product and the
 * recomputed backward adds the parts of each gradient in another order, so values agree to fp32
 * rounding, not bits: log-probs within 1e-5 absolute (they are O(1)-O(10)), each parameter's
 * gradient within 1e-5 of its norm (gradients through fp32 differ by ~1e-7 relative here).
 */
class TrainingPassTest {

  @ParameterizedTest
  @CsvSource({"stories260K, 1.0, 7", "tiny-qwen2, 0.7, 5"})
  void chunkedHeadAndCheckpointingMatchTheRecordedUnchunkedGraph(String fixture, double temperature, int chunk) {
    try (NDManager root = TensorEngine.newManager()) {
      Path dir = Fixtures.fixture(fixture);
      Transformer model = Transformer.load(dir, ModelConfig.loadFromDir(dir), root);
      for (NDArray p : model.parameters().values()) p.setRequiresGradient(true);
      int vocab = model.config().vocabSize();
      int rows = 3;
      int width = 14;
      int start = 5;
      int count = 8;
      int[][] tokens = new int[rows][width];
      boolean[][] valid = new boolean[rows][width];
      int[][] targets = new int[rows][count];
      float[] weights = new float[rows * count];
      for (int b = 0; b < rows; b++) {
        for (int t = 0; t < width; t++) {
          tokens[b][t] = 1 + (b * 37 + t * 11) % (vocab - 1);
          // row 1 left-padded, row 2 right-padded: padding anywhere, as batches lay it out
          valid[b][t] = !(b == 1 && t < 2) && !(b == 2 && t >= width - 3);
        }
        for (int t = 0; t < count; t++) {
          targets[b][t] = (b * 101 + t * 29 + 3) % vocab;
          weights[b * count + t] = (float) Math.sin(1.3 * (b * count + t) + 0.4);
        }
      }

      Map<String, float[]> reference;
      float[] referenceLogp;
      try (NDManager m = root.newSubManager();
          GradientCollector c = Engine.getInstance().newGradientCollector()) {
        zero(model);
        // the plain whole-sequence path: all logits at once
        NDArray logits = model.logits(model.forward(tokens, valid, m).get(new NDIndex(":, {}:{}, :", start, start + count)));
        NDArray logSoftmax = logits.div(Scalars.of(logits, temperature)).logSoftmax(-1);
        long[] ids = new long[rows * count];
        for (int b = 0; b < rows; b++) for (int t = 0; t < count; t++) ids[b * count + t] = targets[b][t];
        NDArray index = Scalars.torchOwned(m.create(ids, new Shape(rows, count, 1)));
        NDArray logp = logSoftmax.gather(index, 2).reshape(rows, count);
        referenceLogp = logp.toFloatArray();
        c.backward(loss(logp, weights, m));
        reference = gradients(model);
      }

      for (boolean checkpointing : new boolean[] {false, true}) {
        float[] logp;
        try (NDManager m = root.newSubManager();
            GradientCollector c = Engine.getInstance().newGradientCollector()) {
          zero(model);
          TrainingPass pass = TrainingPass.run(model, tokens, valid, checkpointing, chunk, m);
          assertThat(pass.checkpointed()).isEqualTo(checkpointing);
          NDArray lp = pass.logProbs(start, count, targets, temperature, false, false).logp();
          logp = lp.toFloatArray();
          pass.backward(loss(lp, weights, m));
        }
        String what = fixture + (checkpointing ? " checkpointed" : " recorded");
        assertThat(dro4j.Churn.maxAbsDiff(logp, referenceLogp)).as(what + " log-probs").isLessThan(1e-5);
        Map<String, float[]> actual = gradients(model);
        assertThat(actual.keySet()).isEqualTo(reference.keySet());
        for (String name : reference.keySet()) {
          float[] want = reference.get(name);
          float[] got = actual.get(name);
          double diff = 0;
          double norm = 0;
          for (int i = 0; i < want.length; i++) {
            diff += Math.pow(got[i] - want[i], 2);
            norm += Math.pow(want[i], 2);
          }
          assertThat(norm).as(name + " has a gradient").isPositive();
          assertThat(Math.sqrt(diff)).as(what + " " + name).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm));
        }
      }
    }
  }

  /** sum(weights * logp): every token gets its own incoming gradient, some negative. */
  private static NDArray loss(NDArray logp, float[] weights, NDManager m) {
    NDArray w = Scalars.torchOwned(m.create(weights, logp.getShape()));
    return logp.mul(w).sum();
  }

  private static void zero(Transformer model) {
    for (NDArray p : model.parameters().values()) {
      try (NDArray g = p.getGradient()) {
        g.set(new NDIndex("..."), 0f);
      }
    }
  }

  private static Map<String, float[]> gradients(Transformer model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      try (NDArray g = e.getValue().getGradient()) {
        out.put(e.getKey(), g.toFloatArray());
      }
    }
    return out;
  }

  static boolean[][] allValid(int rows, int width) {
    boolean[][] v = new boolean[rows][width];
    for (boolean[] r : v) Arrays.fill(r, true);
    return v;
  }
}
