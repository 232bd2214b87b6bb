package dro4j.rl.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.model.LoraAdapter;
import dro4j.model.LoraConfig;
import dro4j.model.ModelConfig;
import dro4j.model.SafeTensors;
import dro4j.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Folds a LoRA adapter into its base model: a plain Hugging Face model folder whose every targeted
 * linear weight is {@code W + scale * B A} (PEFT's {@code merge_and_unload}), with the base's
 * config.json (its dtype field set to the written dtype) and tokenizer files copied. Any tool that
 * loads the base loads the result, with no adapter support needed.
 */
public final class AdapterMerge {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AdapterMerge() {}

  /**
   * Writes the merged model to {@code out}, which must not exist or be empty.
   *
   * @param base the base model folder
   * @param adapter the PEFT adapter folder
   * @param dtype the written dtype, or null for the base's (bfloat16 for a bfloat16 base, else float32:
   *     dro4j writes only those two)
   * @return the dtype written
   * @throws BadInputException naming the file when an input is missing, malformed or does not fit
   */
  public static CheckpointDtype merge(Path base, Path adapter, Path out, CheckpointDtype dtype) {
    ModelConfig config = ModelConfig.loadFromDir(base);
    LoraConfig lora = LoraConfig.load(adapter);
    Path adapterFile = adapter.resolve(LoraAdapter.WEIGHTS_FILE);
    if (!Files.isRegularFile(adapterFile)) throw new BadInputException(adapterFile, "file does not exist");
    refuseNonEmpty(out);
    Map<String, long[]> expected = Transformer.parameterShapes(config);
    Map<String, float[]> weights = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    String baseDtype = null;
    try (SafeTensors tensors = SafeTensors.open(base)) {
      for (Map.Entry<String, long[]> e : expected.entrySet()) {
        if (!tensors.contains(e.getKey())) {
          throw new BadInputException(base, "missing tensor '" + e.getKey() + "' required by " + config.architecture());
        }
        if (baseDtype == null) baseDtype = tensors.info(e.getKey()).dtype();
        weights.put(e.getKey(), tensors.floats(e.getKey()));
        shapes.put(e.getKey(), tensors.info(e.getKey()).shape());
      }
    }
    CheckpointDtype written = dtype != null ? dtype
        : "BF16".equals(baseDtype) ? CheckpointDtype.BFLOAT16 : CheckpointDtype.FLOAT32;
    // Check the adapter as a run would load it (keys, shapes), then merge module by module.
    try (ai.djl.ndarray.NDManager m = dro4j.model.TensorEngine.newManager();
        LoraAdapter checked = LoraAdapter.load(adapter, config, m)) {
      checked.modulePaths(); // loaded without error: every factor is present with its shape
    }
    double scale = lora.scale();
    try (SafeTensors factors = SafeTensors.openFile(adapterFile)) {
      for (String name : expected.keySet()) {
        if (!name.endsWith(".weight")) continue;
        String module = name.substring(0, name.length() - ".weight".length());
        String aKey = LoraAdapter.key(module, "lora_A");
        if (!factors.contains(aKey)) continue;
        long[] w = shapes.get(name);
        addProduct(weights.get(name), factors.floats(LoraAdapter.key(module, "lora_B")), factors.floats(aKey),
            Math.toIntExact(w[0]), lora.r(), Math.toIntExact(w[1]), scale);
      }
    }
    try {
      Files.createDirectories(out);
      SafeTensors.write(out.resolve(SafeTensors.SINGLE_FILE), weights, shapes, Map.of("format", "pt"),
          written.safetensorsName());
      writeConfig(base.resolve(Checkpoints.CONFIG_FILE), out.resolve(Checkpoints.CONFIG_FILE), written);
      for (String file : Checkpoints.COPIED_FILES) {
        Path from = base.resolve(file);
        if (Files.isRegularFile(from)) Files.copy(from, out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing the merged model to " + out + ": " + e.getMessage(), e);
    }
    return written;
  }

  /**
   * {@code w[out][in] += scale * (B[out][r] A[r][in])}, each sum over r in double and rounded once to
   * fp32 when added.
   */
  static void addProduct(float[] w, float[] b, float[] a, int out, int r, int in, double scale) {
    double[] row = new double[in];
    for (int o = 0; o < out; o++) {
      Arrays.fill(row, 0);
      for (int k = 0; k < r; k++) {
        double bk = b[o * r + k];
        if (bk == 0) continue;
        int base = k * in;
        for (int i = 0; i < in; i++) row[i] += bk * a[base + i];
      }
      int base = o * in;
      for (int i = 0; i < in; i++) w[base + i] = (float) (w[base + i] + scale * row[i]);
    }
  }

  private static void refuseNonEmpty(Path out) {
    if (!Files.exists(out)) return;
    if (!Files.isDirectory(out)) throw new BadInputException(out, "exists and is not a folder");
    try (Stream<Path> entries = Files.list(out)) {
      if (entries.findAny().isPresent()) {
        throw new BadInputException(out, "folder is not empty: choose a new --out folder");
      }
    } catch (IOException e) {
      throw new BadInputException(out, "cannot read: " + e.getMessage(), e);
    }
  }

  private static void writeConfig(Path from, Path to, CheckpointDtype dtype) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(from));
    } catch (IOException e) {
      throw new BadInputException(from, "cannot read: " + e.getMessage(), e);
    }
    if (!(root instanceof ObjectNode config)) throw new BadInputException(from, "malformed JSON: expected an object");
    boolean any = false;
    for (String field : new String[] {"torch_dtype", "dtype"}) {
      if (config.has(field)) {
        config.put(field, dtype.torchName());
        any = true;
      }
    }
    if (!any) config.put("torch_dtype", dtype.torchName());
    Files.write(to, (JSON.writeValueAsString(config) + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
