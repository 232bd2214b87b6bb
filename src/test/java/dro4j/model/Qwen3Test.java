package dro4j.model;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static dro4j.ReferenceData.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.rl.AdamW;
import dro4j.rl.checkpoint.CheckpointDtype;
import dro4j.rl.checkpoint.Checkpoints;
import dro4j.rl.checkpoint.TrainerState;
import dro4j.score.TokenScores;
import dro4j.text.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen3 ({@code q_norm}/{@code k_norm}, head_dim != hidden / heads, tied head, bf16 weights) against
 * the tiny-qwen3 references. Those come from tools/qwen3_reference.py, a NumPy implementation checked
 * against transformers' tiny-qwen2 and stories260K references (see the fixture README).
 */
class Qwen3Test {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int VOCAB = 400;

  static Path dir;
  static JsonNode ref;
  static LanguageModel lm;
  static Transformer model;
  static SafeTensors expected;

  @BeforeAll
  static void load() {
    dir = Fixtures.fixture("tiny-qwen3");
    ref = json(Fixtures.fixture("tiny-qwen3-reference", "reference.json"));
    lm = LanguageModel.load(dir);
    model = lm.transformer();
    expected = SafeTensors.openFile(Fixtures.fixture("tiny-qwen3-reference", "reference_logits.safetensors"));
  }

  @AfterAll
  static void close() {
    expected.close();
    lm.close();
  }

  static boolean[][] allValid(int rows, int count) {
    boolean[][] valid = new boolean[rows][count];
    for (boolean[] row : valid) {
      Arrays.fill(row, true);
    }
    return valid;
  }

  /** Logits of one unpadded sequence through the KV-cache (inference) forward. */
  static float[][] cachedLogits(int[] ids) {
    try (NDManager m = lm.manager().newSubManager(); KvCache cache = model.newCache(m, 1, ids.length)) {
      float[] flat = model.logits(model.forward(cache, new int[][] {ids}, allValid(1, ids.length), m)).toFloatArray();
      return TransformerTest.rows(flat, ids.length, VOCAB);
    }
  }

  /** Logits of one unpadded sequence through the cache-free (training) forward. */
  static float[][] trainingLogits(int[] ids) {
    try (NDManager m = lm.manager().newSubManager()) {
      float[] flat = model.logits(model.forward(new int[][] {ids}, allValid(1, ids.length), m)).toFloatArray();
      return TransformerTest.rows(flat, ids.length, VOCAB);
    }
  }

  /** log p(ids[t + 1] | ids[..t]) from logits rows, in double. */
  static float[] nextTokenLogprobs(float[][] logits, int[] ids) {
    float[] out = new float[ids.length - 1];
    for (int t = 0; t + 1 < ids.length; t++) {
      double max = Double.NEGATIVE_INFINITY;
      for (float v : logits[t]) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (float v : logits[t]) {
        sum += Math.exp(v - max);
      }
      out[t] = (float) (logits[t][ids[t + 1]] - max - Math.log(sum));
    }
    return out;
  }

  @Test
  void configOfTheFixture() {
    ModelConfig c = lm.config();
    assertThat(c.architecture()).isEqualTo(ModelConfig.QWEN3);
    assertThat(c.qkNorm()).isTrue();
    assertThat(c.headDim()).isEqualTo(16).isNotEqualTo(c.hiddenSize() / c.numHeads());
    assertThat(c.numKvHeads()).isEqualTo(2);
    assertThat(c.tieWordEmbeddings()).isTrue();
    assertThat(c.attentionBias()).isFalse();
    assertThat(c.attentionOutputBias()).isFalse();
    assertThat(c.ropeTheta()).isEqualTo(1e6);
    assertThat(c.slidingWindowOf(1)).isNull();
    assertThat(c.bosTokenId()).isNull();
    assertThat(c.eosTokenIds()).containsExactly(2);
    assertThat(c.ropeInverseFrequencies()).hasSize(8);
    Map<String, long[]> shapes = Transformer.parameterShapes(c);
    assertThat(shapes.get("model.layers.1.self_attn.q_norm.weight")).containsExactly(16);
    assertThat(shapes.get("model.layers.1.self_attn.k_norm.weight")).containsExactly(16);
    assertThat(shapes.get("model.layers.0.self_attn.q_proj.weight")).containsExactly(64, 32);
    assertThat(shapes.get("model.layers.0.self_attn.o_proj.weight")).containsExactly(32, 64);
    assertThat(shapes).doesNotContainKeys("lm_head.weight", "model.layers.0.self_attn.q_proj.bias");
    // the fixture's norms are not ones, so a forward that skipped them would fail the references
    float[] ones = new float[16];
    Arrays.fill(ones, 1f);
    for (String name : List.of("model.layers.0.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight")) {
      assertThat(model.parameters().get(name).toFloatArray()).as(name).hasSize(16).isNotEqualTo(ones);
    }
    // no weight decay for the head norms, as transformers' decay filter (matches "_norm.")
    assertThat(AdamW.transformersDecayFilter().test("model.layers.0.self_attn.q_norm.weight")).isFalse();
    assertThat(AdamW.transformersDecayFilter().test("model.layers.0.self_attn.q_proj.weight")).isTrue();
  }

  @Test
  void chatPromptRendersAndEncodesToTheReferenceIds() {
    List<ChatMessage> messages = new java.util.ArrayList<>();
    for (JsonNode m : ref.get("messages")) {
      messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
    }
    assertThat(lm.chatTemplate().render(messages, true)).isEqualTo(ref.get("rendered").asText());
    assertThat(lm.encodeChat(messages, true)).containsExactly(ints(ref.get("ids")));
  }

  @Test
  void logitsAndLogProbsOfBothForwardsMatchTheReference() {
    for (JsonNode c : ref.get("cases")) {
      String name = c.get("name").asText();
      int[] ids = ints(c.get("ids"));
      assertThat(lm.tokenizer().encode(c.get("text").asText(), false)).as(name).containsExactly(ids);
      float[][] want = TransformerTest.rows(expected.floats("logits." + name), ids.length, VOCAB);
      float[] wantLogprobs = expected.floats("token_logprobs." + name);
      float[][] cached = cachedLogits(ids);
      float[][] training = trainingLogits(ids);
      for (int t = 0; t < ids.length; t++) {
        assertThat(maxAbsDiff(cached[t], want[t])).as("%s position %d (cache)", name, t).isLessThan(1e-3);
        assertThat(maxAbsDiff(training[t], want[t])).as("%s position %d (training)", name, t).isLessThan(1e-3);
      }
      assertThat(maxAbsDiff(nextTokenLogprobs(cached, ids), wantLogprobs)).as(name).isLessThan(1e-3);
      assertThat(maxAbsDiff(nextTokenLogprobs(training, ids), wantLogprobs)).as(name).isLessThan(1e-3);
      // the scorer (teacher-forced log-probs, as every likelihood reward reads them)
      TokenScores scores = lm.score(Arrays.copyOf(ids, 1), Arrays.copyOfRange(ids, 1, ids.length));
      assertThat(maxAbsDiff(scores.logprobs(), wantLogprobs)).as("%s scorer", name).isLessThan(1e-3);
    }
  }

  @Test
  void leftPaddedBatchMatchesTheUnpaddedReferences() {
    JsonNode cases = ref.get("cases");
    TransformerTest.LeftPadded padded = TransformerTest.LeftPadded.of(cases);
    int[][] tokens = padded.tokens();
    boolean[][] valid = padded.valid();
    int batch = tokens.length;
    int width = padded.width();
    float[] cached;
    float[] training;
    try (NDManager m = lm.manager().newSubManager(); KvCache cache = model.newCache(m, batch, width)) {
      cached = model.logits(model.forward(cache, tokens, valid, m)).toFloatArray();
      training = model.logits(model.forward(tokens, valid, m)).toFloatArray();
    }
    for (int b = 0; b < batch; b++) {
      int[] ids = ints(cases.get(b).get("ids"));
      float[] want = expected.floats("logits." + cases.get(b).get("name").asText());
      int pad = width - ids.length;
      for (int t = 0; t < ids.length; t++) {
        int off = (b * width + pad + t) * VOCAB;
        float[] e = Arrays.copyOfRange(want, t * VOCAB, (t + 1) * VOCAB);
        assertThat(maxAbsDiff(Arrays.copyOfRange(cached, off, off + VOCAB), e)).as("row %d position %d", b, t).isLessThan(1e-3);
        assertThat(maxAbsDiff(Arrays.copyOfRange(training, off, off + VOCAB), e)).as("row %d position %d", b, t).isLessThan(1e-3);
      }
    }
  }

  @Test
  void greedyIdsMatchTheReference() {
    int[] prompt = ints(ref.get("ids"));
    int[] all = ints(ref.get("greedy_ids"));
    int[] want = Arrays.copyOfRange(all, prompt.length, all.length);
    try (Generation g = lm.generate(List.of(prompt), SamplingParams.greedy(want.length), false)) {
      assertThat(g.completions().get(0).ids()).containsExactly(want);
    }
  }

  @Test
  void kvCacheDecodingEqualsFullRecompute() {
    int[] ids = ints(ref.get("greedy_ids"));
    float[][] full = trainingLogits(ids);
    try (NDManager m = lm.manager().newSubManager(); KvCache cache = model.newCache(m, 1, 4)) {
      int prefill = 7;
      float[][] first = TransformerTest.rows(model.logits(model.forward(cache,
          new int[][] {Arrays.copyOf(ids, prefill)}, allValid(1, prefill), m)).toFloatArray(), prefill, VOCAB);
      for (int t = 0; t < prefill; t++) {
        assertThat(maxAbsDiff(first[t], full[t])).as("prefill position %d", t).isLessThan(1e-4);
      }
      for (int t = prefill; t < ids.length; t++) {
        float[] step = model.logits(model.forward(cache, new int[][] {{ids[t]}}, allValid(1, 1), m)).toFloatArray();
        assertThat(maxAbsDiff(step, full[t])).as("position %d", t).isLessThan(1e-4);
      }
      assertThat(cache.length()).isEqualTo(ids.length);
    }
  }

  /**
   * The training forward's autograd gives every parameter a gradient, and those of q_norm / k_norm
   * equal the reference's central finite differences of the mean NLL (float64, NumPy).
   */
  @Test
  void nllGradientOfTheHeadNormsMatchesFiniteDifferences() {
    JsonNode nll = ref.get("nll");
    int[] ids = ints(nll.get("ids"));
    int n = ids.length;
    try (NDManager manager = TensorEngine.newManager()) {
      Transformer t = Transformer.load(dir, ModelConfig.loadFromDir(dir), manager);
      for (NDArray p : t.parameters().values()) {
        p.setRequiresGradient(true);
      }
      float loss;
      try (NDManager step = manager.newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logSoftmax = t.logits(t.forward(new int[][] {ids}, allValid(1, n), step))
            .get(new NDIndex("0, :-1, :")).logSoftmax(-1);
        long[] next = new long[n - 1];
        for (int i = 0; i < n - 1; i++) {
          next[i] = ids[i + 1];
        }
        NDArray mean = logSoftmax.gather(step.create(next).reshape(n - 1, 1), 1).neg().mean();
        loss = mean.getFloat();
        collector.backward(mean);
      }
      double want = nll.get("loss").asDouble();
      assertThat(Math.abs(loss - want)).isLessThan(1e-5 * want);
      int checked = 0;
      for (Map.Entry<String, NDArray> e : t.parameters().entrySet()) {
        float[] grad = e.getValue().getGradient().toFloatArray();
        assertThat(norm(grad, null)).as("gradient of %s", e.getKey()).isGreaterThan(0);
        if (e.getKey().endsWith("q_norm.weight") || e.getKey().endsWith("k_norm.weight")) {
          float[] fd = expected.floats("grad." + e.getKey());
          assertThat(norm(grad, fd)).as(e.getKey()).isLessThan(1e-4 * norm(fd, null));
          checked++;
        }
      }
      assertThat(checked).isEqualTo(4);
    }
  }

  /** ||a - b|| (or ||a|| when b is null), in double. */
  private static double norm(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - (b == null ? 0 : b[i]);
      s += d * d;
    }
    return Math.sqrt(s);
  }

  @Test
  void checkpointRoundTripKeepsTheHeadNormsUnderTheirHuggingFaceNames(@TempDir Path out) throws IOException {
    try (NDManager manager = TensorEngine.newManager()) {
      Transformer t = Transformer.load(dir, ModelConfig.loadFromDir(dir), manager);
      // move the head norms away from the fixture's values, so a copy of the source would be caught
      for (Map.Entry<String, NDArray> e : t.parameters().entrySet()) {
        if (e.getKey().contains("_norm.")) {
          e.getValue().muli(1.25f);
        }
      }
      Map<String, float[]> zeros = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : t.parameters().entrySet()) {
        zeros.put(e.getKey(), new float[Math.toIntExact(e.getValue().size())]);
      }
      TrainerState state = new TrainerState(1, 42, 0, 1, 1, zeros, zeros, Map.of(), Map.of(), Map.of());
      Path ckpt = Checkpoints.save(out, 1, t, dir, state, CheckpointDtype.FLOAT32, 0);
      try (SafeTensors st = SafeTensors.openFile(ckpt.resolve("model.safetensors"))) {
        assertThat(st.names()).containsExactlyInAnyOrderElementsOf(t.parameters().keySet())
            .doesNotContain("lm_head.weight")
            .contains("model.layers.0.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight");
        assertThat(st.info("model.layers.1.self_attn.q_norm.weight").shape()).containsExactly(16);
      }
      JsonNode config = JSON.readTree(ckpt.resolve("config.json").toFile());
      assertThat(config.get("architectures").get(0).asText()).isEqualTo("Qwen3ForCausalLM");
      assertThat(config.get("head_dim").asInt()).isEqualTo(16);
      try (LanguageModel loaded = LanguageModel.load(ckpt)) {
        for (Map.Entry<String, NDArray> e : t.parameters().entrySet()) {
          assertThat(loaded.transformer().parameters().get(e.getKey()).toFloatArray()).as(e.getKey())
              .containsExactly(e.getValue().toFloatArray());
        }
        assertThat(loaded.transformer().parameters().get("model.layers.0.self_attn.q_norm.weight").toFloatArray())
            .isNotEqualTo(model.parameters().get("model.layers.0.self_attn.q_norm.weight").toFloatArray());
      }
    }
  }

  @Test
  void aQwen3FolderLabelledQwen2OrMissingAHeadNormIsReportedByName(@TempDir Path tmp) throws IOException {
    Path missing = tmp.resolve("missing");
    Files.createDirectories(missing);
    Files.copy(dir.resolve("config.json"), missing.resolve("config.json"));
    Map<String, float[]> weights = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      if (!e.getKey().equals("model.layers.1.self_attn.k_norm.weight")) {
        weights.put(e.getKey(), e.getValue().toFloatArray());
        shapes.put(e.getKey(), e.getValue().getShape().getShape());
      }
    }
    SafeTensors.write(missing.resolve("model.safetensors"), weights, shapes, Map.of("format", "pt"));
    try (NDManager manager = TensorEngine.newManager()) {
      assertThatThrownBy(() -> Transformer.load(missing, ModelConfig.loadFromDir(missing), manager))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("missing tensor 'model.layers.1.self_attn.k_norm.weight' required by Qwen3ForCausalLM");
    }

    for (String name : List.of("model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
      Files.copy(dir.resolve(name), tmp.resolve(name));
    }
    ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    config.putArray("architectures").add("Qwen2ForCausalLM");
    config.put("model_type", "qwen2");
    Files.writeString(tmp.resolve("config.json"), JSON.writeValueAsString(config));
    try (NDManager manager = TensorEngine.newManager()) {
      ModelConfig asQwen2 = ModelConfig.loadFromDir(tmp);
      assertThatThrownBy(() -> Transformer.load(tmp, asQwen2, manager))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("unexpected tensor 'model.layers.0.self_attn.")
          .hasMessageContaining("for Qwen2ForCausalLM");
      // the same weights as Qwen3 without head_dim: transformers' default 128 does not fit them
      config.putArray("architectures").add("Qwen3ForCausalLM");
      config.remove("head_dim");
      Files.writeString(tmp.resolve("config.json"), JSON.writeValueAsString(config));
      ModelConfig noHeadDim = ModelConfig.loadFromDir(tmp);
      assertThat(noHeadDim.headDim()).isEqualTo(128);
      assertThatThrownBy(() -> Transformer.load(tmp, noHeadDim, manager))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("but config.json implies");
    }
  }
}
