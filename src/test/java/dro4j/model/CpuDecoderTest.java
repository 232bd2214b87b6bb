package dro4j.model;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static dro4j.ReferenceData.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dro4j.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java Vector API decode path ({@link CpuDecoder}) against transformers' logits and against the
 * libtorch path on the same cache: ragged rows, inactive rows, q/k/v biases, q/k norms, sliding
 * windows, weights chunked over several buffers, several threads, and in-place weight updates; and
 * the same with LoRA adapters on some or all projections.
 */
class CpuDecoderTest {
  static NDManager manager;

  @BeforeAll
  static void start() {
    org.junit.jupiter.api.Assumptions.assumeTrue(KernelJdks.expected(), "JDK 19-21: no Java decode kernels");
    manager = TensorEngine.newManager();
  }

  @AfterAll
  static void stop() {
    if (manager != null) manager.close();
  }

  @Test
  void theSurefireJvmHasTheVectorModule() {
    // the fast path is what the suite tests; FallbackTest covers the JVM without it
    assertThat(FastDecode.available()).isTrue();
  }

  @Test
  void decodingTokenByTokenMatchesTransformersLogits() {
    Path stories = Fixtures.fixture("stories260K");
    try (Transformer model = Transformer.load(stories, ModelConfig.loadFromDir(stories), manager);
        SafeTensors ref = SafeTensors.openFile(Fixtures.fixture("stories260K-reference", "logits.safetensors"))) {
      assertThat(model.usesJavaDecode()).isTrue();
      for (JsonNode c : json(Fixtures.fixture("stories260K-reference", "logits_cases.json"))) {
        tokenByToken(model, ints(c.get("ids")), ref.floats("logits." + c.get("index").asInt()), 1e-4);
      }
    }
    Path qwen2 = Fixtures.fixture("tiny-qwen2"); // q/k/v biases, bf16 weights
    try (Transformer model = Transformer.load(qwen2, ModelConfig.loadFromDir(qwen2), manager);
        SafeTensors ref = SafeTensors.openFile(Fixtures.fixture("tiny-qwen2-reference", "reference_logits.safetensors"))) {
      int[] ids = ints(json(Fixtures.fixture("tiny-qwen2-reference", "reference.json")).get("ids"));
      tokenByToken(model, ids, ref.floats("logits.chat"), 1e-3); // TransformerTest's tolerance for it
    }
    Path qwen3 = Fixtures.fixture("tiny-qwen3"); // q/k norms, head_dim != hidden / heads
    try (Transformer model = Transformer.load(qwen3, ModelConfig.loadFromDir(qwen3), manager);
        SafeTensors ref = SafeTensors.openFile(Fixtures.fixture("tiny-qwen3-reference", "reference_logits.safetensors"))) {
      for (JsonNode c : json(Fixtures.fixture("tiny-qwen3-reference", "reference.json")).get("cases")) {
        tokenByToken(model, ints(c.get("ids")), ref.floats("logits." + c.get("name").asText()), 1e-3);
      }
    }
  }

  /** Feeds {@code ids} one at a time through the Java path; each step's logits against the reference rows. */
  private static void tokenByToken(Transformer model, int[] ids, float[] expected, double tolerance) {
    int vocab = model.config().vocabSize();
    try (NDManager m = manager.newSubManager(); KvCache cache = model.newCache(m, 1, 2)) { // grows on the way
      for (int t = 0; t < ids.length; t++) {
        float[] actual = model.nextTokenLogits(cache, new int[] {ids[t]}, new boolean[] {true})[0];
        float[] want = Arrays.copyOfRange(expected, t * vocab, (t + 1) * vocab);
        assertThat(maxAbsDiff(actual, want)).as("%s position %d", model.config().architecture(), t)
            .isLessThan(tolerance);
      }
    }
  }

  /** A Mistral-like random model with a sliding window on layer 1, odd sizes and non-zero biases. */
  static Transformer oddModel() {
    ModelConfig c = new ModelConfig(ModelConfig.MISTRAL, 40, 72, 2, 4, 2, 10, 97, 512, 1e-5, 10_000.0, null, false,
        true, true, true, 3, 1, null, List.of(), "silu");
    Transformer t = Transformer.random(c, 7, 0.2, manager);
    for (var e : t.parameters().entrySet()) {
      if (e.getKey().endsWith(".bias") || e.getKey().endsWith("norm.weight")) {
        // in place: the Java path must see it through its views
        e.getValue().addi(manager.randomNormal(e.getValue().getShape()).muli(0.1f));
      }
    }
    return t;
  }

  @Test
  void raggedBatchMatchesTheLibtorchPathAndLeavesTheSameCache() {
    try (Transformer model = oddModel()) {
      compareWithLibtorch(model, model, 1e-4);
    }
  }

  @Test
  void resultsDoNotDependOnThreadsOrWeightChunks() {
    try (Transformer model = oddModel()) {
      sameBitsWhateverThreadsChunksAndBatch(model, null);
    }
  }

  @Test
  void withAnAdapterResultsDoNotDependOnThreadsOrWeightChunks() {
    try (Transformer model = oddModel();
        // layer 1's k, o and gate only: each fused pass with part of its matrices adapted, layer 0 with none
        LoraAdapter some = randomAdapter(model, new LoraConfig(5, 10, 0, List.of(),
            "model\\.layers\\.1\\..*(k_proj|o_proj|gate_proj)", false, null), 11);
        LoraAdapter all = randomAdapter(model, LoraConfig.of(5, 10, 0, LoraConfig.LINEAR_MODULES), 12)) {
      assertThat(some.modulePaths()).hasSize(3);
      sameBitsWhateverThreadsChunksAndBatch(model, some);
      sameBitsWhateverThreadsChunksAndBatch(model, all);
    }
  }

  /**
   * Decodes six steps of nine ragged rows with {@code adapter} (or none) on one thread, and again on
   * three threads with weights in many small buffers: the same bits; rows 0 and 8 decoded alone in a
   * batch of one give the same bits as in the batch.
   */
  private static void sameBitsWhateverThreadsChunksAndBatch(Transformer model, LoraAdapter adapter) {
    try (NDManager m = manager.newSubManager()) {
      CpuDecoder one = new CpuDecoder(model.config(), model.parameters(), new DecodeThreads(1), CpuDecoder.MAX_CHUNK_BYTES);
      DecodeThreads three = new DecodeThreads(3);
      // 5 rows of 40 floats per buffer: the 97-row head and embedding span 20 chunks (and B [72, 5] 3)
      CpuDecoder split = new CpuDecoder(model.config(), model.parameters(), three, 5 * 40 * 4 + 3);
      int[] alone = {0, 8};
      // up to nine active rows: two tiles of four batch rows and one on its own, or fewer
      try (KvCache a = model.newCache(m, 9, 4); KvCache b = model.newCache(m, 9, 4);
          KvCache first = model.newCache(m, 1, 4); KvCache last = model.newCache(m, 1, 4)) {
        KvCache[] single = {first, last};
        for (int step = 0; step < 6; step++) {
          int[] tokens = new int[9];
          boolean[] valid = new boolean[9];
          for (int r = 0; r < 9; r++) {
            tokens[r] = (step * 11 + r * 5) % 97;
            valid[r] = r % 3 != step % 3 || step == 0;
          }
          float[][] x = one.step(a, tokens, valid, adapter);
          float[][] y = split.step(b, tokens, valid, adapter);
          for (int r = 0; r < 9; r++) {
            assertThat(y[r]).as("step %d row %d", step, r).isEqualTo(x[r]);
          }
          for (int i = 0; i < alone.length; i++) {
            int r = alone[i];
            float[][] z = split.step(single[i], new int[] {tokens[r]}, new boolean[] {valid[r]}, adapter);
            assertThat(z[0]).as("step %d row %d alone", step, r).isEqualTo(x[r]);
          }
        }
      } finally {
        three.close();
      }
    }
  }

  /**
   * A LoRA adapter for {@code model} with {@code settings} and every factor random, B too (a new
   * adapter's B is zero, which would hide the second product).
   */
  static LoraAdapter randomAdapter(Transformer model, LoraConfig settings, long seed) {
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (LoraAdapter fresh = LoraAdapter.create(model.config(), settings, seed, manager)) {
      fresh.tensors(values, shapes);
    }
    Random rng = new Random(seed);
    values.forEach((name, v) -> {
      if (name.endsWith("lora_B.weight")) {
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextGaussian() * 0.1);
        }
      }
    });
    return LoraAdapter.of(model.config(), settings, values, manager);
  }

  /**
   * Rank 5 (not a multiple of the kernels' four-row tiles, shorter than a vector), scale 2: q and v
   * without k, up without gate, down without o (fused passes with part of their matrices adapted),
   * then all seven projections.
   */
  static final List<LoraConfig> ADAPTERS = List.of(
      LoraConfig.of(5, 10, 0, List.of("q_proj", "v_proj", "up_proj", "down_proj")),
      LoraConfig.of(5, 10, 0, LoraConfig.LINEAR_MODULES));

  @Test
  void anAdapterOnSomeOrAllProjectionsMatchesTheLibtorchPath() {
    Path stories = Fixtures.fixture("stories260K");
    for (LoraConfig settings : ADAPTERS) {
      try (Transformer odd = oddModel();
          Transformer model = Transformer.load(stories, ModelConfig.loadFromDir(stories), manager)) {
        for (Transformer t : List.of(odd, model)) {
          LoraAdapter adapter = randomAdapter(t, settings, 3);
          float[] base = stepOnce(t);
          t.attachAdapter(adapter);
          assertThat(t.usesJavaDecode()).isTrue();
          assertThat(maxAbsDiff(stepOnce(t), base)).as("the adapter changes the logits").isGreaterThan(1e-2);
          compareWithLibtorch(t, t, 1e-4);
          t.detachAdapter().close();
        }
      }
    }
  }

  @Test
  void adapterUpdatesInPlaceAreSeenByTheNextStep() {
    try (Transformer model = oddModel(); LoraAdapter adapter = randomAdapter(model, ADAPTERS.get(1), 4)) {
      model.attachAdapter(adapter);
      float[] before = stepOnce(model);
      adapter.parameters().get(LoraAdapter.key("model.layers.1.mlp.down_proj", "lora_B")).muli(3f);
      adapter.parameters().get(LoraAdapter.key("model.layers.0.self_attn.q_proj", "lora_A")).addi(0.05f);
      assertMovedAndMatchesLibtorch(model, before);
    }
  }

  /** The next step's logits moved from {@code before} and equal the libtorch path's (which it then switches to). */
  private static void assertMovedAndMatchesLibtorch(Transformer model, float[] before) {
    float[] after = stepOnce(model);
    model.useJavaDecode(false);
    float[] libtorch = stepOnce(model);
    assertThat(maxAbsDiff(after, before)).isGreaterThan(1e-3);
    assertThat(maxAbsDiff(after, libtorch)).isLessThan(1e-4);
  }

  @Test
  void theAdapterDisabledReadsTheBaseOnly() {
    try (Transformer model = oddModel(); LoraAdapter adapter = randomAdapter(model, ADAPTERS.get(1), 5)) {
      float[] base = stepOnce(model);
      model.attachAdapter(adapter);
      float[] adapted = stepOnce(model);
      assertThat(maxAbsDiff(adapted, base)).isGreaterThan(1e-2);
      // the reference policy of a LoRA run: a view of the same base without the adapter
      try (Transformer reference = model.withoutAdapter()) {
        assertThat(reference.usesJavaDecode()).isTrue();
        assertThat(stepOnce(reference)).isEqualTo(base);
      }
      assertThat(stepOnce(model)).isEqualTo(adapted);
      model.detachAdapter();
      assertThat(stepOnce(model)).isEqualTo(base);
      model.attachAdapter(adapter);
      assertThat(stepOnce(model)).isEqualTo(adapted);
    }
  }

  @Test
  void trainingUpdatesInPlaceAreSeenByTheNextStep() {
    try (Transformer model = oddModel()) {
      float[] before = stepOnce(model);
      model.parameters().get("model.layers.1.mlp.down_proj.weight").muli(1.5f);
      model.parameters().get("lm_head.weight").addi(0.01f);
      assertMovedAndMatchesLibtorch(model, before);
    }
  }

  @Test
  void aClosedModelOrCacheIsAnErrorNotACrash() {
    Transformer model = oddModel();
    try (NDManager m = manager.newSubManager()) {
      KvCache cache = model.newCache(m, 1, 4);
      model.nextTokenLogits(cache, new int[] {1}, new boolean[] {true});
      cache.close();
      assertThat(cache.inPlaceAccessible()).isFalse();
      assertThatThrownBy(() -> cache.keyBuffer(0)).isInstanceOf(IllegalStateException.class);
      KvCache other = model.newCache(m, 1, 4);
      model.close();
      assertThatThrownBy(() -> model.nextTokenLogits(other, new int[] {1}, new boolean[] {true}))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
      assertThatThrownBy(() -> oddModelStep(other)).isInstanceOf(IllegalArgumentException.class);
    }
    try (Transformer t = oddModel(); NDManager m = manager.newSubManager(); KvCache cache = t.newCache(m, 1, 4)) {
      LoraAdapter adapter = randomAdapter(t, ADAPTERS.get(0), 6);
      t.attachAdapter(adapter);
      adapter.close();
      assertThatThrownBy(() -> t.nextTokenLogits(cache, new int[] {1}, new boolean[] {true}))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("adapter is closed");
    }
  }

  private static void oddModelStep(KvCache cache) {
    try (Transformer t = oddModel()) {
      t.nextTokenLogits(cache, new int[] {97}, new boolean[] {true}); // outside the vocabulary
    }
  }

  private static float[] stepOnce(Transformer model) {
    try (NDManager m = manager.newSubManager(); KvCache cache = model.newCache(m, 1, 4)) {
      model.forward(cache, new int[][] {{5, 6, 7}}, new boolean[][] {{true, true, true}}, m);
      return model.nextTokenLogits(cache, new int[] {8}, new boolean[] {true})[0];
    }
  }

  /**
   * Prefills ragged rows (left padding) through libtorch, then decodes the same steps on {@code java}
   * (Java path) and {@code torch} (libtorch path, same weights) and compares logits; finally appends
   * a multi-token block through libtorch to both caches, which reads the keys and values the Java
   * path wrote.
   */
  static void compareWithLibtorch(Transformer java, Transformer torch, double tolerance) {
    int vocab = java.config().vocabSize();
    // five rows: one tile of four batch rows plus one on its own
    int[][] prompt = {{0, 0, 3, 4, 5}, {9, 8, 7, 6, 5}, {0, 0, 0, 0, 1}, {2, 2, 2, 2, 2}, {0, 11, 12, 13, 14}};
    boolean[][] promptValid = {{false, false, true, true, true}, {true, true, true, true, true},
        {false, false, false, false, true}, {true, true, true, true, true}, {false, true, true, true, true}};
    int rows = prompt.length;
    try (NDManager m = manager.newSubManager();
        KvCache a = java.newCache(m, rows, 6); // grows during decoding
        KvCache b = torch.newCache(m, rows, 6)) {
      java.forward(a, prompt, promptValid, m);
      torch.forward(b, prompt, promptValid, m);
      for (int step = 0; step < 5; step++) {
        int[] tokens = {(step * 13) % vocab, (step * 7 + 1) % vocab, (step * 3 + 2) % vocab, step, vocab - 1 - step};
        boolean[] valid = {step != 2, true, step % 2 == 1, true, true};
        java.useJavaDecode(true);
        float[][] x = java.nextTokenLogits(a, tokens, valid);
        torch.useJavaDecode(false);
        float[][] y = torch.nextTokenLogits(b, tokens, valid);
        java.useJavaDecode(true);
        for (int r = 0; r < rows; r++) {
          if (valid[r]) {
            assertThat(maxAbsDiff(x[r], y[r])).as("step %d row %d", step, r).isLessThan(tolerance);
          } else {
            assertThat(x[r]).isNull();
            assertThat(y[r]).isNull();
          }
        }
      }
      int[][] more = {{1, 2}, {3, 0}, {4, 5}, {6, 7}, {8, 9}};
      boolean[][] moreValid = {{true, true}, {true, false}, {true, true}, {false, false}, {true, true}};
      float[] x = java.logits(java.forward(a, more, moreValid, m)).toFloatArray();
      float[] y = torch.logits(torch.forward(b, more, moreValid, m)).toFloatArray();
      assertThat(x.length).isEqualTo(rows * 2 * vocab);
      assertThat(maxAbsDiff(x, y)).isLessThan(tolerance);
    }
  }

  @Test
  void theSettingChoosesThePath() {
    assertThat(FastDecode.choose(true, null)).isTrue();
    assertThat(FastDecode.choose(true, "auto")).isTrue();
    assertThat(FastDecode.choose(true, "libtorch")).isFalse();
    assertThat(FastDecode.choose(false, "vector")).isFalse();
    assertThat(FastDecode.choose(false, null)).isFalse();
    assertThatThrownBy(() -> FastDecode.choose(true, "fast")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DRO4J_DECODE");
    assertThat(FastDecode.hint()).contains("--add-modules jdk.incubator.vector").doesNotContain("\n");
    assertThat(FastDecode.hint(true, 21)).contains("JDK 21").contains("JDK 17-18").doesNotContain("\n");
  }

  @Test
  void readBandwidthIsMeasured() {
    // a rate, not a timed assertion: any positive finite number of bytes per second
    double rate = FastDecode.readBandwidth(4 << 20, 1);
    assertThat(rate).isPositive().isFinite();
    java.util.function.DoubleSupplier passes = FastDecode.bandwidthPasses(4 << 20);
    for (int i = 0; i < 3; i++) {
      assertThat(passes.getAsDouble()).as("pass %d", i).isPositive().isFinite(); // one array, read again
    }
  }
}
