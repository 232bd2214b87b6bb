package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a whole model folder: tensors against the architecture, and missing pieces. */
class ModelLoadingTest {
  static NDManager manager;
  static ModelConfig config;

  @BeforeAll
  static void setUp() {
    manager = TensorEngine.newManager();
    config = ModelConfig.loadFromDir(Fixtures.fixture("stories260K"));
  }

  @AfterAll
  static void tearDown() {
    manager.close();
  }

  /** A copy of stories260K whose weights are rewritten by {@code edit}. */
  private static Path copyWithWeights(Path dir, java.util.function.Consumer<Map<String, float[]>> edit,
      Map<String, long[]> shapes) throws IOException {
    for (String f : new String[] {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
      Files.copy(Fixtures.fixture("stories260K", f), dir.resolve(f));
    }
    Map<String, float[]> tensors = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.open(Fixtures.fixture("stories260K"))) {
      for (String name : st.names()) {
        tensors.put(name, st.floats(name));
        shapes.put(name, st.info(name).shape());
      }
    }
    edit.accept(tensors);
    shapes.keySet().retainAll(tensors.keySet());
    SafeTensors.write(dir.resolve("model.safetensors"), tensors, shapes, Map.of());
    return dir;
  }

  @Test
  void missingTensorIsNamed(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    copyWithWeights(dir, t -> t.remove("model.layers.3.mlp.up_proj.weight"), shapes);
    assertThatThrownBy(() -> Transformer.load(dir, config, manager))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("model.layers.3.mlp.up_proj.weight")
        .hasMessageContaining("missing");
  }

  @Test
  void unexpectedTensorIsNamed(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("model.layers.0.self_attn.q_proj.bias", new long[] {64});
    copyWithWeights(dir, t -> t.put("model.layers.0.self_attn.q_proj.bias", new float[64]), shapes);
    assertThatThrownBy(() -> Transformer.load(dir, config, manager))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("unexpected tensor 'model.layers.0.self_attn.q_proj.bias'");
  }

  @Test
  void shapeThatContradictsConfigIsNamed(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    copyWithWeights(dir, t -> {}, shapes);
    // rewrite with a wrong shape for the final norm
    Map<String, float[]> tensors = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.open(dir)) {
      for (String name : st.names()) {
        tensors.put(name, st.floats(name));
      }
    }
    tensors.put("model.norm.weight", new float[32]);
    shapes.put("model.norm.weight", new long[] {32});
    SafeTensors.write(dir.resolve("model.safetensors"), tensors, shapes, Map.of());
    assertThatThrownBy(() -> Transformer.load(dir, config, manager))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("model.norm.weight")
        .hasMessageContaining("[32]")
        .hasMessageContaining("[64]");
  }

  @Test
  void loadedParametersHoldTheFileValuesBitForBit() {
    // F32 (stories260K) and BF16 with a tied head (tiny-qwen3): loading fills the tensors' storage
    // directly, so compare with the reader's own float[] path.
    for (String fixture : new String[] {"stories260K", "tiny-qwen3"}) {
      Path dir = Fixtures.fixture(fixture);
      try (Transformer t = Transformer.load(dir, ModelConfig.loadFromDir(dir), manager);
          SafeTensors st = SafeTensors.open(dir)) {
        for (Map.Entry<String, ai.djl.ndarray.NDArray> e : t.parameters().entrySet()) {
          float[] expected = st.floats(e.getKey());
          float[] actual = e.getValue().toFloatArray();
          assertThat(actual.length).as(fixture + " " + e.getKey()).isEqualTo(expected.length);
          for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
              throw new AssertionError(fixture + " " + e.getKey() + "[" + i + "]: " + actual[i] + " != " + expected[i]);
            }
          }
        }
      }
    }
  }

  @Test
  void randomWeightsAreTheSeededGaussianStreamInParameterOrder() {
    try (Transformer t = Transformer.random(config, 7, 0.02, manager)) {
      java.util.Random rng = new java.util.Random(7);
      for (Map.Entry<String, ai.djl.ndarray.NDArray> e : t.parameters().entrySet()) {
        float[] actual = e.getValue().toFloatArray();
        for (int i = 0; i < actual.length; i++) {
          float expected = e.getKey().endsWith("norm.weight") ? 1f : e.getKey().endsWith(".bias") ? 0f
              : (float) (rng.nextGaussian() * 0.02);
          if (actual[i] != expected) {
            throw new AssertionError(e.getKey() + "[" + i + "]: " + actual[i] + " != " + expected);
          }
        }
      }
    }
  }

  @Test
  void tiedCheckpointMayCarryAnLmHeadCopy(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("lm_head.weight", new long[] {512, 64});
    copyWithWeights(dir, t -> t.put("lm_head.weight", t.get("model.embed_tokens.weight").clone()), shapes);
    try (Transformer t = Transformer.load(dir, config, manager)) {
      assertThat(t.parameters()).doesNotContainKey("lm_head.weight");
    }
  }

  @Test
  void missingShardIsNamed(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    copyWithWeights(dir, t -> {}, shapes);
    Files.move(dir.resolve("model.safetensors"), dir.resolve("model-00001-of-00002.safetensors"));
    StringBuilder map = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
    boolean first = true;
    for (String name : shapes.keySet()) {
      String shard = name.contains("layers.4") ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
      map.append(first ? "" : ",").append('"').append(name).append("\":\"").append(shard).append('"');
      first = false;
    }
    Files.writeString(dir.resolve("model.safetensors.index.json"), map.append("}}").toString());
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("model-00002-of-00002.safetensors");
  }

  @Test
  void unsupportedArchitectureAndRopeScalingAreRejectedBeforeLoadingWeights(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("config.json"),
        Files.readString(Fixtures.fixture("stories260K", "config.json")).replace("LlamaForCausalLM", "GPT2LMHeadModel"));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("config.json")
        .hasMessageContaining("GPT2LMHeadModel");
    Files.writeString(dir.resolve("config.json"),
        Files.readString(Fixtures.fixture("stories260K", "config.json"))
            .replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}"));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("config.json")
        .hasMessageContaining("yarn");
  }

  @Test
  void missingTokenizerIsNamed(@TempDir Path dir) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    copyWithWeights(dir, t -> {}, shapes);
    Files.delete(dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("tokenizer.json");
  }

  @Test
  void bundledDefaultModelLoadsOffline() {
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      assertThat(lm.config().architecture()).isEqualTo("LlamaForCausalLM");
      assertThat(lm.transformer().parameterCount()).isEqualTo(260_032);
      assertThat(lm.directory().resolve("LICENSE")).exists();
    }
  }
}
