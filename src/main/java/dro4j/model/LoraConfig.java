package dro4j.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The settings of a LoRA adapter (Hu et al. 2021, arXiv 2106.09685) as PEFT's {@code LoraConfig}
 * stores them in {@code adapter_config.json}: each targeted linear layer {@code y = x W^T} becomes
 * {@code y = x W^T + scale * dropout(x) A^T B^T} with {@code A [r, in]}, {@code B [out, r]} and
 * {@code scale = lora_alpha / r} ({@code lora_alpha / sqrt(r)} with {@code use_rslora}).
 *
 * @param r the rank, >= 1
 * @param loraAlpha the numerator of the scale, > 0
 * @param loraDropout dropout probability on the adapter's input during training, in [0, 1)
 * @param targetModules module names matched as PEFT matches a list: a module path equal to a name or
 *     ending in {@code "." + name} (e.g. {@code q_proj}); the single name {@code all-linear} targets
 *     every linear layer of attention and MLP
 * @param targetRegex PEFT's other form of {@code target_modules}, a string matched against the whole
 *     module path; null when {@code targetModules} is used
 * @param useRslora rank-stabilised scale {@code lora_alpha / sqrt(r)} (Kalajdzievski 2023)
 * @param baseModelNameOrPath the base model the adapter was trained on (informational), or null
 */
public record LoraConfig(
    int r,
    double loraAlpha,
    double loraDropout,
    List<String> targetModules,
    String targetRegex,
    boolean useRslora,
    String baseModelNameOrPath) implements java.io.Serializable {

  /** The adapter's settings inside an adapter folder. */
  public static final String CONFIG_FILE = "adapter_config.json";

  /** The linear layers of one decoder block that an adapter can target, in Hugging Face naming. */
  public static final List<String> LINEAR_MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).enable(SerializationFeature.INDENT_OUTPUT);

  /** Checks the ranges. */
  public LoraConfig {
    if (r < 1) throw new BadInputException("lora_r must be >= 1, got " + r);
    if (!(loraAlpha > 0) || Double.isInfinite(loraAlpha)) {
      throw new BadInputException("lora_alpha must be a finite number > 0, got " + loraAlpha);
    }
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw new BadInputException("lora_dropout must be in [0, 1), got " + loraDropout);
    }
    if (targetRegex == null) {
      if (targetModules == null || targetModules.isEmpty()) {
        throw new BadInputException("lora_target_modules must name at least one module");
      }
      for (String m : targetModules) {
        if (m == null || m.isBlank()) throw new BadInputException("lora_target_modules has an empty name");
      }
      targetModules = List.copyOf(targetModules);
    } else {
      try {
        Pattern.compile(targetRegex);
      } catch (PatternSyntaxException e) {
        throw new BadInputException("target_modules regex '" + targetRegex + "' does not compile: " + e.getDescription());
      }
      targetModules = List.of();
    }
  }

  /** An adapter over the modules {@code targetModules} (null or empty: all linear layers). */
  public static LoraConfig of(int r, double loraAlpha, double loraDropout, List<String> targetModules) {
    return new LoraConfig(r, loraAlpha, loraDropout,
        targetModules == null || targetModules.isEmpty() ? LINEAR_MODULES : targetModules, null, false, null);
  }

  /** The factor of {@code B A}: {@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)} with rsLoRA. */
  public double scale() {
    return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
  }

  /** The same settings with {@code base_model_name_or_path} set. */
  public LoraConfig withBaseModel(String base) {
    return new LoraConfig(r, loraAlpha, loraDropout, targetModules, targetRegex, useRslora, base);
  }

  /** The same settings with another dropout probability. */
  public LoraConfig withDropout(double dropout) {
    return new LoraConfig(r, loraAlpha, dropout, targetModules, targetRegex, useRslora, baseModelNameOrPath);
  }

  /**
   * Whether the linear layer at {@code modulePath} (e.g. {@code model.layers.0.self_attn.q_proj}) gets
   * an adapter: PEFT's {@code check_target_module_exists} for a list or a regex.
   */
  public boolean targets(String modulePath) {
    if (targetRegex != null) return Pattern.matches(targetRegex, modulePath);
    for (String t : targetModules) {
      if (t.equals("all-linear")) return true; // only linear layers of the blocks are ever asked about
      if (modulePath.equals(t) || modulePath.endsWith("." + t)) return true;
    }
    return false;
  }

  /**
   * Reads {@code adapter_config.json} of an adapter folder. Settings dro4j cannot apply (another
   * {@code peft_type}, DoRA, a bias, rank or alpha patterns, per-layer selection, extra saved modules,
   * {@code fan_in_fan_out}) are refused rather than ignored, so an adapter never loads differently
   * from PEFT.
   *
   * @throws BadInputException naming the file when it is missing, malformed or unsupported
   */
  public static LoraConfig load(Path adapterDir) {
    Path file = adapterDir.resolve(CONFIG_FILE);
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file does not exist (not a PEFT adapter folder)", e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new BadInputException(file, "malformed JSON: expected an object");
    String peftType = text(file, root, "peft_type", null);
    if (!"LORA".equals(peftType)) {
      throw new BadInputException(file, "peft_type is " + (peftType == null ? "missing" : "'" + peftType + "'")
          + "; dro4j loads LORA adapters only");
    }
    String task = text(file, root, "task_type", null);
    if (task != null && !task.equals("CAUSAL_LM")) {
      throw new BadInputException(file, "task_type is '" + task + "'; dro4j loads CAUSAL_LM adapters only");
    }
    JsonNode rNode = root.get("r");
    if (rNode == null || !rNode.canConvertToExactIntegral() || rNode.asLong() < 1 || rNode.asLong() > Integer.MAX_VALUE) {
      throw new BadInputException(file, "\"r\" must be an integer >= 1, got " + rNode);
    }
    int r = rNode.asInt();
    double alpha = number(file, root, "lora_alpha", 8); // PEFT's default
    double dropout = number(file, root, "lora_dropout", 0.0);
    String bias = text(file, root, "bias", "none");
    if (!bias.equals("none")) throw new BadInputException(file, "bias '" + bias + "' is not supported (only \"none\")");
    for (String flag : List.of("use_dora", "fan_in_fan_out")) {
      JsonNode v = root.get(flag);
      if (v != null && v.asBoolean(false)) throw new BadInputException(file, flag + " is not supported");
    }
    for (String empty : List.of("rank_pattern", "alpha_pattern")) {
      JsonNode v = root.get(empty);
      if (v != null && !v.isNull() && !(v.isObject() && v.isEmpty())) {
        throw new BadInputException(file, empty + " is not supported (per-module ranks or alphas)");
      }
    }
    for (String unset : List.of("layers_to_transform", "modules_to_save", "layer_replication")) {
      JsonNode v = root.get(unset);
      if (v != null && !v.isNull() && !(v.isArray() && v.isEmpty())) {
        throw new BadInputException(file, unset + " is not supported");
      }
    }
    JsonNode targets = root.get("target_modules");
    List<String> modules = new ArrayList<>();
    String regex = null;
    if (targets == null || targets.isNull()) {
      throw new BadInputException(file, "\"target_modules\" is missing");
    } else if (targets.isTextual()) {
      if (targets.asText().equals("all-linear")) {
        modules.add("all-linear");
      } else {
        regex = targets.asText();
      }
    } else if (targets.isArray()) {
      for (JsonNode t : targets) {
        if (!t.isTextual()) throw new BadInputException(file, "\"target_modules\" must list names, found " + t);
        modules.add(t.asText());
      }
    } else {
      throw new BadInputException(file, "\"target_modules\" must be a list of names or a regex string, got " + targets);
    }
    JsonNode rs = root.get("use_rslora");
    String base = text(file, root, "base_model_name_or_path", null);
    try {
      return new LoraConfig(r, alpha, dropout, modules, regex, rs != null && rs.asBoolean(false), base);
    } catch (BadInputException e) {
      throw new BadInputException(file, e.getMessage(), e);
    }
  }

  /**
   * Writes {@code adapter_config.json} into {@code adapterDir} with the fields PEFT's {@code LoraConfig}
   * reads (every other field at PEFT's default), so {@code PeftModel.from_pretrained} loads the folder.
   */
  public void save(Path adapterDir) {
    ObjectNode o = JSON.createObjectNode();
    o.putObject("alpha_pattern");
    o.putNull("auto_mapping");
    if (baseModelNameOrPath == null) o.putNull("base_model_name_or_path");
    else o.put("base_model_name_or_path", baseModelNameOrPath);
    o.put("bias", "none");
    o.put("fan_in_fan_out", false);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    if (loraAlpha == Math.rint(loraAlpha) && Math.abs(loraAlpha) < 1e15) o.put("lora_alpha", (long) loraAlpha);
    else o.put("lora_alpha", loraAlpha);
    o.put("lora_dropout", loraDropout);
    o.putNull("modules_to_save");
    o.put("peft_type", "LORA");
    o.put("r", r);
    o.putObject("rank_pattern");
    o.putNull("revision");
    if (targetRegex != null) {
      o.put("target_modules", targetRegex);
    } else if (targetModules.equals(List.of("all-linear"))) {
      o.put("target_modules", "all-linear");
    } else {
      targetModules.forEach(o.putArray("target_modules")::add);
    }
    o.put("task_type", "CAUSAL_LM");
    o.put("use_dora", false);
    o.put("use_rslora", useRslora);
    try {
      Files.createDirectories(adapterDir);
      Files.write(adapterDir.resolve(CONFIG_FILE), (JSON.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("writing " + adapterDir.resolve(CONFIG_FILE), e);
    }
  }

  /** Whether {@code dir} is a PEFT adapter folder (it has {@code adapter_config.json}). */
  public static boolean isAdapterFolder(Path dir) {
    return dir != null && Files.isRegularFile(dir.resolve(CONFIG_FILE));
  }

  private static String text(Path file, JsonNode root, String key, String fallback) {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) return fallback;
    if (!v.isTextual()) throw new BadInputException(file, "\"" + key + "\" must be a string, got " + v);
    return v.asText();
  }

  private static double number(Path file, JsonNode root, String key, double fallback) {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) return fallback;
    if (!v.isNumber()) throw new BadInputException(file, "\"" + key + "\" must be a number, got " + v);
    return v.asDouble();
  }
}
