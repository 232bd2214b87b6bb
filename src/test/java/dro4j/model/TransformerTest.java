package dro4j.model;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static dro4j.ReferenceData.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dro4j.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forward pass against transformers' logits (fixtures computed by PyTorch + transformers). */
class TransformerTest {
  static NDManager manager;
  static Transformer stories;
  static Transformer qwen;

  @BeforeAll
  static void load() {
    manager = TensorEngine.newManager();
    Path s = Fixtures.fixture("stories260K");
    stories = Transformer.load(s, ModelConfig.loadFromDir(s), manager);
    Path q = Fixtures.fixture("tiny-qwen2");
    qwen = Transformer.load(q, ModelConfig.loadFromDir(q), manager);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Logits [rows][vocab] of all positions of one unpadded sequence, fresh cache. */
  static float[][] logits(Transformer model, int[] ids) {
    return logits(model, ids, manager);
  }

  /** The logits of every position of {@code ids}, computed in a sub-manager of {@code parent}. */
  static float[][] logits(Transformer model, int[] ids, NDManager parent) {
    try (NDManager m = parent.newSubManager(); KvCache cache = model.newCache(m, 1, ids.length)) {
      boolean[][] valid = {new boolean[ids.length]};
      Arrays.fill(valid[0], true);
      NDArray out = model.logits(model.forward(cache, new int[][] {ids}, valid, m));
      return rows(out.toFloatArray(), ids.length, model.config().vocabSize());
    }
  }

  static float[][] rows(float[] flat, int rows, int vocab) {
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
    }
    return out;
  }

  @Test
  void storiesLogitsMatchTransformers() {
    JsonNode cases = json(Fixtures.fixture("stories260K-reference", "logits_cases.json"));
    try (SafeTensors ref = SafeTensors.openFile(Fixtures.fixture("stories260K-reference", "logits.safetensors"))) {
      for (JsonNode c : cases) {
        int[] ids = ints(c.get("ids"));
        float[][] expected = rows(ref.floats("logits." + c.get("index").asInt()), ids.length, 512);
        float[][] actual = logits(stories, ids);
        for (int t = 0; t < ids.length; t++) {
          assertThat(maxAbsDiff(actual[t], expected[t])).as("case %s position %d", c.get("index"), t).isLessThan(1e-4);
        }
      }
    }
  }

  /** The {@code ids} of each case, left-padded with token 0 to the longest; valid marks real tokens. */
  record LeftPadded(int[][] tokens, boolean[][] valid) {
    static LeftPadded of(JsonNode cases) {
      int width = 0;
      for (JsonNode c : cases) {
        width = Math.max(width, c.get("ids").size());
      }
      int[][] tokens = new int[cases.size()][width];
      boolean[][] valid = new boolean[cases.size()][width];
      for (int b = 0; b < tokens.length; b++) {
        int[] ids = ints(cases.get(b).get("ids"));
        System.arraycopy(ids, 0, tokens[b], width - ids.length, ids.length);
        Arrays.fill(valid[b], width - ids.length, width, true);
      }
      return new LeftPadded(tokens, valid);
    }

    int width() {
      return tokens[0].length;
    }
  }

  @Test
  void leftPaddedBatchMatchesTransformers() {
    JsonNode cases = json(Fixtures.fixture("stories260K-reference", "logits_cases.json"));
    LeftPadded padded = LeftPadded.of(cases);
    int[][] tokens = padded.tokens();
    boolean[][] valid = padded.valid();
    int batch = tokens.length;
    int width = padded.width();
    float[] actual;
    try (NDManager m = manager.newSubManager(); KvCache cache = stories.newCache(m, batch, width)) {
      actual = stories.logits(stories.forward(cache, tokens, valid, m)).toFloatArray();
    }
    try (SafeTensors ref = SafeTensors.openFile(Fixtures.fixture("stories260K-reference", "logits.safetensors"))) {
      assertThat(ref.info("padded.logits").shape()).containsExactly(batch, width, 512);
      float[] expected = ref.floats("padded.logits");
      int checked = 0;
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < width; t++) {
          if (!valid[b][t]) {
            continue; // logits at padding positions are meaningless in both implementations
          }
          int off = (b * width + t) * 512;
          float[] a = Arrays.copyOfRange(actual, off, off + 512);
          float[] e = Arrays.copyOfRange(expected, off, off + 512);
          assertThat(maxAbsDiff(a, e)).as("row %d position %d", b, t).isLessThan(1e-4);
          checked++;
        }
      }
      assertThat(checked).isEqualTo(16 + 54 + 11);
    }
  }

  @Test
  void incrementalDecodingWithCacheEqualsFullForward() {
    int[] ids = ints(json(Fixtures.fixture("stories260K-reference", "greedy.json")).get("ids"));
    float[][] full = logits(stories, ids);
    try (NDManager m = manager.newSubManager(); KvCache cache = stories.newCache(m, 1, 4)) {
      // 5-token prefill, then one token at a time (the cache grows past its initial capacity)
      int prefill = 5;
      boolean[][] valid = {new boolean[prefill]};
      Arrays.fill(valid[0], true);
      NDArray out = stories.logits(stories.forward(cache, new int[][] {Arrays.copyOf(ids, prefill)}, valid, m));
      float[][] first = rows(out.toFloatArray(), prefill, 512);
      for (int t = 0; t < prefill; t++) {
        assertThat(maxAbsDiff(first[t], full[t])).isLessThan(1e-4);
      }
      for (int t = prefill; t < ids.length; t++) {
        float[] step = stories.logits(stories.forward(cache, new int[][] {{ids[t]}}, new boolean[][] {{true}}, m)).toFloatArray();
        assertThat(maxAbsDiff(step, full[t])).as("position %d", t).isLessThan(1e-4);
      }
      assertThat(cache.length()).isEqualTo(ids.length);
    }
  }

  /** A prefill longer than the query chunk equals the same tokens fed in short unchunked pieces. */
  @Test
  void chunkedLongPrefillEqualsShortPiecesThroughTheCache() {
    java.util.Random rng = new java.util.Random(3);
    int n = 700;
    int[][] tokens = new int[2][n];
    boolean[][] valid = new boolean[2][n];
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < n; t++) {
        tokens[b][t] = 3 + rng.nextInt(500);
        valid[b][t] = !(b == 1 && t < 37); // row 1 is left-padded
      }
    }
    assertThat((long) n).isGreaterThan(2 * Transformer.QUERY_CHUNK);
    try (NDManager m = manager.newSubManager(); KvCache whole = stories.newCache(m, 2, n); KvCache pieces = stories.newCache(m, 2, n)) {
      float[] full = stories.logits(stories.forward(whole, tokens, valid, m)).toFloatArray();
      float[] uncached = stories.logits(stories.forward(tokens, valid, m)).toFloatArray();
      int piece = 150;
      for (int t0 = 0; t0 < n; t0 += piece) {
        int t1 = Math.min(n, t0 + piece);
        int[][] tk = new int[2][];
        boolean[][] vk = new boolean[2][];
        for (int b = 0; b < 2; b++) {
          tk[b] = Arrays.copyOfRange(tokens[b], t0, t1);
          vk[b] = Arrays.copyOfRange(valid[b], t0, t1);
        }
        float[] part = stories.logits(stories.forward(pieces, tk, vk, m)).toFloatArray();
        for (int b = 0; b < 2; b++) {
          for (int t = t0; t < t1; t++) {
            if (!valid[b][t]) {
              continue;
            }
            int off = (b * n + t) * 512;
            int partOff = (b * (t1 - t0) + (t - t0)) * 512;
            float[] expected = Arrays.copyOfRange(part, partOff, partOff + 512);
            assertThat(maxAbsDiff(Arrays.copyOfRange(full, off, off + 512), expected)).as("row %d position %d", b, t).isLessThan(1e-4);
            assertThat(maxAbsDiff(Arrays.copyOfRange(uncached, off, off + 512), expected)).isLessThan(1e-4);
          }
        }
      }
    }
  }

  @Test
  void tinyQwen2Bf16LogitsMatchTransformers() {
    JsonNode ref = json(Fixtures.fixture("tiny-qwen2-reference", "reference.json"));
    int[] ids = ints(ref.get("ids"));
    float[][] actual = logits(qwen, ids);
    try (SafeTensors expected = SafeTensors.openFile(Fixtures.fixture("tiny-qwen2-reference", "reference_logits.safetensors"))) {
      float[][] e = rows(expected.floats("logits.chat"), ids.length, 400);
      for (int t = 0; t < ids.length; t++) {
        assertThat(maxAbsDiff(actual[t], e[t])).as("position %d", t).isLessThan(1e-3);
      }
    }
  }
}
