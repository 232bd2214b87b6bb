package dro4j.model;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static dro4j.ReferenceData.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dro4j.Fixtures;
import dro4j.rl.checkpoint.AdapterMerge;
import dro4j.rl.checkpoint.CheckpointDtype;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter made by {@code peft} itself ({@code get_peft_model} + {@code save_pretrained}, peft 0.21, on
 * tiny-qwen2: r 4, alpha 8, five of the seven linear modules, B drawn at random; see the fixtures'
 * README) loads unchanged, gives the logits peft's model gave, and merges to the weights and logits
 * of peft's {@code merge_and_unload}.
 */
class PeftAdapterFixtureTest {
  static final Path BASE = Fixtures.fixture("tiny-qwen2");
  static final Path ADAPTER = Fixtures.fixture("tiny-qwen2-peft-adapter");

  @Test
  void peftsOwnAdapterLoadsAndGivesPeftsLogits() {
    int[] ids = ids();
    ModelConfig config = ModelConfig.loadFromDir(BASE);
    try (NDManager m = TensorEngine.newManager();
        SafeTensors expected = SafeTensors.openFile(ADAPTER.resolve("reference_logits.safetensors"))) {
      Transformer model = Transformer.load(BASE, config, m);
      float[][] plain = TransformerTest.logits(model, ids, m);
      LoraAdapter adapter = LoraAdapter.load(ADAPTER, config, m);
      assertThat(adapter.config().r()).isEqualTo(4);
      assertThat(adapter.modulePaths()).hasSize(5 * config.numLayers());
      model.attachAdapter(adapter);
      float[][] adapted = TransformerTest.logits(model, ids, m);
      float[][] e = TransformerTest.rows(expected.floats("logits.chat"), ids.length, config.vocabSize());
      double change = 0;
      for (int t = 0; t < ids.length; t++) {
        assertThat(maxAbsDiff(adapted[t], e[t])).as("position %d", t).isLessThan(1e-3); // tiny-qwen2's tolerance
        change = Math.max(change, maxAbsDiff(adapted[t], plain[t]));
      }
      assertThat(change).as("the adapter changes the logits").isGreaterThan(0.1);
    }
  }

  @Test
  void mergeEqualsPeftsMergeAndUnload(@TempDir Path dir) {
    Path merged = dir.resolve("merged");
    AdapterMerge.merge(BASE, ADAPTER, merged, CheckpointDtype.FLOAT32);
    int[] ids = ids();
    ModelConfig config = ModelConfig.loadFromDir(merged);
    try (SafeTensors expected = SafeTensors.openFile(ADAPTER.resolve("reference_logits.safetensors"));
        SafeTensors out = SafeTensors.openFile(merged.resolve("model.safetensors"));
        NDManager m = TensorEngine.newManager()) {
      for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight")) {
        assertThat(maxAbsDiff(out.floats(name), expected.floats("merged." + name))).as(name).isLessThan(1e-6);
      }
      float[][] got = TransformerTest.logits(Transformer.load(merged, config, m), ids, m);
      float[][] e = TransformerTest.rows(expected.floats("merged_logits.chat"), ids.length, config.vocabSize());
      for (int t = 0; t < ids.length; t++) {
        assertThat(maxAbsDiff(got[t], e[t])).as("position %d", t).isLessThan(1e-3);
      }
    }
  }

  private static int[] ids() {
    return ints(json(ADAPTER.resolve("reference.json")).get("ids"));
  }
}
