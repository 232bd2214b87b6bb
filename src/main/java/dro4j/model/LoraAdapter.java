package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dro4j.BadInputException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A LoRA adapter over the linear layers of a {@link Transformer}: for each targeted module a pair
 * {@code A [r, in]}, {@code B [out, r]} whose product, times {@link LoraConfig#scale()}, is added to
 * the frozen weight's output. Attached to a model with {@link Transformer#attachAdapter}; the base
 * weights stay where they are, so the model with the adapter disabled ({@link
 * Transformer#withoutAdapter()}) needs no second copy.
 *
 * <p>The tensors keep PEFT's names ({@code base_model.model.<module path>.lora_A.weight}) and layout,
 * and {@link #save} writes a folder {@code PeftModel.from_pretrained} loads: {@code adapter_config.json}
 * and {@code adapter_model.safetensors}. A new adapter starts as PEFT's does: A kaiming-uniform with
 * {@code a = sqrt(5)} (uniform in {@code ±1/sqrt(in)}, as {@code nn.Linear}), B zero, so the adapted
 * model equals the base until the first update.
 *
 * <p>Dropout ({@code lora_dropout}) acts on the adapter's input only inside a {@link #dropout} scope
 * that a trainer opens around a training forward, with one seed per batch row; its masks are a pure
 * function of (row seed, layer, module, element), so reruns, resumed runs and recomputed forwards see
 * the same masks. Everywhere else (generation, scoring, reference log-probs) there is none.
 */
public final class LoraAdapter implements AutoCloseable {
  /** The adapter's tensors inside an adapter folder. */
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  private static final String PREFIX = "base_model.model.";
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final LoraConfig config;
  private final NDManager manager;
  /** [layer][LINEAR_MODULES index], null where a module has no adapter. */
  private final Module[][] modules;
  private final Map<String, NDArray> parameters;
  private final int numLayers;
  private long[] dropoutRowSeeds;
  /** Set by {@link #close}: the Java decode path reads the factors' memory and must not after that. */
  private volatile boolean closed;

  /** One adapted module: its two factors. */
  private record Module(String path, NDArray a, NDArray b) {}

  /** Where {@link #dropoutMask} writes a mask before PyTorch copies it; reused, grown when needed. */
  private ByteBuffer maskBuffer;

  private LoraAdapter(LoraConfig config, NDManager manager, Module[][] modules) {
    this.config = config;
    this.manager = manager;
    this.modules = modules;
    this.numLayers = modules.length;
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Module[] layer : modules) {
      for (Module m : layer) {
        if (m == null) continue;
        params.put(key(m.path, "lora_A"), m.a);
        params.put(key(m.path, "lora_B"), m.b);
      }
    }
    this.parameters = Collections.unmodifiableMap(params);
  }

  /** The PEFT tensor name of a factor ({@code lora_A} or {@code lora_B}) of the module at {@code path}. */
  public static String key(String modulePath, String factor) {
    return PREFIX + modulePath + "." + factor + ".weight";
  }

  /** The module path of linear module {@code m} ({@link LoraConfig#LINEAR_MODULES} index) of layer {@code layer}. */
  static String modulePath(int layer, int m) {
    String name = LoraConfig.LINEAR_MODULES.get(m);
    return "model.layers." + layer + (m < 4 ? ".self_attn." : ".mlp.") + name;
  }

  /**
   * The modules of {@code model} that {@code config} targets, as [layer][module] paths (null where
   * not targeted).
   *
   * @throws BadInputException when a target name or regex matches no linear layer (PEFT refuses
   *     that too), e.g. {@code lm_head} or {@code embed_tokens}, which dro4j does not adapt
   */
  private static String[][] targeted(ModelConfig model, LoraConfig config) {
    String[][] paths = new String[model.numLayers()][LoraConfig.LINEAR_MODULES.size()];
    Set<String> unmatched = new LinkedHashSet<>(config.targetModules());
    unmatched.remove("all-linear");
    boolean any = false;
    for (int l = 0; l < paths.length; l++) {
      for (int m = 0; m < paths[l].length; m++) {
        String path = modulePath(l, m);
        if (config.targets(path)) {
          paths[l][m] = path;
          any = true;
          unmatched.removeIf(t -> path.equals(t) || path.endsWith("." + t));
        }
      }
    }
    if (!unmatched.isEmpty()) {
      throw new BadInputException("lora target modules " + unmatched + " are not linear layers of the model's"
          + " blocks (dro4j adapts " + String.join(", ", LoraConfig.LINEAR_MODULES) + ")");
    }
    if (!any) throw new BadInputException("lora target modules " + config.targetModules()
        + (config.targetRegex() != null ? " / regex " + config.targetRegex() : "") + " match no module of the model");
    return paths;
  }

  private static long[] weightShape(ModelConfig model, String path) {
    return Transformer.parameterShapes(model).get(path + ".weight");
  }

  /**
   * A new adapter for {@code model}, initialised as PEFT does (A kaiming-uniform, B zero); A's values
   * are a pure function of {@code seed} and the module.
   */
  public static LoraAdapter create(ModelConfig model, LoraConfig config, long seed, NDManager parent) {
    String[][] paths = targeted(model, config);
    Map<String, long[]> shapes = Transformer.parameterShapes(model);
    return build(config, paths, parent, (l, k, p, m) -> {
      long[] w = shapes.get(p + ".weight");
      int out = Math.toIntExact(w[0]);
      int in = Math.toIntExact(w[1]);
      // kaiming_uniform_(a=sqrt(5)) on [r, in]: gain sqrt(2 / 6), bound gain * sqrt(3 / in) = 1 / sqrt(in)
      double bound = 1.0 / Math.sqrt(in);
      SplittableRandom rng = new SplittableRandom(mix(mix(seed ^ 0x4C6F5241L) + GOLDEN * (l * 16L + k + 1)));
      float[] a = new float[config.r() * in];
      for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
      return new Module(p, named(m.create(a, new Shape(config.r(), in)), p, "lora_A"),
          named(m.zeros(new Shape(out, config.r()), DataType.FLOAT32), p, "lora_B"));
    });
  }

  /** Makes the module of an adapter at {@code path} (layer {@code layer}, slot {@code slot}), its factors in {@code m}. */
  @FunctionalInterface
  private interface ModuleMaker {
    Module make(int layer, int slot, String path, NDManager m);
  }

  /** The adapter of the modules {@code make} makes for {@code paths}, in a sub-manager of {@code parent} freed on failure. */
  private static LoraAdapter build(LoraConfig config, String[][] paths, NDManager parent, ModuleMaker make) {
    NDManager m = parent.newSubManager();
    try {
      Module[][] modules = new Module[paths.length][];
      for (int l = 0; l < paths.length; l++) {
        modules[l] = new Module[paths[l].length];
        for (int k = 0; k < paths[l].length; k++) {
          if (paths[l][k] != null) modules[l][k] = make.make(l, k, paths[l][k], m);
        }
      }
      return new LoraAdapter(config, m, modules);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The PEFT names of the factors of the modules at {@code paths}. */
  private static Set<String> factorKeys(String[][] paths) {
    Set<String> keys = new LinkedHashSet<>();
    for (String[] layer : paths) {
      for (String p : layer) {
        if (p != null) {
          keys.add(key(p, "lora_A"));
          keys.add(key(p, "lora_B"));
        }
      }
    }
    return keys;
  }

  /**
   * Loads a PEFT adapter folder for {@code model}: {@code adapter_config.json} and {@code
   * adapter_model.safetensors} with exactly the factors of the targeted modules, in any float dtype.
   *
   * @throws BadInputException naming the file when a file is missing or malformed, a factor is
   *     missing, unexpected or has the wrong shape
   */
  public static LoraAdapter load(Path adapterDir, ModelConfig model, NDManager parent) {
    LoraConfig config = LoraConfig.load(adapterDir);
    String[][] paths;
    try {
      paths = targeted(model, config);
    } catch (BadInputException e) {
      throw new BadInputException(adapterDir.resolve(LoraConfig.CONFIG_FILE), e.getMessage(), e);
    }
    Path file = adapterDir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(file)) {
      throw new BadInputException(file, "file does not exist (the adapter's weights; a .bin adapter is not read)");
    }
    try (SafeTensors tensors = SafeTensors.openFile(file)) {
      Set<String> expected = factorKeys(paths);
      for (String name : tensors.names()) {
        if (!expected.contains(name)) {
          throw new BadInputException(file, "unexpected tensor '" + name + "' for target_modules "
              + (config.targetRegex() != null ? config.targetRegex() : config.targetModules()) + " of " + model.architecture());
        }
      }
      return build(config, paths, parent, (l, k, p, m) -> {
        long[] w = weightShape(model, p);
        return new Module(p, factor(tensors, file, key(p, "lora_A"), new long[] {config.r(), w[1]}, m),
            factor(tensors, file, key(p, "lora_B"), new long[] {w[0], config.r()}, m));
      });
    }
  }

  /**
   * An adapter for {@code model} with the factors {@code values} (PEFT names, row-major fp32, as {@link
   * #tensors} gives them): how another process rebuilds an adapter shipped to it, bit for bit.
   *
   * @throws BadInputException when a factor is missing, unexpected or of the wrong size
   */
  public static LoraAdapter of(ModelConfig model, LoraConfig config, Map<String, float[]> values, NDManager parent) {
    String[][] paths = targeted(model, config);
    Set<String> expected = factorKeys(paths);
    for (String name : values.keySet()) {
      if (!expected.contains(name)) throw new BadInputException("unexpected LoRA tensor '" + name + "'");
    }
    return build(config, paths, parent, (l, k, p, m) -> {
      long[] w = weightShape(model, p);
      return new Module(p, given(values, key(p, "lora_A"), new long[] {config.r(), w[1]}, m),
          given(values, key(p, "lora_B"), new long[] {w[0], config.r()}, m));
    });
  }

  private static NDArray given(Map<String, float[]> values, String name, long[] shape, NDManager m) {
    float[] v = values.get(name);
    if (v == null) throw new BadInputException("missing LoRA tensor '" + name + "'");
    if (v.length != shape[0] * shape[1]) {
      throw new BadInputException("LoRA tensor '" + name + "' has " + v.length + " values but r and the base model imply "
          + Arrays.toString(shape));
    }
    return named(m.create(v, new Shape(shape)), name, null);
  }

  private static NDArray factor(SafeTensors tensors, Path file, String name, long[] shape, NDManager m) {
    if (!tensors.contains(name)) throw new BadInputException(file, "missing tensor '" + name + "'");
    long[] actual = tensors.info(name).shape();
    if (!Arrays.equals(actual, shape)) {
      throw new BadInputException(file, "tensor '" + name + "' has shape " + Arrays.toString(actual) + " but r and the"
          + " base model imply " + Arrays.toString(shape));
    }
    return named(m.create(tensors.floats(name), new Shape(shape)), name, null);
  }

  private static NDArray named(NDArray array, String pathOrKey, String factor) {
    array.setName(factor == null ? pathOrKey : key(pathOrKey, factor));
    return array;
  }

  /**
   * Writes the adapter folder: {@code adapter_config.json} (with {@code base_model_name_or_path} =
   * {@code baseModel} when given) and {@code adapter_model.safetensors} (F32, {@code {"format": "pt"}}).
   */
  public void save(Path adapterDir, String baseModel) {
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    tensors(values, shapes);
    (baseModel == null ? config : config.withBaseModel(baseModel)).save(adapterDir);
    SafeTensors.write(adapterDir.resolve(WEIGHTS_FILE), values, shapes, Map.of("format", "pt"), "F32");
  }

  /** The factors as host arrays and shapes by PEFT name (what {@link #save} writes). */
  public void tensors(Map<String, float[]> values, Map<String, long[]> shapes) {
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      values.put(e.getKey(), e.getValue().toFloatArray());
      shapes.put(e.getKey(), e.getValue().getShape().getShape());
    }
  }

  /** The settings. */
  public LoraConfig config() {
    return config;
  }

  /** The trainable tensors by PEFT name, A before B, module by module in model order. */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** Number of adapter values. */
  public long parameterCount() {
    long n = 0;
    for (NDArray p : parameters.values()) n += p.size();
    return n;
  }

  /** Paths of the adapted modules, in model order. */
  public List<String> modulePaths() {
    List<String> out = new ArrayList<>();
    for (Module[] layer : modules) {
      for (Module m : layer) if (m != null) out.add(m.path);
    }
    return out;
  }

  /** Whether this adapter was made for a model with {@code config}'s layer count and shapes. */
  boolean fits(ModelConfig model) {
    if (model.numLayers() != numLayers) return false;
    for (Module[] layer : modules) {
      for (Module m : layer) {
        if (m == null) continue;
        long[] w = weightShape(model, m.path);
        if (w == null || m.a.getShape().get(1) != w[1] || m.b.getShape().get(0) != w[0]) return false;
      }
    }
    return true;
  }

  /**
   * The adapter's term for input {@code x [..., in]} of module {@code module} of layer {@code layer}:
   * {@code scale * dropout(x) A^T B^T}, or null when the module has no adapter.
   */
  NDArray delta(int layer, int module, NDArray x) {
    Module m = modules[layer][module];
    if (m == null) return null;
    NDArray input = dropoutRowSeeds == null || config.loraDropout() == 0 ? x : dropped(x, layer, module);
    NDArray low = Linear.linear(input, m.a).singletonOrThrow();
    return Linear.linear(low, m.b).singletonOrThrow().mul(Scalars.of(x, config.scale()));
  }

  /** Factor A {@code [r, in]} of module {@code module} of layer {@code layer}, or null when it has no adapter. */
  NDArray factorA(int layer, int module) {
    Module m = modules[layer][module];
    return m == null ? null : m.a;
  }

  /** Factor B {@code [out, r]} of module {@code module} of layer {@code layer}, or null when it has no adapter. */
  NDArray factorB(int layer, int module) {
    Module m = modules[layer][module];
    return m == null ? null : m.b;
  }

  /** Number of decoder layers the adapter was made for. */
  int layerCount() {
    return numLayers;
  }

  /** Whether a {@link #dropout} scope with a non-zero probability is open (forwards then drop inputs). */
  boolean dropoutActive() {
    return dropoutRowSeeds != null && config.loraDropout() != 0;
  }

  /** Whether {@link #close} was called. */
  boolean isClosed() {
    return closed;
  }

  /**
   * Inverted dropout of {@code x} for module {@code module} of layer {@code layer}: each element times
   * 1 / (1 - p) where {@link #dropoutMask} keeps it (probability 1 - p), else 0. As two products, by the
   * boolean mask and then by the scalar, so that backward keeps one byte an element for the mask (what
   * PyTorch's dropout keeps), not a float; a product by 1 or 0 is exact, so values and gradients are
   * the bits of one product by a float mask.
   */
  NDArray dropped(NDArray x, int layer, int module) {
    NDArray mask = dropoutMask(x, layer, module);
    NDArray kept = x.mul(mask);
    mask.close(); // the graph keeps the mask for backward by reference
    NDArray out = kept.mul(Scalars.of(x, (float) (1 / (1 - config.loraDropout()))));
    kept.close();
    return out;
  }

  /**
   * The dropout mask for {@code x [batch, count, in]}: false (dropped) with probability p, element e of
   * row b drawn from (row seed b, layer, module, e) by SplitMix64.
   */
  private synchronized NDArray dropoutMask(NDArray x, int layer, int module) {
    Shape shape = x.getShape();
    int batch = Math.toIntExact(shape.get(0));
    if (batch != dropoutRowSeeds.length) {
      throw new IllegalStateException("lora dropout: " + dropoutRowSeeds.length + " row seeds for a batch of " + batch);
    }
    int perRow = Math.toIntExact(shape.size() / batch);
    double p = config.loraDropout();
    long threshold = (long) Math.ceil(p * (1L << 53)); // drop when the 53-bit uniform is below p
    int bytes = Math.multiplyExact(batch, perRow);
    // Written into one reused direct buffer, then copied into PyTorch memory: an array made from a
    // Java array gets a direct buffer of its own that only the garbage collector frees, and a training
    // step makes 7 masks per layer in the forward and again in a checkpointed backward (3 GB of them
    // as floats on the Qwen2.5-0.5B shape), which piled up as resident memory until a collection.
    if (maskBuffer == null || maskBuffer.capacity() < bytes) {
      maskBuffer = ByteBuffer.allocateDirect(bytes);
    }
    ByteBuffer mask = maskBuffer.slice(0, bytes);
    for (int b = 0; b < batch; b++) {
      long stream = mix(mix(dropoutRowSeeds[b] + GOLDEN * (layer + 1)) + GOLDEN * (module + 1));
      for (int e = 0; e < perRow; e++) {
        long u = mix(stream + GOLDEN * (e + 1L)) >>> 11;
        mask.put(b * perRow + e, (byte) (u < threshold ? 0 : 1));
      }
    }
    // create() wraps a direct buffer without copying; torchOwned copies it and closes the wrapper
    return Scalars.torchOwned(x.getManager().create(mask, shape, DataType.BOOLEAN));
  }

  /**
   * Turns dropout on for the forward passes inside the returned scope: row b of each batch uses
   * {@code rowSeeds[b]}. Closing the scope turns it off again. A no-op scope when {@code model} has no
   * adapter or the adapter's dropout is 0.
   */
  public static DropoutScope dropout(Transformer model, long[] rowSeeds) {
    LoraAdapter a = model.adapter();
    if (a == null || a.config.loraDropout() == 0) return () -> {};
    a.dropoutRowSeeds = rowSeeds.clone();
    return () -> a.dropoutRowSeeds = null;
  }

  /** A dropout scope; closing it cannot fail. */
  @FunctionalInterface
  public interface DropoutScope extends AutoCloseable {
    @Override
    void close();
  }

  /** A copy of the factors in a new sub-manager of {@code parent}. */
  LoraAdapter copy(NDManager parent) {
    String[][] paths = new String[modules.length][];
    for (int l = 0; l < modules.length; l++) {
      paths[l] = new String[modules[l].length];
      for (int k = 0; k < modules[l].length; k++) paths[l][k] = modules[l][k] == null ? null : modules[l][k].path;
    }
    return build(config, paths, parent, (l, k, p, m) -> {
      NDArray a = modules[l][k].a.duplicate();
      NDArray b = modules[l][k].b.duplicate();
      a.attach(m);
      b.attach(m);
      return new Module(p, named(a, p, "lora_A"), named(b, p, "lora_B"));
    });
  }

  /** Overwrites the factors in place with those of {@code source} (same modules and rank). */
  void copyFrom(LoraAdapter source) {
    if (!parameters.keySet().equals(source.parameters.keySet()) || config.r() != source.config.r()) {
      throw new IllegalArgumentException("adapters differ in modules or rank: cannot copy between them");
    }
    NDIndex all = new NDIndex("...");
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) e.getValue().set(all, source.parameters.get(e.getKey()));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Frees the factors. */
  @Override
  public void close() {
    closed = true;
    manager.close();
  }
}
