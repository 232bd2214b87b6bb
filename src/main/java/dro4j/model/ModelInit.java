package dro4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Creates a fresh Hugging Face model folder from a {@code config.json} and a tokenizer folder, with the
 * initialisation transformers' {@code LlamaForCausalLM} gives ({@code _init_weights}): every linear and
 * embedding weight drawn from normal(0, {@code initializer_range}), the embedding row of {@code
 * pad_token_id} (when set) zero, biases 0 and RMSNorm weights 1; a tied model has no {@code
 * lm_head.weight}. The draw is seeded: tensors are filled in name order from one {@code
 * java.util.Random(seed)} stream, so the same seed gives the same bytes on every JVM (not the same
 * numbers as PyTorch's generator).
 *
 * <p>The folder holds {@code config.json} (the given one with {@code torch_dtype} float32 and {@code
 * vocab_size} checked against the tokenizer), {@code model.safetensors}, {@code generation_config.json}
 * (bos/eos from the config) and the tokenizer files, and loads in dro4j and transformers.
 */
public final class ModelInit {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final List<String> TOKENIZER_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja");

  private ModelInit() {}

  /**
   * Writes the new folder {@code out} (which must not exist or be empty).
   *
   * @throws BadInputException for a bad config, a tokenizer larger than {@code vocab_size}, or an {@code
   *     out} folder with files in it
   */
  public static Path create(Path configJson, Path tokenizerDir, long seed, Path out) {
    ModelConfig config = ModelConfig.load(configJson);
    JsonNode rawNode;
    try {
      rawNode = JSON.readTree(Files.readString(configJson, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new BadInputException(configJson, "cannot read: " + e.getMessage(), e);
    }
    ObjectNode raw = (ObjectNode) rawNode;
    double std = raw.path("initializer_range").asDouble(0.02);
    Integer pad = raw.path("pad_token_id").canConvertToInt() ? raw.path("pad_token_id").intValue() : null;
    try (Tokenizer tokenizer = Tokenizer.load(tokenizerDir)) {
      if (tokenizer.vocabSize() > config.vocabSize()) {
        throw new BadInputException(configJson, "vocab_size " + config.vocabSize() + " is smaller than the tokenizer's "
            + tokenizer.vocabSize() + " ids (" + tokenizerDir + ")");
      }
    }
    try {
      if (Files.isDirectory(out)) {
        try (var entries = Files.list(out)) {
          if (entries.findAny().isPresent()) throw new BadInputException(out, "already exists and is not empty");
        }
      }
      Files.createDirectories(out);
      Map<String, long[]> shapes = Transformer.parameterShapes(config);
      Map<String, float[]> weights = weights(shapes, seed, std, pad);
      SafeTensors.write(out.resolve(SafeTensors.SINGLE_FILE), weights, shapes, Map.of("format", "pt"));
      raw.put("torch_dtype", "float32");
      raw.put("initializer_range", std);
      Files.writeString(out.resolve("config.json"), JSON.writeValueAsString(raw) + "\n", StandardCharsets.UTF_8);
      ObjectNode gen = JSON.createObjectNode();
      if (config.bosTokenId() != null) gen.put("bos_token_id", config.bosTokenId());
      if (config.eosTokenIds().size() == 1) {
        gen.put("eos_token_id", config.eosTokenIds().get(0));
      } else if (!config.eosTokenIds().isEmpty()) {
        config.eosTokenIds().forEach(gen.putArray("eos_token_id")::add);
      }
      if (pad != null) gen.put("pad_token_id", pad);
      gen.put("max_length", config.maxPositionEmbeddings());
      Files.writeString(out.resolve(GenerationConfig.FILE), JSON.writeValueAsString(gen) + "\n", StandardCharsets.UTF_8);
      for (String name : TOKENIZER_FILES) {
        Path from = tokenizerDir.resolve(name);
        if (Files.isRegularFile(from)) Files.copy(from, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the model folder " + out, e);
    }
  }

  /** The seeded initial values of every parameter (see the class comment). */
  public static Map<String, float[]> weights(Map<String, long[]> shapes, long seed, double std, Integer padTokenId) {
    Random rng = new Random(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : new TreeMap<>(shapes).entrySet()) {
      String name = e.getKey();
      long size = 1;
      for (long d : e.getValue()) size *= d;
      float[] data = new float[Math.toIntExact(size)];
      if (name.endsWith("norm.weight")) {
        java.util.Arrays.fill(data, 1f);
      } else if (!name.endsWith(".bias")) {
        for (int i = 0; i < data.length; i++) data[i] = (float) (rng.nextGaussian() * std);
        if (name.equals("model.embed_tokens.weight") && padTokenId != null) {
          int h = (int) e.getValue()[1];
          java.util.Arrays.fill(data, padTokenId * h, (padTokenId + 1) * h, 0f);
        }
      }
      out.put(name, data);
    }
    return out;
  }
}
