package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import dro4j.BadInputException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The decoder-only transformer shared by Llama, Qwen2, Mistral and Qwen3, in fp32 on DJL/PyTorch.
 *
 * <p>Pre-norm blocks: RMSNorm, grouped-query attention with rotary position embeddings (rotate-half
 * layout, as Hugging Face stores q/k rows; Qwen3 first normalises each head's queries and keys with
 * {@code q_norm} / {@code k_norm}), RMSNorm, SwiGLU MLP; a final RMSNorm and the language
 * model head (tied to the embeddings or not). Parameters keep their Hugging Face names and layouts
 * ({@code [out, in]} linear weights), so checkpoints round-trip unchanged.
 *
 * <p>Every forward call runs new tokens through the model and appends their keys and values to a
 * {@link KvCache}; a full-sequence forward is the same call on an empty cache. Intermediate arrays
 * live in an {@link NDScope} and are freed when the call returns, so repeated calls keep memory flat.
 */
public final class Transformer implements AutoCloseable {
  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final NDArray embed;
  private final NDArray finalNorm;
  private final NDArray lmHead;
  private final Layer[] layers;
  private final float[] inverseFrequencies;
  /** The LoRA adapter applied on top of the linear layers, or null. */
  private LoraAdapter adapter;
  private volatile boolean javaDecode = FastDecode.enabledByDefault();
  private volatile CpuDecoder cpuDecoder; // made on the first Java decode step
  private volatile boolean closed;

  /**
   * The parameters of one decoder block; biases, and the per-head query/key norms, are null when the
   * architecture has none.
   */
  private record Layer(
      NDArray inputNorm,
      NDArray q, NDArray qBias,
      NDArray k, NDArray kBias,
      NDArray qNorm, NDArray kNorm,
      NDArray v, NDArray vBias,
      NDArray o, NDArray oBias,
      NDArray postNorm,
      NDArray gate, NDArray gateBias,
      NDArray up, NDArray upBias,
      NDArray down, NDArray downBias) {}

  private Transformer(ModelConfig config, NDManager manager, Map<String, NDArray> parameters) {
    this.config = config;
    this.manager = manager;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.embed = parameters.get("model.embed_tokens.weight");
    this.finalNorm = parameters.get("model.norm.weight");
    this.lmHead = config.tieWordEmbeddings() ? embed : parameters.get("lm_head.weight");
    this.layers = new Layer[config.numLayers()];
    for (int i = 0; i < layers.length; i++) {
      String p = "model.layers." + i + ".";
      layers[i] =
          new Layer(
              parameters.get(p + "input_layernorm.weight"),
              parameters.get(p + "self_attn.q_proj.weight"), parameters.get(p + "self_attn.q_proj.bias"),
              parameters.get(p + "self_attn.k_proj.weight"), parameters.get(p + "self_attn.k_proj.bias"),
              parameters.get(p + "self_attn.q_norm.weight"), parameters.get(p + "self_attn.k_norm.weight"),
              parameters.get(p + "self_attn.v_proj.weight"), parameters.get(p + "self_attn.v_proj.bias"),
              parameters.get(p + "self_attn.o_proj.weight"), parameters.get(p + "self_attn.o_proj.bias"),
              parameters.get(p + "post_attention_layernorm.weight"),
              parameters.get(p + "mlp.gate_proj.weight"), parameters.get(p + "mlp.gate_proj.bias"),
              parameters.get(p + "mlp.up_proj.weight"), parameters.get(p + "mlp.up_proj.bias"),
              parameters.get(p + "mlp.down_proj.weight"), parameters.get(p + "mlp.down_proj.bias"));
    }
    double[] inv = config.ropeInverseFrequencies();
    this.inverseFrequencies = new float[inv.length];
    for (int i = 0; i < inv.length; i++) {
      inverseFrequencies[i] = (float) inv[i];
    }
  }

  /**
   * The parameter names and shapes this architecture expects, in Hugging Face naming and order. Tied
   * models have no {@code lm_head.weight}.
   */
  public static Map<String, long[]> parameterShapes(ModelConfig c) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    long h = c.hiddenSize();
    long qDim = (long) c.numHeads() * c.headDim();
    long kvDim = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      shapes.put(p + "input_layernorm.weight", new long[] {h});
      shapes.put(p + "self_attn.q_proj.weight", new long[] {qDim, h});
      shapes.put(p + "self_attn.k_proj.weight", new long[] {kvDim, h});
      shapes.put(p + "self_attn.v_proj.weight", new long[] {kvDim, h});
      shapes.put(p + "self_attn.o_proj.weight", new long[] {h, qDim});
      if (c.attentionBias()) {
        shapes.put(p + "self_attn.q_proj.bias", new long[] {qDim});
        shapes.put(p + "self_attn.k_proj.bias", new long[] {kvDim});
        shapes.put(p + "self_attn.v_proj.bias", new long[] {kvDim});
      }
      if (c.attentionOutputBias()) {
        shapes.put(p + "self_attn.o_proj.bias", new long[] {h});
      }
      if (c.qkNorm()) {
        shapes.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
        shapes.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
      }
      shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
      shapes.put(p + "mlp.gate_proj.weight", new long[] {inter, h});
      shapes.put(p + "mlp.up_proj.weight", new long[] {inter, h});
      shapes.put(p + "mlp.down_proj.weight", new long[] {h, inter});
      if (c.mlpBias()) {
        shapes.put(p + "mlp.gate_proj.bias", new long[] {inter});
        shapes.put(p + "mlp.up_proj.bias", new long[] {inter});
        shapes.put(p + "mlp.down_proj.bias", new long[] {h});
      }
    }
    shapes.put("model.norm.weight", new long[] {h});
    if (!c.tieWordEmbeddings()) {
      shapes.put("lm_head.weight", new long[] {c.vocabSize(), h});
    }
    return shapes;
  }

  /**
   * Loads the weights of a Hugging Face model folder ({@code model.safetensors} or its sharded index).
   * Every expected tensor must be present with the expected shape; a tensor the architecture does not
   * use is an error (except {@code lm_head.weight} of a tied model and rotary {@code inv_freq} buffers,
   * which some exporters write).
   */
  public static Transformer load(Path modelDir, ModelConfig config, NDManager parent) {
    Map<String, long[]> expected = parameterShapes(config);
    NDManager manager = parent.newSubManager();
    try (SafeTensors tensors = SafeTensors.open(modelDir)) {
      for (String name : tensors.names()) {
        boolean tolerated =
            name.endsWith(".rotary_emb.inv_freq")
                || (name.equals("lm_head.weight") && config.tieWordEmbeddings());
        if (!expected.containsKey(name) && !tolerated) {
          throw new BadInputException(
              tensors.info(name).file(),
              "unexpected tensor '" + name + "' for " + config.architecture() + " with this config.json");
        }
      }
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : expected.entrySet()) {
        String name = e.getKey();
        if (!tensors.contains(name)) {
          throw new BadInputException(modelDir, "missing tensor '" + name + "' required by " + config.architecture());
        }
        long[] shape = tensors.info(name).shape();
        if (!java.util.Arrays.equals(shape, e.getValue())) {
          throw new BadInputException(
              tensors.info(name).file(),
              "tensor '" + name + "' has shape " + java.util.Arrays.toString(shape)
                  + " but config.json implies " + java.util.Arrays.toString(e.getValue()));
        }
        // written into the tensor's own storage: no float[] of the parameter's size in the heap
        NDArray array = TensorFill.fp32(manager, shape, (first, into) -> tensors.readFloats(name, first, into));
        array.setName(name);
        params.put(name, array);
      }
      return new Transformer(config, manager, params);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A model with random weights (normal, std {@code initStd}; norms 1; biases 0), for benchmarks and
   * tests that need a given shape rather than a trained model.
   */
  public static Transformer random(ModelConfig config, long seed, double initStd, NDManager parent) {
    NDManager manager = parent.newSubManager();
    Random rng = new Random(seed);
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      boolean norm = name.endsWith("norm.weight");
      boolean bias = name.endsWith(".bias");
      // drawn straight into the tensor's storage, in row-major order (the values a float[] would get)
      NDArray array = TensorFill.fp32(manager, e.getValue(), (first, into) -> {
        java.nio.FloatBuffer values = into.asFloatBuffer();
        while (values.hasRemaining()) {
          values.put(norm ? 1f : bias ? 0f : (float) (rng.nextGaussian() * initStd));
        }
      });
      array.setName(name);
      params.put(name, array);
    }
    return new Transformer(config, manager, params);
  }

  /**
   * A deep copy of this model: every parameter duplicated into a new sub-manager of {@code parent}, so
   * the copy keeps its values while this model trains (a lagged scoring policy, a frozen snapshot).
   */
  public Transformer copy(NDManager parent) {
    NDManager m = parent.newSubManager();
    if (adapter != null) {
      // the base is frozen while an adapter trains: the copy shares it and copies the adapter only
      try {
        Transformer view = new Transformer(config, m, parameters);
        view.adapter = adapter.copy(m);
        return view;
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    }
    try {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray array = e.getValue().duplicate();
        array.attach(m);
        array.setName(e.getKey());
        params.put(e.getKey(), array);
      }
      return new Transformer(config, m, params);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Overwrites every parameter of this model, in place, with the values of {@code source}, which must
   * have the same parameter names and shapes (a copy made by {@link #copy} or the same checkpoint).
   * In place, so forward calls and caches that hold this model keep working.
   */
  public void copyParametersFrom(Transformer source) {
    if ((adapter == null) != (source.adapter == null)) {
      throw new IllegalArgumentException("one model has a LoRA adapter and the other has none: cannot copy between them");
    }
    if (adapter != null) adapter.copyFrom(source.adapter);
    if (embed == source.embed) return; // the same frozen base, shared
    if (!parameters.keySet().equals(source.parameters.keySet())) {
      throw new IllegalArgumentException("parameter names differ: cannot copy between different architectures");
    }
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray from = source.parameters.get(e.getKey());
      if (!from.getShape().equals(e.getValue().getShape())) {
        throw new IllegalArgumentException(
            "parameter " + e.getKey() + ": shape " + from.getShape() + " != " + e.getValue().getShape());
      }
      // An indexed assignment stays on the device (NDArray.copyTo would go through host memory).
      e.getValue().set(new NDIndex("..."), from);
    }
  }

  /** The architecture's configuration. */
  public ModelConfig config() {
    return config;
  }

  /** All parameters by Hugging Face name, in checkpoint order (tied models list the embedding once). */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /**
   * Attaches a LoRA adapter made for this architecture: from now on every forward adds its terms
   * (until {@link #detachAdapter}). The adapter stays owned by the caller unless it was created in
   * this model's manager, which closes it with the model.
   *
   * @throws IllegalArgumentException when the adapter's shapes do not fit this model or one is attached
   */
  public void attachAdapter(LoraAdapter lora) {
    if (adapter != null) throw new IllegalArgumentException("a LoRA adapter is already attached");
    if (!lora.fits(config)) throw new IllegalArgumentException("the LoRA adapter was made for another model shape");
    this.adapter = lora;
  }

  /** Removes the attached adapter (without closing it) and returns it, or null when there was none. */
  public LoraAdapter detachAdapter() {
    LoraAdapter a = adapter;
    adapter = null;
    return a;
  }

  /** The attached LoRA adapter, or null. */
  public LoraAdapter adapter() {
    return adapter;
  }

  /**
   * The same base weights without the adapter: a view that shares every parameter (no copy), for the
   * reference policy of a LoRA run. Closing the view frees nothing of this model.
   */
  public Transformer withoutAdapter() {
    return new Transformer(config, manager.newSubManager(), parameters);
  }

  /**
   * What training updates: the adapter's factors (PEFT names) when one is attached, else every
   * parameter of the model.
   */
  public Map<String, NDArray> trainableParameters() {
    return adapter != null ? adapter.parameters() : parameters;
  }

  /** The manager that owns the parameters. */
  public NDManager manager() {
    return manager;
  }

  /** A new empty cache for {@code batch} rows. */
  public KvCache newCache(NDManager parent, int batch, int capacity) {
    return new KvCache(parent, config, batch, capacity);
  }

  /**
   * Runs {@code tokens} ({@code [batch][count]}, all rows the same length; {@code valid[b][t] == false}
   * marks padding) through the model after what the cache already holds, appends their keys and values
   * to the cache, and returns the final-norm hidden states {@code [batch, count, hidden]}, attached to
   * {@code out}. Use {@link #logits} on the positions whose predictions are needed.
   */
  public NDArray forward(KvCache cache, int[][] tokens, boolean[][] valid, NDManager out) {
    int batch = tokens.length;
    if (batch != cache.batchSize()) {
      throw new IllegalArgumentException("batch " + batch + " != cache batch " + cache.batchSize());
    }
    int count = tokens[0].length;
    int[][] positions = cache.reserve(tokens, valid);
    NDArray hidden = run(tokens, positions, window -> cache.attentionBias(count, window),
        cache.length() + count, cache, out);
    cache.advance(count);
    return hidden;
  }

  /**
   * One decode step: appends {@code tokens[r]} to row {@code r} of the cache where {@code valid[r]}
   * (a padding slot elsewhere) and returns each valid row's next-token logits {@code [vocab]} (null
   * for the other rows). Runs on the Java Vector API kernels when {@link #usesJavaDecode()}, else
   * through libtorch as {@link #forward(KvCache, int[][], boolean[][], NDManager)} plus {@link
   * #logits}; both leave the same keys and values in the cache.
   */
  public float[][] nextTokenLogits(KvCache cache, int[] tokens, boolean[] valid) {
    if (closed) {
      throw new IllegalStateException("the model is closed");
    }
    int batch = cache.batchSize();
    if (tokens.length != batch || valid.length != batch) {
      throw new IllegalArgumentException("need one token and one flag per cache row (" + batch + ")");
    }
    LoraAdapter lora = adapter;
    if (lora != null && lora.isClosed()) {
      throw new IllegalStateException("the attached LoRA adapter is closed");
    }
    if (usesJavaDecode() && cache.inPlaceAccessible()) {
      return cpuDecoder().step(cache, tokens, valid, lora);
    }
    if (!FastDecode.available() && !embed.getDevice().isGpu()) {
      FastDecode.hintOnce();
    }
    int[][] feed = new int[batch][1];
    boolean[][] feedValid = new boolean[batch][1];
    for (int r = 0; r < batch; r++) {
      feed[r][0] = valid[r] ? tokens[r] : 0;
      feedValid[r][0] = valid[r];
    }
    float[][] out = new float[batch][];
    try (NDManager m = manager.getParentManager().newSubManager()) {
      NDArray hidden = forward(cache, feed, feedValid, m);
      float[] flat = logits(hidden.get(new NDIndex(":, 0, :"))).toFloatArray();
      int vocab = config.vocabSize();
      for (int r = 0; r < batch; r++) {
        if (valid[r]) {
          out[r] = java.util.Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
        }
      }
    }
    return out;
  }

  /**
   * Whether {@link #nextTokenLogits} runs on the Java kernels: {@code jdk.incubator.vector} is present,
   * the setting ({@code DRO4J_DECODE}, {@link #useJavaDecode}) allows it and the weights are in host
   * memory. An attached LoRA adapter is applied by the kernels too, except inside an open {@link
   * LoraAdapter#dropout} scope (a training forward's dropout, which only libtorch applies).
   */
  public boolean usesJavaDecode() {
    LoraAdapter a = adapter;
    return javaDecode && (a == null || !a.dropoutActive()) && FastDecode.available() && !embed.getDevice().isGpu();
  }

  /**
   * Whether {@link #nextTokenLogits} runs on the Java kernels ({@link #usesJavaDecode()}) for a cache
   * of {@code rows} rows and {@code capacity} slots: the kernels read a layer's keys as one direct
   * buffer, at most 2 GiB.
   */
  public boolean usesJavaDecode(int rows, int capacity) {
    return usesJavaDecode() && 4L * rows * config.numKvHeads() * capacity * config.headDim() <= Integer.MAX_VALUE;
  }

  /**
   * Chooses the decode path of this model: {@code true} for the Java kernels where available (the
   * default unless {@code DRO4J_DECODE=libtorch}), {@code false} for libtorch. Benchmarks and tests
   * compare the two.
   */
  public void useJavaDecode(boolean use) {
    this.javaDecode = use;
  }

  /**
   * Adds the parts of each following Java-kernel decode step ({@link #nextTokenLogits} while {@link
   * #usesJavaDecode()}) to {@code profile}, for benchmarks; null stops profiling.
   */
  public void profileJavaDecode(DecodeProfile profile) {
    if (closed) {
      throw new IllegalStateException("the model is closed");
    }
    if (FastDecode.available()) {
      cpuDecoder().profile(profile);
    }
  }

  private CpuDecoder cpuDecoder() {
    CpuDecoder d = cpuDecoder;
    if (d == null) {
      synchronized (this) {
        d = cpuDecoder;
        if (d == null) {
          d = new CpuDecoder(config, parameters, FastDecode.threads(), CpuDecoder.MAX_CHUNK_BYTES);
          cpuDecoder = d;
        }
      }
    }
    return d;
  }

  /**
   * Runs whole sequences ({@code [batch][length]}, padding marked invalid anywhere) without a cache,
   * for training: the result keeps its autograd graph when called inside a gradient collector. Returns
   * the final-norm hidden states {@code [batch, length, hidden]} attached to {@code out}.
   */
  public NDArray forward(int[][] tokens, boolean[][] valid, NDManager out) {
    int count = tokens[0].length;
    int[][] positions = AttentionMask.positions(valid);
    return run(tokens, positions, window -> AttentionMask.bias(valid, positions, 0, count, window), count, null, out);
  }

  private NDArray run(int[][] tokens, int[][] positions, java.util.function.Function<Integer, float[]> maskFor,
      int keysLen, KvCache cache, NDManager out) {
    NDArray hidden;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDManager tmp = out.newSubManager();
      ForwardInputs in = inputs(tokens, positions, maskFor, keysLen, tmp);
      NDArray x = decoderLayers(embedTokens(in.ids()), in, cache, tmp);
      hidden = rmsNorm(x, finalNorm);
      hidden.attach(out);
      NDScope.unregister(hidden);
      tmp.close();
    }
    return hidden;
  }

  /**
   * What every layer of one forward reads besides the hidden states: the token ids {@code [batch,
   * count]}, the rotary tables and one additive attention mask per layer (layers with the same
   * attention window share one array).
   */
  record ForwardInputs(NDArray ids, NDArray cos, NDArray sin, NDArray[] masks) {}

  ForwardInputs inputs(int[][] tokens, int[][] positions, java.util.function.Function<Integer, float[]> maskFor,
      int keysLen, NDManager m) {
    int batch = tokens.length;
    int count = tokens[0].length;
    // Inputs made from Java data are copied into PyTorch-owned memory: the autograd graph of a
    // training forward keeps the ids and rotary tables until backward, after m is closed (Scalars).
    NDArray ids = Scalars.torchOwned(m.create(flatten(tokens), new Shape(batch, count)));
    NDArray[] rope = rotaryTables(m, positions);
    rope[0] = Scalars.torchOwned(rope[0]);
    rope[1] = Scalars.torchOwned(rope[1]);
    // One additive mask per distinct attention window (all layers share it unless some slide).
    Map<Integer, NDArray> byWindow = new HashMap<>();
    NDArray[] masks = new NDArray[layers.length];
    for (int l = 0; l < layers.length; l++) {
      Integer window = config.slidingWindowOf(l);
      masks[l] = byWindow.computeIfAbsent(window == null ? -1 : window,
          w -> Scalars.torchOwned(m.create(maskFor.apply(window), new Shape(batch, 1, 1, count, keysLen))));
    }
    return new ForwardInputs(ids, rope[0], rope[1], masks);
  }

  /** The inputs of a cache-free forward over whole rows (padding marked invalid anywhere). */
  ForwardInputs trainingInputs(int[][] tokens, boolean[][] valid, NDManager m) {
    int count = tokens[0].length;
    int[][] positions = AttentionMask.positions(valid);
    return inputs(tokens, positions, window -> AttentionMask.bias(valid, positions, 0, count, window), count, m);
  }

  /** The embedding rows of {@code ids}, {@code [batch, count, hidden]}. */
  NDArray embedTokens(NDArray ids) {
    // torch.nn.functional.embedding, not embed[ids]: the backward of an indexed read is index_put_
    // with accumulate, which on CPU adds with atomics in parallel once an op has 32768 elements
    // (order varies with thread scheduling); embedding's dense backward gives each thread its own
    // vocabulary rows and adds in token order, so its gradient is the same bits on every run.
    return embed.getNDArrayInternal().embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * Every decoder layer on {@code x}, each layer's arrays closed once the next layer has its input;
   * closes {@code x} and attaches the result to {@code owner}. When nothing will back-propagate (a
   * prefill, scoring, reference log-probs) the peak is then one layer's and not the whole stack's: kept
   * to the end, a batch-8 prefill of 512 tokens on the Qwen2.5-0.5B shape went past 24 GB. Inside a
   * gradient collector the graph keeps, by reference, exactly what backward reads, and closing frees
   * everything else: a LoRA forward's base outputs and adapter terms, which no backward reads, cost
   * 2.6 GB at the end of a recorded 512-token forward on that shape when they stayed to the end.
   */
  NDArray decoderLayers(NDArray x, ForwardInputs in, KvCache cache, NDManager owner) {
    for (int l = 0; l < layers.length; l++) {
      NDArray next;
      try (NDScope layer = new NDScope()) {
        layer.suppressNotUsedWarning();
        next = block(l, x, in.cos(), in.sin(), in.masks()[l], cache);
        next.attach(owner);
        NDScope.unregister(next);
      }
      x.close();
      x = next;
    }
    return x;
  }

  /** Decoder layer {@code index} of a cache-free forward. */
  NDArray decoderLayer(int index, NDArray x, ForwardInputs in) {
    return block(index, x, in.cos(), in.sin(), in.masks()[index], null);
  }

  /** The final RMSNorm. */
  NDArray finalNorm(NDArray x) {
    return rmsNorm(x, finalNorm);
  }

  /** The embedding matrix (the language-model head too when tied). */
  NDArray embedding() {
    return embed;
  }

  /**
   * A differentiable forward over whole rows for training, as {@link #forward(int[][], boolean[][],
   * NDManager)} computes it; with {@code gradientCheckpointing} the decoder layers keep only their
   * inputs and are recomputed one at a time in {@link TrainingPass#backward}. Arrays live in {@code out}.
   */
  public TrainingPass trainingPass(int[][] tokens, boolean[][] valid, boolean gradientCheckpointing, NDManager out) {
    return TrainingPass.run(this, tokens, valid, gradientCheckpointing, out);
  }

  /** Number of decoder layers. */
  int layerCount() {
    return layers.length;
  }

  /**
   * Logits {@code [..., vocab]} of the language-model head for hidden states {@code [..., hidden]},
   * attached to the hidden states' manager.
   */
  public NDArray logits(NDArray hidden) {
    NDArray logits = Linear.linear(hidden, lmHead).singletonOrThrow();
    logits.attach(hidden.getManager());
    return logits;
  }

  private NDArray block(int index, NDArray x, NDArray cos, NDArray sin, NDArray attnBias, KvCache cache) {
    Layer w = layers[index];
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long count = shape.get(1);
    int heads = config.numHeads();
    int kvHeads = config.numKvHeads();
    int headDim = config.headDim();

    NDArray h = rmsNorm(x, w.inputNorm());
    NDArray q = project(index, Q_PROJ, h, w.q(), w.qBias()).reshape(batch, count, heads, headDim);
    NDArray k = project(index, K_PROJ, h, w.k(), w.kBias()).reshape(batch, count, kvHeads, headDim);
    if (w.qNorm() != null) {
      // Qwen3: RMSNorm over each head's headDim values, before the rotary embedding
      q = rmsNorm(q, w.qNorm());
      k = rmsNorm(k, w.kNorm());
    }
    q = q.transpose(0, 2, 1, 3);
    k = k.transpose(0, 2, 1, 3);
    NDArray v = project(index, V_PROJ, h, w.v(), w.vBias()).reshape(batch, count, kvHeads, headDim).transpose(0, 2, 1, 3);
    q = applyRotary(q, cos, sin);
    k = applyRotary(k, cos, sin);
    NDArray[] kv = cache == null ? new NDArray[] {k, v} : cache.append(index, k, v);
    NDArray keys = kv[0];
    NDArray values = kv[1];
    long keysLen = keys.getShape().get(2);

    NDArray attn = attention(q.mul(Scalars.of(q, 1.0 / Math.sqrt(headDim))), keys, values, attnBias, count, keysLen);
    x = x.add(project(index, O_PROJ, attn, w.o(), w.oBias()));

    NDArray m = rmsNorm(x, w.postNorm());
    // SiLU as x * sigmoid(x): DJL's swish multiplies by a Java-backed beta that backward would read
    NDArray gateIn = project(index, GATE_PROJ, m, w.gate(), w.gateBias());
    NDArray gate = Activation.sigmoid(gateIn).mul(gateIn);
    NDArray mlp = project(index, DOWN_PROJ, gate.mul(project(index, UP_PROJ, m, w.up(), w.upBias())), w.down(), w.downBias());
    return x.add(mlp);
  }

  /**
   * Causal attention of {@code count} scaled queries {@code [batch, heads, count, headDim]} over
   * {@code keysLen} keys, returning {@code [batch, count, heads * headDim]}. Long query blocks are cut
   * into chunks of {@link #QUERY_CHUNK}: each chunk only needs the keys up to its last query (later
   * ones are masked anyway), which halves the work of a long prefill and keeps the score matrices
   * small enough to stay in cache.
   */
  private NDArray attention(NDArray q, NDArray keys, NDArray values, NDArray bias, long count, long keysLen) {
    if (count <= QUERY_CHUNK) {
      return attentionBlock(q, keys, values, bias, count, keysLen);
    }
    long past = keysLen - count;
    NDList parts = new NDList();
    for (long t0 = 0; t0 < count; t0 += QUERY_CHUNK) {
      long t1 = Math.min(count, t0 + QUERY_CHUNK);
      long keysEnd = past + t1;
      parts.add(attentionBlock(
          q.get(new NDIndex(":, :, {}:{}, :", t0, t1)),
          keys.get(new NDIndex(":, :, :{}, :", keysEnd)),
          values.get(new NDIndex(":, :, :{}, :", keysEnd)),
          bias.get(new NDIndex(":, :, :, {}:{}, :{}", t0, t1, keysEnd)),
          t1 - t0,
          keysEnd));
    }
    return NDArrays.concat(parts, 1);
  }

  /** Query rows whose attention is computed at once; longer blocks are chunked. */
  static final long QUERY_CHUNK = 256;

  private NDArray attentionBlock(NDArray q, NDArray keys, NDArray values, NDArray bias, long count, long keysLen) {
    long batch = q.getShape().get(0);
    int heads = config.numHeads();
    int kvHeads = config.numKvHeads();
    int headDim = config.headDim();
    int groups = heads / kvHeads;
    // Grouped-query attention without repeating K/V: fold each KV head's query heads into the row axis.
    NDArray qg = q.reshape(batch, kvHeads, groups * count, headDim);
    NDArray scores =
        qg.matMul(keys.transpose(0, 1, 3, 2))
            .reshape(batch, kvHeads, groups, count, keysLen)
            .add(bias);
    NDArray probs = scores.softmax(-1).reshape(batch, kvHeads, groups * count, keysLen);
    return probs.matMul(values)
        .reshape(batch, heads, count, headDim)
        .transpose(0, 2, 1, 3)
        .reshape(batch, count, (long) heads * headDim);
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add(config.rmsNormEps()).sqrt();
    return x.div(rms).mul(weight);
  }

  // Indices into LoraConfig.LINEAR_MODULES (CpuDecoder uses them too).
  static final int Q_PROJ = 0;
  static final int K_PROJ = 1;
  static final int V_PROJ = 2;
  static final int O_PROJ = 3;
  static final int GATE_PROJ = 4;
  static final int UP_PROJ = 5;
  static final int DOWN_PROJ = 6;

  /**
   * Linear module {@code module} of layer {@code layer}: {@code x W^T + b}, plus the LoRA adapter's
   * term when one is attached and targets the module. The one place a block applies a projection.
   */
  private NDArray project(int layer, int module, NDArray x, NDArray weight, NDArray bias) {
    NDArray y = linear(x, weight, bias);
    NDArray delta = adapter == null ? null : adapter.delta(layer, module, x);
    return delta == null ? y : y.add(delta);
  }

  private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();
  }

  /** q*cos + rotate_half(q)*sin with rotate_half(x) = [-x2, x1] over the two halves of the head. */
  private static NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
    long half = x.getShape().get(3) / 2;
    NDArray x1 = x.get(new NDIndex(":, :, :, :{}", half));
    NDArray x2 = x.get(new NDIndex(":, :, :, {}:", half));
    NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
    return x.mul(cos).add(rotated.mul(sin));
  }

  /**
   * cos and sin tables {@code [batch, 1, count, headDim]}. The angle position * inv_freq is rounded to
   * fp32 before cos/sin, as transformers computes it, so long positions match it closely.
   */
  private NDArray[] rotaryTables(NDManager m, int[][] positions) {
    int batch = positions.length;
    int count = positions[0].length;
    int half = inverseFrequencies.length;
    int dim = 2 * half;
    float[] cos = new float[batch * count * dim];
    float[] sin = new float[batch * count * dim];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < count; t++) {
        int base = (b * count + t) * dim;
        float pos = positions[b][t];
        for (int i = 0; i < half; i++) {
          float angle = pos * inverseFrequencies[i];
          float c = (float) Math.cos(angle);
          float s = (float) Math.sin(angle);
          cos[base + i] = c;
          cos[base + half + i] = c;
          sin[base + i] = s;
          sin[base + half + i] = s;
        }
      }
    }
    Shape shape = new Shape(batch, 1, count, dim);
    return new NDArray[] {m.create(cos, shape), m.create(sin, shape)};
  }

  private long[] flatten(int[][] rows) {
    int count = rows[0].length;
    long[] flat = new long[rows.length * count];
    for (int b = 0; b < rows.length; b++) {
      if (rows[b].length != count) {
        throw new IllegalArgumentException("ragged token rows: pad them and mark the padding invalid");
      }
      for (int t = 0; t < count; t++) {
        int id = rows[b][t];
        if (id < 0 || id >= config.vocabSize()) {
          throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        flat[b * count + t] = id;
      }
    }
    return flat;
  }

  /** Number of parameters (tied embeddings counted once). */
  public long parameterCount() {
    long n = 0;
    for (NDArray p : parameters.values()) {
      n += p.size();
    }
    return n;
  }

  @Override
  public void close() {
    closed = true; // the Java decode path reads the weights' memory: never after it is freed
    cpuDecoder = null;
    manager.close();
  }
}
