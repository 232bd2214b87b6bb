package dro4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import java.nio.file.Path;
import java.util.List;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}. Supports
 * {@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}, {@code MistralForCausalLM} and
 * {@code Qwen3ForCausalLM}: pre-norm RMSNorm blocks, rotary attention with grouped KV heads, SiLU-gated
 * MLP; Qwen3 adds per-head RMSNorm of queries and keys ({@link #qkNorm}). Fields absent from the JSON
 * take the defaults of the matching transformers config class.
 *
 * <p>The canonical constructor validates the shape, so benchmarks and tests can also build a config
 * in code (see {@link #qwen2_5_0_5B()}).
 *
 * @param architecture one of {@link #SUPPORTED_ARCHITECTURES}
 * @param hiddenSize model width ({@code hidden_size})
 * @param intermediateSize MLP width ({@code intermediate_size})
 * @param numLayers decoder blocks ({@code num_hidden_layers})
 * @param numHeads query heads ({@code num_attention_heads})
 * @param numKvHeads key/value heads ({@code num_key_value_heads}; defaults to numHeads)
 * @param headDim per-head width ({@code head_dim} when given, else hiddenSize / numHeads, or 128 for
 *     Qwen3 as in Qwen3Config; it may differ from hiddenSize / numHeads)
 * @param vocabSize embedding rows ({@code vocab_size})
 * @param maxPositionEmbeddings longest context the model was built for
 * @param rmsNormEps RMSNorm epsilon
 * @param ropeTheta rotary base
 * @param ropeScaling rotary frequency scaling, or null for plain RoPE
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param attentionBias whether q_proj, k_proj and v_proj have biases (always for Qwen2)
 * @param attentionOutputBias whether o_proj has a bias (Llama's and Qwen3's {@code attention_bias})
 * @param mlpBias whether gate/up/down projections have biases (Llama's {@code mlp_bias})
 * @param slidingWindow attention window in tokens for sliding layers, or null for full attention
 * @param slidingWindowFromLayer layers with index at least this use {@code slidingWindow} (0 for
 *     Mistral; Qwen2's and Qwen3's {@code max_window_layers}); ignored when slidingWindow is null
 * @param bosTokenId beginning-of-sequence token, or null
 * @param eosTokenIds end-of-sequence tokens (possibly empty)
 * @param hiddenAct MLP activation; only {@code silu}
 */
public record ModelConfig(
    String architecture,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int vocabSize,
    int maxPositionEmbeddings,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean attentionOutputBias,
    boolean mlpBias,
    Integer slidingWindow,
    int slidingWindowFromLayer,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    String hiddenAct) {

  public static final String LLAMA = "LlamaForCausalLM";
  public static final String QWEN2 = "Qwen2ForCausalLM";
  public static final String MISTRAL = "MistralForCausalLM";
  public static final String QWEN3 = "Qwen3ForCausalLM";

  /** The {@code architectures} values this library runs. */
  public static final List<String> SUPPORTED_ARCHITECTURES = List.of(LLAMA, QWEN2, MISTRAL, QWEN3);

  /** Qwen3Config's {@code head_dim} when config.json has none. */
  static final int QWEN3_DEFAULT_HEAD_DIM = 128;

  /**
   * Rotary frequency scaling ({@code rope_scaling}, or {@code rope_parameters} in transformers 5).
   *
   * @param type {@code linear} or {@code llama3}
   * @param factor context extension factor (both types)
   * @param lowFreqFactor llama3 only, else null
   * @param highFreqFactor llama3 only, else null
   * @param originalMaxPositionEmbeddings llama3 only: the pre-extension context, else null
   */
  public record RopeScaling(
      String type,
      double factor,
      Double lowFreqFactor,
      Double highFreqFactor,
      Integer originalMaxPositionEmbeddings) {

    public static final List<String> SUPPORTED_TYPES = List.of("default", "linear", "llama3");

    public RopeScaling {
      if (!type.equals("linear") && !type.equals("llama3")) {
        throw new IllegalArgumentException("unsupported rope_scaling type \"" + type
            + "\"; supported: " + String.join(", ", SUPPORTED_TYPES));
      }
      if (!(factor > 0) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("rope_scaling factor must be positive, got " + factor);
      }
      if (type.equals("llama3")) {
        if (lowFreqFactor == null || highFreqFactor == null
            || originalMaxPositionEmbeddings == null) {
          throw new IllegalArgumentException("llama3 rope_scaling needs low_freq_factor,"
              + " high_freq_factor and original_max_position_embeddings");
        }
        if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
          throw new IllegalArgumentException("llama3 rope_scaling needs 0 < low_freq_factor"
              + " < high_freq_factor, got " + lowFreqFactor + " and " + highFreqFactor);
        }
        if (originalMaxPositionEmbeddings <= 0) {
          throw new IllegalArgumentException(
              "rope_scaling original_max_position_embeddings must be positive");
        }
      }
    }

    /** Position interpolation: every frequency divided by {@code factor}. */
    public static RopeScaling linear(double factor) {
      return new RopeScaling("linear", factor, null, null, null);
    }

    /** Llama 3.1's band-wise scaling. */
    public static RopeScaling llama3(
        double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
      return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }
  }

  /** Validates the shape; messages use the config.json field names. */
  public ModelConfig {
    if (!SUPPORTED_ARCHITECTURES.contains(architecture)) {
      throw new IllegalArgumentException("unsupported architecture " + architecture
          + "; supported: " + String.join(", ", SUPPORTED_ARCHITECTURES));
    }
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("head_dim", headDim);
    positive("vocab_size", vocabSize);
    positive("max_position_embeddings", maxPositionEmbeddings);
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads (" + numHeads
          + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("head_dim (" + headDim + ") must be even for rotary"
          + " embeddings");
    }
    if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
      throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
    }
    if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
      throw new IllegalArgumentException("rope_theta must be positive, got " + ropeTheta);
    }
    if (slidingWindow != null && slidingWindow <= 0) {
      throw new IllegalArgumentException("sliding_window must be positive, got " + slidingWindow);
    }
    if (slidingWindowFromLayer < 0) {
      throw new IllegalArgumentException("max_window_layers must not be negative");
    }
    if (!"silu".equals(hiddenAct)) {
      throw new IllegalArgumentException("unsupported hidden_act \"" + hiddenAct
          + "\"; supported: silu");
    }
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  private static void positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, got " + value);
    }
  }

  /** Loads {@code config.json} from a model folder. */
  public static ModelConfig loadFromDir(Path modelDir) {
    return load(modelDir.resolve("config.json"));
  }

  /** Parses a Hugging Face {@code config.json}; any problem is a {@link BadInputException}. */
  public static ModelConfig load(Path configJson) {
    Json json = new Json(configJson);
    JsonNode root = json.read();
    String architecture = architecture(json, root);
    boolean llama = architecture.equals(LLAMA);
    boolean qwen2 = architecture.equals(QWEN2);
    boolean qwen3 = architecture.equals(QWEN3);

    int hidden = json.requiredInt(root, "hidden_size");
    int intermediate = json.requiredInt(root, "intermediate_size");
    int layers = json.requiredInt(root, "num_hidden_layers");
    int heads = json.requiredInt(root, "num_attention_heads");
    int vocab = json.requiredInt(root, "vocab_size");
    Integer kvHeads = json.integer(root, "num_key_value_heads");
    Integer headDim = json.integer(root, "head_dim");
    if (qwen3 && headDim == null) {
      // Qwen3Config declares head_dim as an int defaulting to 128, whatever hidden / heads is.
      if (root.has("head_dim")) {
        throw json.error("field \"head_dim\" is null; Qwen3ForCausalLM needs an integer head_dim"
            + " (transformers' default, when the field is absent, is " + QWEN3_DEFAULT_HEAD_DIM + ")");
      }
      headDim = QWEN3_DEFAULT_HEAD_DIM;
    }
    if (headDim == null) {
      if (heads <= 0 || hidden % heads != 0) {
        throw json.error("hidden_size (" + hidden + ") is not divisible by num_attention_heads ("
            + heads + ") and there is no head_dim");
      }
      headDim = hidden / heads;
    }

    // transformers' class defaults for fields a hand-written config may leave out.
    int defaultMaxPositions = llama ? 2048 : qwen2 || qwen3 ? 32768 : 4096 * 32;
    Integer maxPositions = json.integer(root, "max_position_embeddings");
    Double eps = json.number(root, "rms_norm_eps");
    Boolean tied = json.bool(root, "tie_word_embeddings");
    String act = json.string(root, "hidden_act");

    // Biases: Qwen2 always has q/k/v biases and none on o_proj; Llama's flags cover q/k/v/o and
    // the MLP; Qwen3's attention_bias covers q/k/v/o (default false); Mistral has none.
    boolean qkvBias;
    boolean oBias;
    boolean mlpBias;
    if (llama) {
      qkvBias = orFalse(json.bool(root, "attention_bias"));
      oBias = qkvBias;
      mlpBias = orFalse(json.bool(root, "mlp_bias"));
    } else if (qwen3) {
      qkvBias = orFalse(json.bool(root, "attention_bias"));
      oBias = qkvBias;
      mlpBias = false;
    } else {
      qkvBias = qwen2;
      oBias = false;
      mlpBias = false;
    }

    // Sliding window: Mistral applies it to every layer; Qwen2 and Qwen3 only with
    // use_sliding_window, and then only from layer max_window_layers on (or as layer_types says, in
    // transformers 5).
    Integer window = null;
    int windowFrom = 0;
    // An absent sliding_window means the class default 4096; an explicit null means none.
    Integer configuredWindow = root.has("sliding_window")
        ? json.integer(root, "sliding_window")
        : Integer.valueOf(4096);
    if (architecture.equals(MISTRAL)) {
      window = configuredWindow;
    } else if ((qwen2 || qwen3) && orFalse(json.bool(root, "use_sliding_window"))) {
      window = configuredWindow;
      Integer maxWindowLayers = json.integer(root, "max_window_layers");
      windowFrom = maxWindowLayers != null ? maxWindowLayers : 28;
    }
    if (window != null && root.has("layer_types") && !root.get("layer_types").isNull()) {
      windowFrom = firstSlidingLayer(json, root.get("layer_types"), layers);
    }

    // bos/eos: absent means the class default (Llama, Mistral: 1 and 2); explicit null means none.
    Integer bos;
    List<Integer> eos;
    if (root.has("bos_token_id")) {
      bos = json.integer(root, "bos_token_id");
    } else {
      bos = qwen2 || qwen3 ? null : 1;
    }
    if (root.has("eos_token_id")) {
      eos = json.intOrList(root, "eos_token_id");
    } else {
      eos = qwen2 || qwen3 ? List.of() : List.of(2);
    }

    double theta = ropeTheta(json, root);
    RopeScaling scaling = ropeScaling(json, root);
    Double partialRotary = partialRotaryFactor(json, root);
    if (partialRotary != null && partialRotary != 1.0) {
      throw json.error("unsupported partial_rotary_factor " + partialRotary + "; only 1.0");
    }

    try {
      return new ModelConfig(
          architecture,
          hidden,
          intermediate,
          layers,
          heads,
          kvHeads != null ? kvHeads : heads,
          headDim,
          vocab,
          maxPositions != null ? maxPositions : defaultMaxPositions,
          eps != null ? eps : 1e-6,
          theta,
          scaling,
          tied != null && tied,
          qkvBias,
          oBias,
          mlpBias,
          window,
          windowFrom,
          bos,
          eos,
          act != null ? act : "silu");
    } catch (IllegalArgumentException e) {
      throw new BadInputException(configJson, e.getMessage(), e);
    }
  }

  private static String architecture(Json json, JsonNode root) {
    JsonNode archs = root.get("architectures");
    if (archs != null && !archs.isNull()) {
      if (!archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
        throw json.error("field \"architectures\" must be a non-empty list of names, got " + archs);
      }
      String arch = archs.get(0).asText();
      if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
        throw json.error("unsupported architecture " + arch + "; supported: "
            + String.join(", ", SUPPORTED_ARCHITECTURES));
      }
      return arch;
    }
    // Some hand-made configs only carry model_type.
    String modelType = json.string(root, "model_type");
    if (modelType == null) {
      throw json.error("missing required field \"architectures\" (and no \"model_type\")");
    }
    return switch (modelType) {
      case "llama" -> LLAMA;
      case "qwen2" -> QWEN2;
      case "mistral" -> MISTRAL;
      case "qwen3" -> QWEN3;
      default -> throw json.error("unsupported model_type " + modelType + "; supported"
          + " architectures: " + String.join(", ", SUPPORTED_ARCHITECTURES));
    };
  }

  private static int firstSlidingLayer(Json json, JsonNode layerTypes, int layers) {
    if (!layerTypes.isArray() || layerTypes.size() != layers) {
      throw json.error("field \"layer_types\" must list one type per layer (" + layers + ")");
    }
    int first = layers;
    for (int i = 0; i < layers; i++) {
      String type = layerTypes.get(i).asText();
      boolean sliding = type.equals("sliding_attention");
      if (!sliding && !type.equals("full_attention")) {
        throw json.error("unsupported layer_types entry \"" + type + "\"");
      }
      if (sliding && first == layers) {
        first = i;
      } else if (!sliding && first < layers) {
        throw json.error("unsupported layer_types: full attention after a sliding layer");
      }
    }
    return first;
  }

  private static JsonNode ropeParameters(Json json, JsonNode root) {
    JsonNode params = root.get("rope_parameters");
    if (params == null || params.isNull()) {
      return null;
    }
    if (!params.isObject()) {
      throw json.error("field \"rope_parameters\" must be an object, got " + params);
    }
    return params;
  }

  private static double ropeTheta(Json json, JsonNode root) {
    JsonNode params = ropeParameters(json, root);
    Double theta = params != null ? json.number(params, "rope_theta") : null;
    if (theta == null) {
      theta = json.number(root, "rope_theta");
    }
    return theta != null ? theta : 10000.0;
  }

  private static Double partialRotaryFactor(Json json, JsonNode root) {
    JsonNode params = ropeParameters(json, root);
    Double factor = params != null ? json.number(params, "partial_rotary_factor") : null;
    return factor != null ? factor : json.number(root, "partial_rotary_factor");
  }

  /**
   * The scaling spec: transformers 5's {@code rope_parameters}, else the older {@code rope_scaling}
   * (whose type key was once {@code type}, later {@code rope_type}).
   */
  private static RopeScaling ropeScaling(Json json, JsonNode root) {
    JsonNode spec = ropeParameters(json, root);
    if (spec == null) {
      spec = root.get("rope_scaling");
      if (spec == null || spec.isNull()) {
        return null;
      }
      if (!spec.isObject()) {
        throw json.error("field \"rope_scaling\" must be an object, got " + spec);
      }
    }
    String type = json.string(spec, "rope_type");
    if (type == null) {
      type = json.string(spec, "type");
    }
    if (type == null || type.equals("default")) {
      return null;
    }
    if (!type.equals("linear") && !type.equals("llama3")) {
      throw json.error("unsupported rope_scaling type \"" + type + "\"; supported: "
          + String.join(", ", RopeScaling.SUPPORTED_TYPES));
    }
    Double factor = json.number(spec, "factor");
    if (factor == null) {
      throw json.error("rope_scaling of type " + type + " is missing \"factor\"");
    }
    try {
      if (type.equals("linear")) {
        return RopeScaling.linear(factor);
      }
      Double low = json.number(spec, "low_freq_factor");
      Double high = json.number(spec, "high_freq_factor");
      Integer original = json.integer(spec, "original_max_position_embeddings");
      return new RopeScaling(type, factor, low, high, original);
    } catch (IllegalArgumentException e) {
      throw json.error(e.getMessage());
    }
  }

  private static boolean orFalse(Boolean b) {
    return b != null && b;
  }

  /**
   * Whether each attention head's queries and keys go through their own RMSNorm ({@code q_norm},
   * {@code k_norm}, weights of length {@link #headDim}) after the projections and before the rotary
   * embedding: Qwen3.
   */
  public boolean qkNorm() {
    return architecture.equals(QWEN3);
  }

  /** Query heads per KV head (grouped-query attention). */
  public int kvGroups() {
    return numHeads / numKvHeads;
  }

  /** The attention window of one layer in tokens, or null when that layer attends to everything. */
  public Integer slidingWindowOf(int layer) {
    return slidingWindow != null && layer >= slidingWindowFromLayer ? slidingWindow : null;
  }

  /**
   * Rotary inverse frequencies, {@code headDim / 2} of them: {@code 1 / theta^(2i / headDim)}, then
   * scaled as {@link #ropeScaling} says. Linear divides all by the factor. Llama 3 (as transformers'
   * {@code _compute_llama3_parameters}) divides only the low frequencies (wavelength above
   * {@code original / lowFreqFactor}), keeps the high ones (wavelength below
   * {@code original / highFreqFactor}), and blends the band between.
   */
  public double[] ropeInverseFrequencies() {
    double[] inv = new double[headDim / 2];
    for (int i = 0; i < inv.length; i++) {
      inv[i] = 1.0 / Math.pow(ropeTheta, (2.0 * i) / headDim);
    }
    if (ropeScaling == null) {
      return inv;
    }
    double factor = ropeScaling.factor();
    if (ropeScaling.type().equals("linear")) {
      for (int i = 0; i < inv.length; i++) {
        inv[i] /= factor;
      }
      return inv;
    }
    double low = ropeScaling.lowFreqFactor();
    double high = ropeScaling.highFreqFactor();
    double original = ropeScaling.originalMaxPositionEmbeddings();
    double lowFreqWavelen = original / low; // longer than this: fully scaled
    double highFreqWavelen = original / high; // shorter than this: untouched
    for (int i = 0; i < inv.length; i++) {
      double wavelen = 2 * Math.PI / inv[i];
      if (wavelen > lowFreqWavelen) {
        inv[i] /= factor;
      } else if (wavelen >= highFreqWavelen) {
        double smooth = (original / wavelen - low) / (high - low);
        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
      }
    }
    return inv;
  }

  /**
   * Qwen2.5-0.5B's published shape (hidden 896, 24 layers, 14 heads, 2 KV heads, head_dim 64,
   * intermediate 4864, vocab 151936, tied embeddings, q/k/v biases, theta 1e6), for benchmarks that
   * need a realistic model without downloading one.
   */
  public static ModelConfig qwen2_5_0_5B() {
    return new ModelConfig(QWEN2, 896, 4864, 24, 14, 2, 64, 151936, 32768, 1e-6, 1_000_000.0,
        null, true, true, false, false, null, 0, 151643, List.of(151643), "silu");
  }

  /**
   * Qwen3-0.6B's published shape (hidden 1024, 28 layers, 16 heads, 8 KV heads, head_dim 128, not
   * 1024 / 16; intermediate 3072, vocab 151936, tied embeddings, no biases, q/k norms, theta 1e6).
   */
  public static ModelConfig qwen3_0_6B() {
    return new ModelConfig(QWEN3, 1024, 3072, 28, 16, 8, 128, 151936, 40960, 1e-6, 1_000_000.0,
        null, true, false, false, false, null, 0, 151643, List.of(151645), "silu");
  }
}
