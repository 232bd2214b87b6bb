package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  // ---- fixtures ----------------------------------------------------------------------------

  @Test
  void loadsStories260K() {
    ModelConfig c = ModelConfig.loadFromDir(Fixtures.fixture("stories260K"));
    assertEquals(ModelConfig.LLAMA, c.architecture());
    assertEquals(64, c.hiddenSize());
    assertEquals(172, c.intermediateSize());
    assertEquals(5, c.numLayers());
    assertEquals(8, c.numHeads());
    assertEquals(4, c.numKvHeads());
    assertEquals(2, c.kvGroups());
    assertEquals(8, c.headDim());
    assertEquals(512, c.vocabSize());
    assertEquals(512, c.maxPositionEmbeddings());
    assertEquals(1e-5, c.rmsNormEps());
    assertEquals(1e4, c.ropeTheta());
    assertNull(c.ropeScaling());
    assertTrue(c.tieWordEmbeddings());
    assertFalse(c.attentionBias());
    assertFalse(c.attentionOutputBias());
    assertFalse(c.mlpBias());
    assertNull(c.slidingWindow());
    assertEquals(1, c.bosTokenId());
    assertEquals(List.of(2), c.eosTokenIds());
    assertEquals("silu", c.hiddenAct());
    // theta 1e4, head_dim 8: 1 / 10000^(2i/8) = 10^-i
    assertArrayEquals(new double[] {1, 1e-1, 1e-2, 1e-3}, c.ropeInverseFrequencies(), 1e-15);
  }

  @Test
  void loadsTinyQwen2WithThetaFromRopeParameters() {
    ModelConfig c = ModelConfig.loadFromDir(Fixtures.fixture("tiny-qwen2"));
    assertEquals(ModelConfig.QWEN2, c.architecture());
    assertEquals(32, c.hiddenSize());
    assertEquals(64, c.intermediateSize());
    assertEquals(2, c.numLayers());
    assertEquals(4, c.numHeads());
    assertEquals(2, c.numKvHeads());
    assertEquals(8, c.headDim());
    assertEquals(400, c.vocabSize());
    assertEquals(256, c.maxPositionEmbeddings());
    assertEquals(1e-6, c.rmsNormEps());
    assertEquals(1e6, c.ropeTheta()); // only in "rope_parameters" (transformers 5)
    assertNull(c.ropeScaling()); // rope_type "default"
    assertFalse(c.tieWordEmbeddings());
    assertTrue(c.attentionBias()); // q/k/v biases
    assertFalse(c.attentionOutputBias()); // none on o_proj
    assertFalse(c.mlpBias());
    assertNull(c.slidingWindow()); // use_sliding_window false
    assertNull(c.slidingWindowOf(1));
    assertNull(c.bosTokenId()); // explicit null
    assertEquals(List.of(2), c.eosTokenIds());
    // theta 1e6, head_dim 8: 10^(-6 * 2i / 8) = 10^(-1.5 i)
    assertArrayEquals(new double[] {1, Math.pow(10, -1.5), 1e-3, Math.pow(10, -4.5)},
        c.ropeInverseFrequencies(), 1e-15);
  }

  // ---- variants of the format --------------------------------------------------------------

  @Test
  void explicitHeadDimMayDifferFromHiddenOverHeads() throws IOException {
    ModelConfig c = ModelConfig.load(llama("head_dim", "32"));
    assertEquals(32, c.headDim());
    assertEquals(16, c.ropeInverseFrequencies().length);
    // null head_dim falls back to hidden / heads
    assertEquals(8, ModelConfig.load(llama("head_dim", "null")).headDim());
  }

  @Test
  void defaultsForOmittedOptionalFields() throws IOException {
    ModelConfig c = ModelConfig.load(llama("num_key_value_heads", REMOVE, "rope_theta", REMOVE,
        "rms_norm_eps", REMOVE, "hidden_act", REMOVE, "max_position_embeddings", REMOVE));
    assertEquals(8, c.numKvHeads()); // = num_attention_heads
    assertEquals(10000.0, c.ropeTheta());
    assertEquals(1e-6, c.rmsNormEps());
    assertEquals("silu", c.hiddenAct());
    assertEquals(2048, c.maxPositionEmbeddings()); // LlamaConfig's default
    assertFalse(c.tieWordEmbeddings());
    assertEquals(1, c.bosTokenId()); // LlamaConfig's defaults
    assertEquals(List.of(2), c.eosTokenIds());
  }

  @Test
  void eosTokenIdMayBeAListOrNull() throws IOException {
    ModelConfig list = ModelConfig.load(llama("eos_token_id", "[128001, 128008, 128009]"));
    assertEquals(List.of(128001, 128008, 128009), list.eosTokenIds());
    ModelConfig none = ModelConfig.load(llama("eos_token_id", "null", "bos_token_id", "null"));
    assertEquals(List.of(), none.eosTokenIds());
    assertNull(none.bosTokenId());
  }

  @Test
  void llamaBiasFlagsCoverQkvOAndMlp() throws IOException {
    ModelConfig c = ModelConfig.load(llama("attention_bias", "true", "mlp_bias", "true"));
    assertTrue(c.attentionBias());
    assertTrue(c.attentionOutputBias());
    assertTrue(c.mlpBias());
  }

  @Test
  void mistralSlidingWindowAppliesToEveryLayer() throws IOException {
    ModelConfig c = ModelConfig.load(llama("architectures", "[\"MistralForCausalLM\"]",
        "sliding_window", "4096", "attention_bias", "true"));
    assertEquals(ModelConfig.MISTRAL, c.architecture());
    assertEquals(4096, c.slidingWindow());
    assertEquals(4096, c.slidingWindowOf(0));
    assertFalse(c.attentionBias()); // Mistral has no biases whatever the JSON says
    ModelConfig noWindow = ModelConfig.load(llama("architectures", "[\"MistralForCausalLM\"]",
        "sliding_window", "null"));
    assertNull(noWindow.slidingWindowOf(0));
  }

  @Test
  void qwen2SlidingWindowOnlyWhenEnabledAndFromMaxWindowLayers() throws IOException {
    String[] qwen = {"architectures", "[\"Qwen2ForCausalLM\"]", "sliding_window", "64",
        "max_window_layers", "1"};
    assertNull(ModelConfig.load(llama(qwen)).slidingWindow()); // use_sliding_window absent
    ModelConfig on = ModelConfig.load(llama(concat(qwen, "use_sliding_window", "true")));
    assertNull(on.slidingWindowOf(0));
    assertEquals(64, on.slidingWindowOf(1));
    // transformers 5 spells the same thing as layer_types
    ModelConfig typed = ModelConfig.load(llama(concat(qwen, "use_sliding_window", "true",
        "max_window_layers", "0", "layer_types", "[\"full_attention\", \"sliding_attention\"]")));
    assertNull(typed.slidingWindowOf(0));
    assertEquals(64, typed.slidingWindowOf(1));
  }

  @Test
  void linearRopeScalingInOldFormat() throws IOException {
    ModelConfig c = ModelConfig.load(llama("rope_scaling", "{\"type\": \"linear\", \"factor\": 4.0}"));
    assertEquals(ModelConfig.RopeScaling.linear(4.0), c.ropeScaling());
    // theta 1e4, head_dim 8: 10^-i, then divided by 4
    assertArrayEquals(new double[] {0.25, 0.025, 0.0025, 0.00025}, c.ropeInverseFrequencies(),
        1e-15);
  }

  @Test
  void llama3RopeScalingInBothFormatsMatchesHandComputedValues() throws IOException {
    // Llama 3.1's published rope settings.
    String[] shape = {"hidden_size", "4096", "num_attention_heads", "32", "num_key_value_heads", "8",
        "head_dim", "128"};
    ModelConfig old = ModelConfig.load(llama(concat(shape, "rope_theta", "500000.0",
        "rope_scaling", "{\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
            + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}")));
    ModelConfig v5 = ModelConfig.load(llama(concat(shape, "rope_theta", REMOVE,
        "rope_parameters", "{\"rope_theta\": 500000.0, \"rope_type\": \"llama3\", \"factor\": 8.0,"
            + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
            + " \"original_max_position_embeddings\": 8192}")));
    assertEquals(ModelConfig.RopeScaling.llama3(8, 1, 4, 8192), old.ropeScaling());
    assertEquals(old.ropeScaling(), v5.ropeScaling());
    assertEquals(500000.0, v5.ropeTheta());

    double[] inv = old.ropeInverseFrequencies();
    assertArrayEquals(inv, v5.ropeInverseFrequencies(), 0);
    assertEquals(64, inv.length);
    // Wavelength 2 pi / f; unchanged below 8192 / 4 = 2048, divided by 8 above 8192 / 1 = 8192.
    // i = 0: wavelength 2 pi, a high frequency: unchanged.
    assertEquals(1.0, inv[0], 1e-15);
    // i = 28: f = 500000^(-28/64), wavelength 1956.5 < 2048: unchanged.
    double f28 = Math.pow(500000, -28.0 / 64);
    assertEquals(f28, inv[28], 1e-18);
    // i = 32: f = 1/sqrt(500000), wavelength 2 pi sqrt(500000) = 4442.9: medium band, blended with
    // smooth = (8192 / wavelength - 1) / (4 - 1) = 0.281283; f * ((1 - smooth) / 8 + smooth).
    double f32 = 1 / Math.sqrt(500000);
    double smooth = (8192 / (2 * Math.PI * Math.sqrt(500000)) - 1) / 3;
    assertEquals(0.281283, smooth, 1e-6);
    assertEquals(f32 * ((1 - smooth) / 8 + smooth), inv[32], 1e-18);
    assertEquals(0.000524846, inv[32], 1e-9);
    // i = 35: wavelength 8218.7 > 8192, a low frequency: divided by 8.
    assertEquals(Math.pow(500000, -35.0 / 64) / 8, inv[35], 1e-18);
    assertEquals(Math.pow(500000, -63.0 / 64) / 8, inv[63], 1e-20);
    // The band edges of Llama 3.1: 29 unchanged (0..28), 6 blended (29..34), 29 scaled (35..63).
    for (int i = 0; i < 64; i++) {
      double plain = Math.pow(500000, -2.0 * i / 128);
      if (i <= 28) {
        assertEquals(plain, inv[i], plain * 1e-15, "index " + i);
      } else if (i >= 35) {
        assertEquals(plain / 8, inv[i], plain * 1e-15, "index " + i);
      } else {
        assertThat(inv[i]).as("index %d", i).isLessThan(plain).isGreaterThan(plain / 8);
      }
    }
  }

  @Test
  void buildsQwen25HalfBillionShapeInCode() {
    ModelConfig c = ModelConfig.qwen2_5_0_5B();
    assertEquals(896 / 14, c.headDim());
    assertEquals(7, c.kvGroups());
    assertEquals(151936, c.vocabSize());
    assertTrue(c.tieWordEmbeddings());
    assertTrue(c.attentionBias());
    assertFalse(c.attentionOutputBias());
    assertEquals(1e6, c.ropeTheta());
    assertEquals(32, c.ropeInverseFrequencies().length);
  }

  @Test
  void loadsTinyQwen3WithExplicitHeadDimAndQkNorms() {
    ModelConfig c = ModelConfig.loadFromDir(Fixtures.fixture("tiny-qwen3"));
    assertEquals(ModelConfig.QWEN3, c.architecture());
    assertTrue(c.qkNorm());
    assertEquals(16, c.headDim()); // hidden 32 / 4 heads would be 8
    assertTrue(c.tieWordEmbeddings());
    assertFalse(c.attentionBias());
    assertFalse(c.attentionOutputBias());
    assertEquals(1e6, c.ropeTheta());
    assertNull(c.slidingWindow());
    assertFalse(ModelConfig.loadFromDir(Fixtures.fixture("tiny-qwen2")).qkNorm());
  }

  @Test
  void qwen3DefaultsAreQwen3Configs() throws IOException {
    ModelConfig c = ModelConfig.load(qwen3("head_dim", REMOVE, "max_position_embeddings", REMOVE,
        "tie_word_embeddings", REMOVE, "bos_token_id", REMOVE, "eos_token_id", REMOVE,
        "attention_bias", REMOVE, "rms_norm_eps", REMOVE, "rope_theta", REMOVE));
    assertEquals(128, c.headDim()); // Qwen3Config's head_dim default, not hidden / heads = 8
    assertEquals(64, c.ropeInverseFrequencies().length);
    assertEquals(32768, c.maxPositionEmbeddings());
    assertFalse(c.tieWordEmbeddings());
    assertFalse(c.attentionBias());
    assertNull(c.bosTokenId());
    assertEquals(List.of(), c.eosTokenIds());
    assertEquals(1e-6, c.rmsNormEps());
    assertEquals(10000.0, c.ropeTheta());
    assertTrue(c.qkNorm());
    // model_type alone names it too
    assertEquals(ModelConfig.QWEN3, ModelConfig.load(qwen3("architectures", REMOVE)).architecture());
  }

  @Test
  void qwen3AttentionBiasCoversQkvAndO() throws IOException {
    ModelConfig c = ModelConfig.load(qwen3("attention_bias", "true"));
    assertTrue(c.attentionBias());
    assertTrue(c.attentionOutputBias());
    assertFalse(c.mlpBias());
    Map<String, long[]> shapes = Transformer.parameterShapes(c);
    assertArrayEquals(new long[] {64}, shapes.get("model.layers.0.self_attn.o_proj.bias"));
    assertArrayEquals(new long[] {8 * 16}, shapes.get("model.layers.0.self_attn.q_proj.bias"));
    assertArrayEquals(new long[] {16}, shapes.get("model.layers.0.self_attn.q_norm.weight"));
  }

  @Test
  void qwen3SlidingWindowAsQwen2() throws IOException {
    String[] window = {"sliding_window", "64", "max_window_layers", "1"};
    assertNull(ModelConfig.load(qwen3(window)).slidingWindow()); // use_sliding_window absent
    ModelConfig on = ModelConfig.load(qwen3(concat(window, "use_sliding_window", "true")));
    assertNull(on.slidingWindowOf(0));
    assertEquals(64, on.slidingWindowOf(1));
  }

  @Test
  void qwen3ConfigErrors() throws IOException {
    assertBad(qwen3("head_dim", "null"), "field \"head_dim\" is null; Qwen3ForCausalLM needs an"
        + " integer head_dim");
    assertBad(qwen3("head_dim", "15"), "head_dim (15) must be even");
    // Qwen3's long-context recipe (YaRN) is not implemented
    assertBad(qwen3("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0,"
        + " \"original_max_position_embeddings\": 32768}"), "unsupported rope_scaling type \"yarn\"");
    assertBad(qwen3("architectures", "[\"Qwen3MoeForCausalLM\"]"), "unsupported architecture"
        + " Qwen3MoeForCausalLM; supported: LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM,"
        + " Qwen3ForCausalLM");
    assertBad(qwen3("hidden_act", "\"gelu\""), "unsupported hidden_act \"gelu\"");
    assertBad(qwen3("partial_rotary_factor", "0.5"), "unsupported partial_rotary_factor 0.5");
  }

  @Test
  void buildsQwen3SixHundredMillionShapeInCode() {
    ModelConfig c = ModelConfig.qwen3_0_6B();
    assertTrue(c.qkNorm());
    assertEquals(128, c.headDim());
    assertEquals(2, c.kvGroups());
    assertFalse(c.attentionBias());
    assertArrayEquals(new long[] {16 * 128, 1024},
        Transformer.parameterShapes(c).get("model.layers.27.self_attn.q_proj.weight"));
  }

  // ---- bad input ---------------------------------------------------------------------------

  @Test
  void unsupportedArchitecture() throws IOException {
    Path file = llama("architectures", "[\"GPT2LMHeadModel\"]");
    assertBad(file, "unsupported architecture GPT2LMHeadModel; supported: LlamaForCausalLM,"
        + " Qwen2ForCausalLM, MistralForCausalLM");
  }

  @Test
  void unsupportedRopeScaling() throws IOException {
    assertBad(llama("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}"),
        "unsupported rope_scaling type \"yarn\"");
    assertBad(llama("rope_parameters", "{\"rope_theta\": 1e6, \"rope_type\": \"dynamic\","
        + " \"factor\": 2.0}"), "unsupported rope_scaling type \"dynamic\"");
    assertBad(llama("rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0}"),
        "low_freq_factor");
  }

  @Test
  void nonSiluActivation() throws IOException {
    assertBad(llama("hidden_act", "\"gelu\""), "unsupported hidden_act \"gelu\"");
  }

  @Test
  void malformedJson() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": ");
    assertBad(file, "malformed JSON");
  }

  @Test
  void missingRequiredField() throws IOException {
    assertBad(llama("num_hidden_layers", REMOVE), "missing required field \"num_hidden_layers\"");
  }

  @Test
  void headsNotDividing() throws IOException {
    assertBad(llama("num_key_value_heads", "3"),
        "num_attention_heads (8) must be a multiple of num_key_value_heads (3)");
    assertBad(llama("hidden_size", "60"), "hidden_size (60) is not divisible by"
        + " num_attention_heads (8)");
  }

  @Test
  void negativeOrMistypedSizes() throws IOException {
    assertBad(llama("vocab_size", "-1"), "vocab_size must be positive");
    assertBad(llama("intermediate_size", "\"128\""), "\"intermediate_size\" must be an integer");
  }

  // ---- generation_config.json --------------------------------------------------------------

  @Test
  void loadsGenerationConfigs() throws IOException {
    GenerationConfig stories = GenerationConfig.loadOrDefault(Fixtures.fixture("stories260K"));
    assertEquals(1, stories.bosTokenId());
    assertEquals(List.of(2), stories.eosTokenIds());
    assertEquals(512, stories.maxLength());
    assertNull(stories.temperature());

    GenerationConfig qwen = GenerationConfig.loadOrDefault(Fixtures.fixture("tiny-qwen2"));
    assertEquals(0, qwen.padTokenId());
    assertEquals(List.of(2), qwen.eosTokenIds());
    assertNull(qwen.bosTokenId());

    assertEquals(GenerationConfig.empty(), GenerationConfig.loadOrDefault(dir));

    Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 151643,"
        + " \"eos_token_id\": [151645, 151643], \"do_sample\": true, \"temperature\": 0.7,"
        + " \"top_p\": 0.8, \"top_k\": 20, \"repetition_penalty\": 1.05, \"max_new_tokens\": 256,"
        + " \"min_new_tokens\": 4}");
    GenerationConfig g = GenerationConfig.loadOrDefault(dir);
    assertEquals(new GenerationConfig(151643, List.of(151645, 151643), null, true, 0.7, 0.8, 20,
        1.05, 256, null, 4), g);

    Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": \"hot\"}");
    BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(BadInputException.class,
        () -> GenerationConfig.loadOrDefault(dir));
    assertThat(e.getMessage()).contains("generation_config.json").contains("temperature");
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static final String REMOVE = "<remove>";

  private static final String BASE_LLAMA = "{\"architectures\": [\"LlamaForCausalLM\"],"
      + " \"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128,"
      + " \"num_hidden_layers\": 2, \"num_attention_heads\": 8, \"num_key_value_heads\": 4,"
      + " \"vocab_size\": 100, \"max_position_embeddings\": 128, \"rms_norm_eps\": 1e-5,"
      + " \"rope_theta\": 10000.0, \"hidden_act\": \"silu\"}";

  /** A small Llama config.json with fields replaced (JSON text values) or removed. */
  private Path llama(String... fieldsAndValues) throws IOException {
    ObjectNode root = (ObjectNode) JSON.readTree(BASE_LLAMA);
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      String field = fieldsAndValues[i];
      String value = fieldsAndValues[i + 1];
      if (value.equals(REMOVE)) {
        root.remove(field);
      } else {
        root.set(field, JSON.readTree(value));
      }
    }
    Path file = dir.resolve("config.json");
    Files.writeString(file, JSON.writeValueAsString(root));
    return file;
  }

  /** A small Qwen3 config.json (head_dim 16, not hidden / heads) with fields replaced or removed. */
  private Path qwen3(String... fieldsAndValues) throws IOException {
    return llama(concat(new String[] {"architectures", "[\"Qwen3ForCausalLM\"]", "model_type",
        "\"qwen3\"", "head_dim", "16", "attention_bias", "false", "tie_word_embeddings", "true",
        "bos_token_id", "null", "eos_token_id", "151645"}, fieldsAndValues));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void assertBad(Path configJson, String problem) {
    try {
      ModelConfig.load(configJson);
    } catch (BadInputException e) {
      assertThat(e.file()).isEqualTo(configJson);
      assertThat(e.getMessage()).contains("config.json").contains(problem);
      return;
    }
    throw new AssertionError("expected a BadInputException about: " + problem);
  }
}
