package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.rl.checkpoint.AdapterMerge;
import dro4j.score.TokenScores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters in PEFT's layout on the stories260K fixture: initialisation, the files and their
 * names, merging, scoring with an adapter against the merged model, and the errors of a broken adapter.
 */
class LoraAdapterTest {
  static final Path STORIES = Fixtures.fixture("stories260K");

  /**
   * An adapter folder for stories260K with non-zero B (a fresh adapter's B is zero): A from PEFT's
   * init, B uniform in ±0.1.
   */
  static Path adapterWithNonZeroB(Path dir, LoraConfig settings) {
    ModelConfig config = ModelConfig.loadFromDir(STORIES);
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (NDManager m = TensorEngine.newManager(); LoraAdapter a = LoraAdapter.create(config, settings, 5, m)) {
      a.tensors(values, shapes);
    }
    Random rng = new Random(9);
    values.forEach((k, v) -> {
      if (k.endsWith("lora_B.weight")) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 0.2 - 0.1);
      }
    });
    settings.withBaseModel(STORIES.toString()).save(dir);
    SafeTensors.write(dir.resolve(LoraAdapter.WEIGHTS_FILE), values, shapes, Map.of("format", "pt"), "F32");
    return dir;
  }

  @Test
  void aNewAdapterHasPeftNamesShapesAndInitAndSavesAPeftFolder(@TempDir Path dir) throws IOException {
    ModelConfig config = ModelConfig.loadFromDir(STORIES);
    try (NDManager m = TensorEngine.newManager();
        LoraAdapter a = LoraAdapter.create(config, LoraConfig.of(4, 8, 0.05, null), 1, m)) {
      assertThat(a.parameters()).hasSize(2 * 7 * config.numLayers());
      String q = "base_model.model.model.layers.0.self_attn.q_proj.";
      long hidden = config.hiddenSize();
      assertThat(a.parameters().get(q + "lora_A.weight").getShape().getShape()).containsExactly(4, hidden);
      assertThat(a.parameters().get(q + "lora_B.weight").getShape().getShape())
          .containsExactly((long) config.numHeads() * config.headDim(), 4);
      String down = "base_model.model.model.layers.0.mlp.down_proj.";
      assertThat(a.parameters().get(down + "lora_A.weight").getShape().getShape())
          .containsExactly(4, config.intermediateSize());
      // kaiming_uniform_(a=sqrt(5)): uniform in ±1/sqrt(in), spread over the range; B zero
      float[] values = a.parameters().get(q + "lora_A.weight").toFloatArray();
      double bound = 1 / Math.sqrt(hidden);
      double max = 0;
      for (float v : values) max = Math.max(max, Math.abs(v));
      assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.8 * bound);
      assertThat(a.parameters().get(q + "lora_B.weight").toFloatArray()).containsOnly(0f);

      a.save(dir, "some/base");
      JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
      assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
      assertThat(cfg.get("task_type").asText()).isEqualTo("CAUSAL_LM");
      assertThat(cfg.get("r").asInt()).isEqualTo(4);
      assertThat(cfg.get("lora_alpha").isIntegralNumber()).isTrue();
      assertThat(cfg.get("lora_alpha").asInt()).isEqualTo(8);
      assertThat(cfg.get("lora_dropout").asDouble()).isEqualTo(0.05);
      assertThat(cfg.get("bias").asText()).isEqualTo("none");
      assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo("some/base");
      assertThat(cfg.get("target_modules")).extracting(JsonNode::asText).containsExactlyElementsOf(LoraConfig.LINEAR_MODULES);
      try (SafeTensors st = SafeTensors.openFile(dir.resolve("adapter_model.safetensors"))) {
        assertThat(st.names()).isEqualTo(a.parameters().keySet());
        assertThat(st.metadata()).containsEntry("format", "pt");
        assertThat(st.info(q + "lora_A.weight").dtype()).isEqualTo("F32");
      }
    }
  }

  @Test
  void mergedWeightsAreWPlusScaleBAAndScoringWithTheAdapterEqualsTheMergedModel(@TempDir Path dir) {
    // q and down only: other modules stay the base's bit for bit
    Path adapter = adapterWithNonZeroB(dir.resolve("adapter"), LoraConfig.of(3, 6, 0.0, List.of("q_proj", "down_proj")));
    Path merged = dir.resolve("merged");
    AdapterMerge.merge(STORIES, adapter, merged, null);
    double scale = 6.0 / 3;
    try (SafeTensors base = SafeTensors.open(STORIES);
        SafeTensors lora = SafeTensors.openFile(adapter.resolve("adapter_model.safetensors"));
        SafeTensors out = SafeTensors.openFile(merged.resolve("model.safetensors"))) {
      int checked = 0;
      for (String name : out.names()) {
        float[] w = base.floats(name);
        float[] got = out.floats(name);
        String module = name.replace(".weight", "");
        String aKey = "base_model.model." + module + ".lora_A.weight";
        if (!lora.contains(aKey)) {
          assertThat(got).as(name).containsExactly(w);
          continue;
        }
        float[] a = lora.floats(aKey);
        float[] b = lora.floats("base_model.model." + module + ".lora_B.weight");
        int rows = Math.toIntExact(out.info(name).shape()[0]);
        int cols = Math.toIntExact(out.info(name).shape()[1]);
        double worst = 0;
        double change = 0;
        for (int o = 0; o < rows; o++) {
          for (int i = 0; i < cols; i++) {
            double d = 0;
            for (int k = 0; k < 3; k++) d += (double) b[o * 3 + k] * a[k * cols + i];
            double expected = w[o * cols + i] + scale * d;
            worst = Math.max(worst, Math.abs(got[o * cols + i] - expected));
            change = Math.max(change, Math.abs(scale * d));
          }
        }
        assertThat(worst).as(name).isLessThan(1e-6); // one fp32 rounding of values below 8
        assertThat(change).as(name).isGreaterThan(1e-3);
        checked++;
      }
      assertThat(checked).isEqualTo(2 * ModelConfig.loadFromDir(STORIES).numLayers());
    }
    assertThat(merged.resolve("tokenizer.json")).isRegularFile();
    assertThat(merged.resolve("config.json")).isRegularFile();

    String context = "Once upon a time, there was a little girl";
    String target = " who liked to play with her ball in the park.";
    try (LanguageModel withAdapter = LanguageModel.load(STORIES, adapter);
        LanguageModel mergedModel = LanguageModel.load(merged);
        LanguageModel plain = LanguageModel.load(STORIES)) {
      int[] c = withAdapter.tokenizer().encode(context, true);
      int[] t = withAdapter.tokenizer().encode(target, false);
      TokenScores s1 = withAdapter.score(c, t);
      TokenScores s2 = mergedModel.score(c, t);
      TokenScores s0 = plain.score(c, t);
      for (int j = 0; j < t.length; j++) {
        assertThat((double) s1.logprobs()[j]).isCloseTo(s2.logprobs()[j], org.assertj.core.data.Offset.offset(1e-4));
      }
      assertThat(Math.abs(s1.sum() - s0.sum())).as("the adapter changes the model").isGreaterThan(1e-2);
      // the base view of an adapted model is the base
      try (LanguageModel base = withAdapter.withoutAdapter()) {
        assertThat(base.score(c, t).logprobs()).containsExactly(s0.logprobs());
      }
    }
  }

  @Test
  void brokenAdaptersGiveErrorsNamingTheFile(@TempDir Path dir) throws IOException {
    LoraConfig settings = LoraConfig.of(2, 4, 0.0, List.of("q_proj"));
    Path good = adapterWithNonZeroB(dir.resolve("good"), settings);
    Path weights = good.resolve("adapter_model.safetensors");
    Path config = good.resolve("adapter_config.json");

    Path malformed = copy(good, dir.resolve("malformed"));
    Files.writeString(malformed.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": ");
    assertLoadFails(malformed, "adapter_config.json", "malformed JSON");

    Path other = copy(good, dir.resolve("other"));
    Files.writeString(other.resolve("adapter_config.json"),
        Files.readString(config).replace("\"LORA\"", "\"IA3\""));
    assertLoadFails(other, "adapter_config.json", "peft_type");

    Path noWeights = copy(good, dir.resolve("no-weights"));
    Files.delete(noWeights.resolve("adapter_model.safetensors"));
    assertLoadFails(noWeights, "adapter_model.safetensors", "does not exist");

    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.openFile(weights)) {
      for (String n : st.names()) {
        values.put(n, st.floats(n));
        shapes.put(n, st.info(n).shape());
      }
    }
    String b0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

    Path missing = copy(good, dir.resolve("missing"));
    Map<String, float[]> fewer = new LinkedHashMap<>(values);
    fewer.remove(b0);
    SafeTensors.write(missing.resolve("adapter_model.safetensors"), fewer, shapes, Map.of());
    assertLoadFails(missing, "adapter_model.safetensors", "missing tensor '" + b0 + "'");

    Path wrongShape = copy(good, dir.resolve("wrong-shape"));
    Map<String, long[]> otherShapes = new LinkedHashMap<>(shapes);
    long[] s = shapes.get(b0);
    otherShapes.put(b0, new long[] {s[1], s[0]});
    SafeTensors.write(wrongShape.resolve("adapter_model.safetensors"), values, otherShapes, Map.of());
    assertLoadFails(wrongShape, "adapter_model.safetensors", "has shape");

    Path extra = copy(good, dir.resolve("extra"));
    Map<String, float[]> more = new LinkedHashMap<>(values);
    Map<String, long[]> moreShapes = new LinkedHashMap<>(shapes);
    more.put("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", new float[] {1, 2});
    moreShapes.put("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", new long[] {2});
    SafeTensors.write(extra.resolve("adapter_model.safetensors"), more, moreShapes, Map.of());
    assertLoadFails(extra, "adapter_model.safetensors", "unexpected tensor");

    Path head = copy(good, dir.resolve("head"));
    Files.writeString(head.resolve("adapter_config.json"),
        Files.readString(config).replaceAll("\"q_proj\"", "\"q_proj\", \"lm_head\""));
    assertLoadFails(head, "adapter_config.json", "lm_head");
  }

  private static void assertLoadFails(Path adapter, String file, String message) {
    assertThatThrownBy(() -> LanguageModel.load(STORIES, adapter).close())
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(adapter.resolve(file).toString())
        .hasMessageContaining(message);
  }

  private static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, to.resolve(f.getFileName()));
    }
    return to;
  }

  /**
   * The Java decode kernels apply an attached adapter (CpuDecoderTest compares them with libtorch), but
   * not dropout: inside a dropout scope decoding goes through libtorch, which applies it.
   */
  @Test
  void anAttachedAdapterKeepsTheJavaDecodePathExceptInsideADropoutScope() {
    try (LanguageModel lm = LanguageModel.load(STORIES)) {
      boolean javaBefore = lm.transformer().usesJavaDecode();
      lm.attachNewAdapter(LoraConfig.of(4, 8, 0.1, null), 2);
      assertThat(lm.transformer().usesJavaDecode()).isEqualTo(javaBefore);
      try (LoraAdapter.DropoutScope d = LoraAdapter.dropout(lm.transformer(), new long[] {1})) {
        assertThat(lm.transformer().usesJavaDecode()).isFalse();
      }
      assertThat(lm.transformer().usesJavaDecode()).isEqualTo(javaBefore);
      lm.transformer().detachAdapter().close();
      assertThat(lm.transformer().usesJavaDecode()).isEqualTo(javaBefore);
    }
  }

  @Test
  void dropoutActsOnlyInsideItsScopeWithMasksFromTheRowSeeds() {
    try (LanguageModel lm = LanguageModel.load(STORIES)) {
      lm.attachNewAdapter(LoraConfig.of(4, 8, 0.5, null), 2);
      // non-zero B so that the adapter's input matters
      lm.adapter().parameters().forEach((k, v) -> {
        if (k.endsWith("lora_B.weight")) v.muli(0).addi(0.05f);
      });
      int[][] tokens = {lm.tokenizer().encode("Once upon a time", true)};
      boolean[][] valid = {new boolean[tokens[0].length]};
      java.util.Arrays.fill(valid[0], true);
      float[] plain = hidden(lm, tokens, valid, null);
      float[] seedA = hidden(lm, tokens, valid, new long[] {11});
      assertThat(hidden(lm, tokens, valid, new long[] {11})).containsExactly(seedA);
      assertThat(hidden(lm, tokens, valid, new long[] {12})).isNotEqualTo(seedA);
      assertThat(seedA).isNotEqualTo(plain);
      assertThat(hidden(lm, tokens, valid, null)).containsExactly(plain);
    }
  }

  @Test
  void droppedInputsAreZeroOrTheInputTimesOneOverOneMinusPWithTheGradientOfTheSameMask() {
    double p = 0.3;
    try (LanguageModel lm = LanguageModel.load(STORIES)) {
      lm.attachNewAdapter(LoraConfig.of(4, 8, p, null), 2);
      LoraAdapter a = lm.adapter();
      float keep = (float) (1 / (1 - p));
      int rows = 2;
      int cols = 4096;
      float[] values = new float[rows * cols];
      Random rng = new Random(3);
      for (int i = 0; i < values.length; i++) values[i] = (float) rng.nextGaussian();
      try (NDManager m = lm.manager().newSubManager();
          LoraAdapter.DropoutScope d = LoraAdapter.dropout(lm.transformer(), new long[] {7, 8});
          GradientCollector c = Engine.getInstance().newGradientCollector()) {
        NDArray x = m.create(values, new Shape(rows, 1, cols));
        x.setRequiresGradient(true);
        NDArray y = a.dropped(x, 1, 4);
        float[] out = y.toFloatArray();
        c.backward(y.sum());
        float[] grad = x.getGradient().toFloatArray();
        int zeros = 0;
        for (int i = 0; i < out.length; i++) {
          boolean dropped = Float.floatToRawIntBits(out[i]) == Float.floatToRawIntBits(values[i] * 0f);
          if (dropped) {
            zeros++;
            assertThat(grad[i]).as("gradient of dropped element " + i).isZero();
          } else {
            assertThat(out[i]).as("kept element " + i).isEqualTo(values[i] * keep);
            assertThat(grad[i]).as("gradient of kept element " + i).isEqualTo(keep);
          }
        }
        // 8,192 draws at p = 0.3: the share of zeros lies within 5 standard deviations (0.025)
        assertThat(zeros / (double) out.length).isCloseTo(p, org.assertj.core.data.Offset.offset(0.025));
        float[] rowA = java.util.Arrays.copyOfRange(out, 0, cols);
        float[] again = a.dropped(x, 1, 4).toFloatArray();
        assertThat(again).containsExactly(out); // the same (row seed, layer, module) gives the same mask
        assertThat(java.util.Arrays.copyOfRange(a.dropped(x, 1, 5).toFloatArray(), 0, cols)).isNotEqualTo(rowA);
      }
    }
  }

  private static float[] hidden(LanguageModel lm, int[][] tokens, boolean[][] valid, long[] rowSeeds) {
    try (NDManager m = lm.manager().newSubManager();
        LoraAdapter.DropoutScope d = rowSeeds == null ? () -> {} : LoraAdapter.dropout(lm.transformer(), rowSeeds)) {
      return lm.transformer().forward(tokens, valid, m).toFloatArray();
    }
  }
}
