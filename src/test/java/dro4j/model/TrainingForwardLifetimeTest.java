package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dro4j.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The autograd graph of the cache-free forward must not depend on Java-owned memory that the forward
 * releases: DJL creates arrays from Java data with {@code torch::from_blob} over a direct buffer that
 * only the Java array object keeps alive, so a graph that saved such a tensor (the token ids of the
 * embedding lookup, the rotary tables) reads freed memory in backward once the garbage collector has
 * run; the same holds for the scalars of {@code mul(Number)}-style ops (the attention scale, DJL's
 * swish). Here the collector runs and the freed memory is overwritten between forward and backward.
 */
class TrainingForwardLifetimeTest {

  @Test
  void gradientsDoNotChangeWhenGarbageIsCollectedBeforeBackward() {
    try (NDManager root = TensorEngine.newManager()) {
      Path dir = Fixtures.fixture("stories260K");
      Transformer model = Transformer.load(dir, ModelConfig.loadFromDir(dir), root);
      for (NDArray p : model.parameters().values()) p.setRequiresGradient(true);
      int[][] tokens = new int[8][40];
      boolean[][] valid = new boolean[8][40];
      for (int b = 0; b < 8; b++) {
        for (int t = 0; t < 40; t++) {
          tokens[b][t] = 1 + (b * 37 + t * 11) % 500;
        }
        Arrays.fill(valid[b], true);
      }
      float[] clean = gradient(model, root, tokens, valid, false);
      float[] collected = gradient(model, root, tokens, valid, true);
      assertThat(dro4j.Churn.maxAbsDiff(clean, collected)).isZero();
    }
  }

  private static float[] gradient(Transformer model, NDManager root, int[][] tokens, boolean[][] valid, boolean gc) {
    for (NDArray p : model.parameters().values()) {
      try (NDArray g = p.getGradient()) {
        g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
      }
    }
    try (NDManager m = root.newSubManager();
        GradientCollector c = Engine.getInstance().newGradientCollector()) {
      NDArray loss = model.logits(model.forward(tokens, valid, m)).logSoftmax(-1).mean();
      if (gc) dro4j.Churn.collectAndOverwrite();
      c.backward(loss);
    }
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (NDArray p : model.parameters().values()) {
      try (NDArray g = p.getGradient()) {
        float[] f = g.toFloatArray();
        parts.add(f);
        n += f.length;
      }
    }
    float[] all = new float[n];
    int o = 0;
    for (float[] f : parts) {
      System.arraycopy(f, 0, all, o, f.length);
      o += f.length;
    }
    return all;
  }
}
