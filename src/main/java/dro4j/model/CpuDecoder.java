package dro4j.model;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One decode step of a {@link Transformer} on the Java Vector API kernels ({@link DecodeKernels}): one
 * new token per cache row through every block and the LM head, the same computation as the libtorch
 * forward (RMSNorm, GQA attention with rotary embeddings and optional q/k norms, SwiGLU, biases where
 * the architecture has them). Weights and the KV cache are read in place; the new keys and values
 * are written into the cache's tensors, so the libtorch path (scoring a continuation, a multi-token
 * append) carries on from the same cache.
 *
 * <p>Linear layers are batched matrix-vector products that read each weight row once for all active
 * rows, split by output rows over {@link FastDecode#threads()}. Rows that feed nothing this step are
 * skipped (their slot is written as padding, never attended).
 *
 * <p>With a LoRA adapter ({@link #step(KvCache, int[], boolean[], LoraAdapter)}) each targeted
 * projection is {@code x W^T + b + scale * (x A^T) B^T}, as the libtorch path computes it without
 * dropout: the adapter's factors are viewed in place like the base weights, so training updates to
 * them are seen by the next step, and a step without an adapter reads the base only.
 */
final class CpuDecoder {
  /** Largest direct buffer per weight chunk (rows never straddle chunks). */
  static final long MAX_CHUNK_BYTES = Integer.MAX_VALUE & ~4095L;

  /** Multiply-adds of one step's attention below which it runs on the calling thread alone. */
  private static final long PARALLEL_ATTENTION_WORK = 1 << 18;
  /** Multiply-adds of one group of linear layers below which it runs on the calling thread alone. */
  private static final long PARALLEL_MATMUL_WORK = 1 << 19;
  private static final DecodeThreads SINGLE = new DecodeThreads(1);

  private final ModelConfig config;
  private final DecodeThreads threads;
  private final Weights embed;
  private final Weights lmHead;
  private final Weights finalNorm;
  private final LayerWeights[] layers;
  private final float[] inverseFrequencies;
  private final long maxChunkBytes;
  /** In-place views of the last adapter a step was given, or null. */
  private volatile AdapterViews adapterViews;
  /** Where step times are added up, or null (the normal case). */
  private volatile DecodeProfile profile;

  /** The weights of one block; the 1-D ones (norms, biases) are null when the architecture has none. */
  private record LayerWeights(Weights inputNorm, Weights q, Weights qBias, Weights k, Weights kBias,
      Weights qNorm, Weights kNorm, Weights v, Weights vBias, Weights o, Weights oBias, Weights postNorm,
      Weights gate, Weights gateBias, Weights up, Weights upBias, Weights down, Weights downBias) {}

  /**
   * In-place views of a LoRA adapter's factors: {@code a[layer][module]} ({@code [r, in]}) and {@code
   * b[layer][module]} ({@code [out, r]}) by {@link LoraConfig#LINEAR_MODULES} index, null where a
   * module has no adapter; {@code scale} is lora_alpha / r (or its rsLoRA form) in fp32.
   */
  private record AdapterViews(LoraAdapter source, Weights[][] a, Weights[][] b, float scale) {
    static AdapterViews of(LoraAdapter adapter, long maxChunkBytes) {
      int layers = adapter.layerCount();
      int modules = LoraConfig.LINEAR_MODULES.size();
      Weights[][] a = new Weights[layers][modules];
      Weights[][] b = new Weights[layers][modules];
      for (int l = 0; l < layers; l++) {
        for (int m = 0; m < modules; m++) {
          NDArray fa = adapter.factorA(l, m);
          if (fa != null) {
            a[l][m] = Weights.of(fa, maxChunkBytes);
            b[l][m] = Weights.of(adapter.factorB(l, m), maxChunkBytes);
          }
        }
      }
      return new AdapterViews(adapter, a, b, (float) adapter.config().scale());
    }

    /** The A views of {@code modules} of layer {@code layer} (null entries where not targeted). */
    Weights[] a(int layer, int... modules) {
      Weights[] out = new Weights[modules.length];
      for (int i = 0; i < modules.length; i++) {
        out[i] = a[layer][modules[i]];
      }
      return out;
    }

    /** The B views of {@code modules} of layer {@code layer} (null entries where not targeted). */
    Weights[] b(int layer, int... modules) {
      Weights[] out = new Weights[modules.length];
      for (int i = 0; i < modules.length; i++) {
        out[i] = b[layer][modules[i]];
      }
      return out;
    }
  }

  CpuDecoder(ModelConfig config, Map<String, NDArray> parameters, DecodeThreads threads, long maxChunkBytes) {
    DecodeKernels.compileAhead(); // before any step needs them: see DecodeKernels, "Compiling the kernels ahead"
    this.config = config;
    this.threads = threads;
    this.maxChunkBytes = maxChunkBytes;
    this.embed = Weights.of(parameters.get("model.embed_tokens.weight"), maxChunkBytes);
    this.lmHead = config.tieWordEmbeddings() ? embed : Weights.of(parameters.get("lm_head.weight"), maxChunkBytes);
    this.finalNorm = Weights.of(parameters.get("model.norm.weight"), maxChunkBytes);
    this.layers = new LayerWeights[config.numLayers()];
    for (int i = 0; i < layers.length; i++) {
      String p = "model.layers." + i + ".";
      java.util.function.Function<String, Weights> w = name -> {
        NDArray a = parameters.get(p + name);
        return a == null ? null : Weights.of(a, maxChunkBytes);
      };
      layers[i] = new LayerWeights(w.apply("input_layernorm.weight"),
          w.apply("self_attn.q_proj.weight"), w.apply("self_attn.q_proj.bias"),
          w.apply("self_attn.k_proj.weight"), w.apply("self_attn.k_proj.bias"),
          w.apply("self_attn.q_norm.weight"), w.apply("self_attn.k_norm.weight"),
          w.apply("self_attn.v_proj.weight"), w.apply("self_attn.v_proj.bias"),
          w.apply("self_attn.o_proj.weight"), w.apply("self_attn.o_proj.bias"),
          w.apply("post_attention_layernorm.weight"),
          w.apply("mlp.gate_proj.weight"), w.apply("mlp.gate_proj.bias"),
          w.apply("mlp.up_proj.weight"), w.apply("mlp.up_proj.bias"),
          w.apply("mlp.down_proj.weight"), w.apply("mlp.down_proj.bias"));
    }
    double[] inv = config.ropeInverseFrequencies();
    this.inverseFrequencies = new float[inv.length];
    for (int i = 0; i < inv.length; i++) {
      inverseFrequencies[i] = (float) inv[i];
    }
  }

  /** Adds the parts of each following step to {@code profile}; null stops profiling. */
  void profile(DecodeProfile profile) {
    this.profile = profile;
  }

  /**
   * Appends {@code tokens[r]} to row {@code r} of the cache where {@code valid[r]} (padding elsewhere)
   * and returns each valid row's next-token logits (null for the others), from the base weights alone.
   */
  float[][] step(KvCache cache, int[] tokens, boolean[] valid) {
    return step(cache, tokens, valid, null);
  }

  /**
   * As {@link #step(KvCache, int[], boolean[])} with {@code adapter}'s terms added to the projections
   * it targets ({@code adapter} null: the base alone). The adapter must fit the model and stay open
   * during the step.
   */
  float[][] step(KvCache cache, int[] tokens, boolean[] valid, LoraAdapter adapter) {
    DecodeKernels.recheckBoxing();
    AdapterViews lora = adapter == null ? null : adapterViews(adapter);
    int batch = cache.batchSize();
    int[][] feed = new int[batch][1];
    boolean[][] feedValid = new boolean[batch][1];
    int active = 0;
    for (int r = 0; r < batch; r++) {
      feed[r][0] = tokens[r];
      feedValid[r][0] = valid[r];
      if (valid[r]) {
        if (tokens[r] < 0 || tokens[r] >= config.vocabSize()) {
          throw new IllegalArgumentException("token id " + tokens[r] + " outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        active++;
      }
    }
    int[][] positions = cache.reserve(feed, feedValid);
    int slot = cache.length();
    int[] rows = new int[active];
    for (int r = 0, i = 0; r < batch; r++) {
      if (valid[r]) {
        rows[i++] = r;
      }
    }
    float[][] logits = new float[batch][];
    if (active > 0) {
      float[][] out = forward(cache, rows, positions, tokens, slot, lora);
      for (int i = 0; i < active; i++) {
        logits[rows[i]] = out[i];
      }
    }
    cache.advance(1);
    return logits;
  }

  /** The views of {@code adapter}, made on its first step (the factors stay where they are, so they are reused). */
  private AdapterViews adapterViews(LoraAdapter adapter) {
    AdapterViews v = adapterViews;
    if (v == null || v.source() != adapter) {
      v = AdapterViews.of(adapter, maxChunkBytes);
      adapterViews = v;
    }
    return v;
  }

  private float[][] forward(KvCache cache, int[] rows, int[][] positions, int[] tokens, int slot, AdapterViews lora) {
    int n = rows.length;
    int hidden = config.hiddenSize();
    int heads = config.numHeads();
    int kvHeads = config.numKvHeads();
    int headDim = config.headDim();
    int qDim = heads * headDim;
    int kvDim = kvHeads * headDim;
    int inter = config.intermediateSize();
    float eps = (float) config.rmsNormEps();
    float scale = (float) (1.0 / Math.sqrt(headDim));
    DecodeProfile profile = this.profile;
    Lap lap = new Lap(profile);

    float[][] x = new float[n][hidden];
    for (int i = 0; i < n; i++) {
      embed.copyRow(tokens[rows[i]], x[i]);
    }
    float[][] h = new float[n][hidden];
    float[][] q = new float[n][qDim];
    float[][] k = new float[n][kvDim];
    float[][] v = new float[n][kvDim];
    float[][] att = new float[n][qDim];
    float[][] proj = new float[n][hidden];
    float[][] gate = new float[n][inter];
    float[][] up = new float[n][inter];
    float[][][] rope = rotary(rows, positions);
    Map<Integer, boolean[][]> masks = new HashMap<>();

    for (int l = 0; l < layers.length; l++) {
      LayerWeights w = layers[l];
      float[] norm = vector(w.inputNorm());
      for (int i = 0; i < n; i++) {
        DecodeKernels.rmsNorm(x[i], 0, hidden, norm, eps, h[i]);
      }
      lap.end(DecodeProfile.Part.ELEMENTWISE, 0, 0);
      matmuls(h, new Weights[] {w.q(), w.k(), w.v()}, new Weights[] {w.qBias(), w.kBias(), w.vBias()},
          new float[][][] {q, k, v}, lowRank(h, lora, l, Transformer.Q_PROJ, Transformer.K_PROJ, Transformer.V_PROJ));
      lap.end(DecodeProfile.Part.QKV, 2.0 * n * hidden * (qDim + 2 * kvDim), 4.0 * hidden * (qDim + 2 * kvDim));
      if (w.qNorm() != null) {
        float[] qn = vector(w.qNorm());
        float[] kn = vector(w.kNorm());
        for (int i = 0; i < n; i++) {
          for (int hd = 0; hd < heads; hd++) {
            DecodeKernels.rmsNorm(q[i], hd * headDim, headDim, qn, eps, q[i]);
          }
          for (int hd = 0; hd < kvHeads; hd++) {
            DecodeKernels.rmsNorm(k[i], hd * headDim, headDim, kn, eps, k[i]);
          }
        }
      }
      for (int i = 0; i < n; i++) {
        applyRotary(q[i], heads, headDim, rope[0][i], rope[1][i]);
        applyRotary(k[i], kvHeads, headDim, rope[0][i], rope[1][i]);
        for (int j = 0; j < qDim; j++) {
          q[i][j] *= scale;
        }
      }
      ByteBuffer keys = cache.keyBuffer(l);
      ByteBuffer values = cache.valueBuffer(l);
      int capacity = cache.capacity();
      for (int i = 0; i < n; i++) {
        for (int g = 0; g < kvHeads; g++) {
          int at = 4 * (((rows[i] * kvHeads + g) * capacity + slot) * headDim);
          for (int j = 0; j < headDim; j++) {
            keys.putFloat(at + 4 * j, k[i][g * headDim + j]);
            values.putFloat(at + 4 * j, v[i][g * headDim + j]);
          }
        }
      }
      Integer window = config.slidingWindowOf(l);
      boolean[][] allowed = masks.computeIfAbsent(window == null ? -1 : window,
          key -> attentionMask(cache, rows, positions, slot, window));
      lap.end(DecodeProfile.Part.ELEMENTWISE, 0, 0);
      int groups = heads / kvHeads;
      // short contexts: attention is too little work to be worth waking the other threads
      DecodeThreads pool = (long) n * heads * (slot + 1) * headDim < PARALLEL_ATTENTION_WORK ? SINGLE : threads;
      Object keysMem = VectorLoads.memory(keys); // once per layer: a new segment on JDK 22+ (see attend)
      Object valuesMem = VectorLoads.memory(values);
      pool.forRange(n * heads, (from, to) -> {
        float[] scores = new float[slot + 1];
        for (int t = from; t < to; t++) {
          int i = t / heads;
          int hd = t % heads;
          int kvBase = 4 * ((rows[i] * kvHeads + hd / groups) * capacity * headDim);
          DecodeKernels.attend(q[i], hd * headDim, keys, keysMem, values, valuesMem, kvBase, headDim, allowed[i],
              slot + 1, scores, att[i], hd * headDim);
        }
      });
      if (profile != null) {
        long attended = 0;
        for (boolean[] a : allowed) {
          for (boolean b : a) {
            attended += b ? 1 : 0;
          }
        }
        lap.end(DecodeProfile.Part.ATTENTION, 4.0 * attended * heads * headDim, 8.0 * attended * kvHeads * headDim);
      }
      matmuls(att, new Weights[] {w.o()}, new Weights[] {w.oBias()}, new float[][][] {proj},
          lowRank(att, lora, l, Transformer.O_PROJ));
      lap.end(DecodeProfile.Part.O, 2.0 * n * qDim * hidden, 4.0 * qDim * hidden);
      add(x, proj);

      norm = vector(w.postNorm());
      for (int i = 0; i < n; i++) {
        DecodeKernels.rmsNorm(x[i], 0, hidden, norm, eps, h[i]);
      }
      lap.end(DecodeProfile.Part.ELEMENTWISE, 0, 0);
      gateUp(h, w, gate, up, lowRank(h, lora, l, Transformer.GATE_PROJ, Transformer.UP_PROJ));
      lap.end(DecodeProfile.Part.GATE_UP, 4.0 * n * hidden * inter, 8.0 * hidden * inter);
      matmuls(gate, new Weights[] {w.down()}, new Weights[] {w.downBias()}, new float[][][] {proj},
          lowRank(gate, lora, l, Transformer.DOWN_PROJ));
      lap.end(DecodeProfile.Part.DOWN, 2.0 * n * inter * hidden, 4.0 * inter * hidden);
      add(x, proj);
    }
    float[] norm = vector(finalNorm);
    for (int i = 0; i < n; i++) {
      DecodeKernels.rmsNorm(x[i], 0, hidden, norm, eps, h[i]);
    }
    float[][] logits = new float[n][config.vocabSize()];
    matmuls(h, new Weights[] {lmHead}, new Weights[] {null}, new float[][][] {logits});
    lap.end(DecodeProfile.Part.LM_HEAD, 2.0 * n * hidden * config.vocabSize(), 4.0 * hidden * config.vocabSize());
    if (profile != null) {
      profile.countStep(n);
    }
    return logits;
  }

  /** Times consecutive parts of a step into a profile; does nothing without one. */
  private static final class Lap {
    private final DecodeProfile profile;
    private long since;

    Lap(DecodeProfile profile) {
      this.profile = profile;
      this.since = profile == null ? 0 : System.nanoTime();
    }

    void end(DecodeProfile.Part part, double flops, double bytes) {
      if (profile != null) {
        long now = System.nanoTime();
        profile.add(part, now - since, flops, bytes);
        since = now;
      }
    }
  }

  /**
   * {@code gate = silu(h . gate^T + b) * (h . up^T + b)} (the product left in {@code gate}): one parallel
   * pass over the MLP's rows in which each chunk computes its rows of both projections and applies
   * SiLU to them while they are in cache.
   */
  private void gateUp(float[][] h, LayerWeights w, float[][] gate, float[][] up, LowRank lora) {
    float[] gateBias = w.gateBias() == null ? null : vector(w.gateBias());
    float[] upBias = w.upBias() == null ? null : vector(w.upBias());
    int inter = w.gate().rows();
    DecodeThreads pool = 2L * inter * w.gate().cols() * h.length < PARALLEL_MATMUL_WORK ? SINGLE : threads;
    pool.forRange(inter, 8, DecodeKernels.pageAlignedRows(w.gate().cols()), (from, to) -> {
      DecodeKernels.matmul(h, w.gate(), gateBias, gate, from, to);
      DecodeKernels.matmul(h, w.up(), upBias, up, from, to);
      if (lora != null) {
        lora.add(0, gate, from, to);
        lora.add(1, up, from, to);
      }
      for (int i = 0; i < h.length; i++) {
        DecodeKernels.siluGate(gate[i], up[i], from, to);
      }
    });
  }

  /**
   * {@code outs[m] = x . ws[m]^T + biases[m]} for every matrix, in one parallel pass: the output rows
   * of all matrices are one range split over the threads (q, k and v share it).
   */
  private void matmuls(float[][] x, Weights[] ws, Weights[] biases, float[][][] outs) {
    matmuls(x, ws, biases, outs, null);
  }

  /**
   * As {@link #matmuls(float[][], Weights[], Weights[], float[][][])}, adding {@code lora}'s term to
   * each matrix's output rows in the same pass (null: none).
   */
  private void matmuls(float[][] x, Weights[] ws, Weights[] biases, float[][][] outs, LowRank lora) {
    float[][] b = new float[ws.length][];
    int total = 0;
    for (int m = 0; m < ws.length; m++) {
      b[m] = biases[m] == null ? null : vector(biases[m]);
      total += ws[m].rows();
    }
    int cols = ws[0].cols();
    // a small product is over before the other threads wake up: run it here
    DecodeThreads pool = (long) total * cols * x.length < PARALLEL_MATMUL_WORK ? SINGLE : threads;
    pool.forRange(total, 16, alignedRows(ws, cols), (from, to) -> {
      int offset = 0;
      for (int m = 0; m < ws.length; m++) {
        int rows = ws[m].rows();
        int lo = Math.max(from, offset) - offset;
        int hi = Math.min(to, offset + rows) - offset;
        if (lo < hi) {
          DecodeKernels.matmul(x, ws[m], b[m], outs[m], lo, hi);
          if (lora != null) {
            lora.add(m, outs[m], lo, hi);
          }
        }
        offset += rows;
      }
    });
  }

  /**
   * {@link DecodeKernels#pageAlignedRows} for matrices of {@code cols} columns that share one range of
   * rows, where every matrix but the last is a multiple of it long (else 1: the matrices after it would
   * start off the multiple).
   */
  private static int alignedRows(Weights[] ws, int cols) {
    int align = DecodeKernels.pageAlignedRows(cols);
    for (int m = 0; m + 1 < ws.length; m++) {
      if (ws[m].rows() % align != 0) {
        return 1;
      }
    }
    return align;
  }

  /**
   * The adapter's part of a group of projections that share one input: per projection its B view and
   * the input's low-rank image {@code low = x A^T} ({@code [rows, r]}), null where the projection has
   * no adapter, and the scale.
   */
  private static final class LowRank {
    private final Weights[] b;
    private final float[][][] low;
    private final float scale;
    /** {@code low . B^T} per projection; parallel chunks write disjoint columns of it. */
    private final float[][][] delta;

    LowRank(Weights[] b, float[][][] low, float scale) {
      this.b = b;
      this.low = low;
      this.scale = scale;
      this.delta = new float[b.length][][];
      for (int m = 0; m < b.length; m++) {
        if (b[m] != null) {
          delta[m] = new float[low[m].length][b[m].rows()];
        }
      }
    }

    /**
     * {@code out[i][j] += (low . B^T)[i][j] * scale} for projection {@code m} and output rows {@code
     * from <= j < to}: the libtorch path's {@code y + (x A^T B^T) * scale}, rounded the same way. Each
     * value is one {@link DecodeKernels#matmul} output, so it does not depend on how rows are split.
     */
    void add(int m, float[][] out, int from, int to) {
      if (b[m] == null) {
        return;
      }
      float[][] d = delta[m];
      DecodeKernels.matmul(low[m], b[m], null, d, from, to);
      for (int i = 0; i < out.length; i++) {
        for (int j = from; j < to; j++) {
          out[i][j] += d[i][j] * scale;
        }
      }
    }
  }

  /**
   * {@code x A^T} for each of {@code modules} of layer {@code layer} that {@code lora} targets, in one
   * parallel pass (they share the input), or null when none is targeted or there is no adapter.
   */
  private LowRank lowRank(float[][] x, AdapterViews lora, int layer, int... modules) {
    if (lora == null) {
      return null;
    }
    Weights[] a = lora.a(layer, modules);
    List<Weights> targeted = new ArrayList<>();
    List<float[][]> outs = new ArrayList<>();
    float[][][] low = new float[modules.length][][];
    for (int m = 0; m < modules.length; m++) {
      if (a[m] != null) {
        low[m] = new float[x.length][a[m].rows()];
        targeted.add(a[m]);
        outs.add(low[m]);
      }
    }
    if (targeted.isEmpty()) {
      return null;
    }
    matmuls(x, targeted.toArray(new Weights[0]), new Weights[targeted.size()], outs.toArray(new float[0][][]));
    return new LowRank(lora.b(layer, modules), low, lora.scale());
  }

  /** Which slots each active row's new query attends to, as {@link AttentionMask#bias} allows them. */
  private static boolean[][] attentionMask(KvCache cache, int[] rows, int[][] positions, int slot, Integer window) {
    boolean[][] allowed = new boolean[rows.length][slot + 1];
    for (int i = 0; i < rows.length; i++) {
      boolean[] valid = cache.validRow(rows[i]);
      int[] pos = cache.positionsRow(rows[i]);
      int queryPosition = positions[rows[i]][0];
      for (int s = 0; s <= slot; s++) {
        allowed[i][s] = valid[s] && (window == null || queryPosition - pos[s] < window);
      }
    }
    return allowed;
  }

  /** cos and sin of position * inv_freq (the angle rounded to fp32, as the libtorch path does), per active row. */
  private float[][][] rotary(int[] rows, int[][] positions) {
    int half = inverseFrequencies.length;
    float[][][] out = new float[2][rows.length][half];
    for (int i = 0; i < rows.length; i++) {
      float pos = positions[rows[i]][0];
      for (int j = 0; j < half; j++) {
        float angle = pos * inverseFrequencies[j];
        out[0][i][j] = (float) Math.cos(angle);
        out[1][i][j] = (float) Math.sin(angle);
      }
    }
    return out;
  }

  /** x * cos + rotate_half(x) * sin per head, rotate_half(x) = [-x2, x1]. */
  private static void applyRotary(float[] x, int heads, int headDim, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int hd = 0; hd < heads; hd++) {
      int base = hd * headDim;
      for (int j = 0; j < half; j++) {
        float x1 = x[base + j];
        float x2 = x[base + half + j];
        x[base + j] = x1 * cos[j] + -x2 * sin[j];
        x[base + half + j] = x2 * cos[j] + x1 * sin[j];
      }
    }
  }

  private static void add(float[][] x, float[][] y) {
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        x[i][j] += y[i][j];
      }
    }
  }

  /** A 1-D weight (norm or bias), read now (it may have trained since the last step). */
  private static float[] vector(Weights w) {
    float[] out = new float[w.cols()];
    w.copyRow(0, out);
    return out;
  }
}
