package dro4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parts of a Hugging Face {@code tokenizer_config.json} that dro4j uses.
 *
 * @param file the file these settings were read from (it may not exist: see {@link #read})
 * @param bosToken {@code bos_token}, or null
 * @param eosToken {@code eos_token}, or null
 * @param padToken {@code pad_token}, or null
 * @param unkToken {@code unk_token}, or null
 * @param addBosToken {@code add_bos_token}, or null when the file does not set it
 * @param addEosToken {@code add_eos_token}, or null when the file does not set it
 * @param cleanUpTokenizationSpaces {@code clean_up_tokenization_spaces} (false when absent, as in
 *     transformers 5)
 * @param chatTemplates the chat templates by name, in file order; a single {@code chat_template}
 *     string is named {@code "default"}; empty when the file has none
 */
public record TokenizerConfig(
    Path file,
    String bosToken,
    String eosToken,
    String padToken,
    String unkToken,
    Boolean addBosToken,
    Boolean addEosToken,
    boolean cleanUpTokenizationSpaces,
    Map<String, String> chatTemplates) {

  /** The name of the chat template used when no name is asked for. */
  public static final String DEFAULT_TEMPLATE = "default";

  /** Copies the template map so the record stays immutable. */
  public TokenizerConfig {
    chatTemplates = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
  }

  /**
   * Reads {@code file}. A missing file gives a config with no special tokens and no chat template
   * (transformers also loads a tokenizer without one); malformed content is a {@link
   * BadInputException} naming the file and the field.
   */
  public static TokenizerConfig read(Path file) {
    if (!Files.exists(file)) {
      return new TokenizerConfig(file, null, null, null, null, null, null, false, Map.of());
    }
    JsonNode root = JsonFiles.read(file);
    if (!root.isObject()) {
      throw new BadInputException(file, "must hold a JSON object, found " + root.getNodeType());
    }
    return new TokenizerConfig(
        file,
        specialToken(file, root, "bos_token"),
        specialToken(file, root, "eos_token"),
        specialToken(file, root, "pad_token"),
        specialToken(file, root, "unk_token"),
        optionalBoolean(file, root, "add_bos_token"),
        optionalBoolean(file, root, "add_eos_token"),
        Boolean.TRUE.equals(optionalBoolean(file, root, "clean_up_tokenization_spaces")),
        chatTemplates(file, root.get("chat_template")));
  }

  /** The special tokens that are set, by their template variable name ({@code bos_token}, ...). */
  public Map<String, String> specialTokenVariables() {
    Map<String, String> tokens = new LinkedHashMap<>();
    putIfSet(tokens, "bos_token", bosToken);
    putIfSet(tokens, "eos_token", eosToken);
    putIfSet(tokens, "pad_token", padToken);
    putIfSet(tokens, "unk_token", unkToken);
    return tokens;
  }

  private static void putIfSet(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  // A special token is written either as a plain string or as a serialized AddedToken object.
  private static String specialToken(Path file, JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return node.get("content").textValue();
    }
    throw new BadInputException(
        file, field + " must be a string, null or {\"content\": ...}, found " + node);
  }

  private static Boolean optionalBoolean(Path file, JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isBoolean()) {
      throw new BadInputException(file, field + " must be true or false, found " + node);
    }
    return node.booleanValue();
  }

  private static Map<String, String> chatTemplates(Path file, JsonNode node) {
    Map<String, String> templates = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return templates;
    }
    if (node.isTextual()) {
      templates.put(DEFAULT_TEMPLATE, node.textValue());
      return templates;
    }
    if (node.isArray()) {
      for (JsonNode entry : node) {
        if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
          throw new BadInputException(
              file,
              "chat_template list entries must be {\"name\": string, \"template\": string}, found "
                  + entry);
        }
        templates.put(entry.get("name").textValue(), entry.get("template").textValue());
      }
      return templates;
    }
    throw new BadInputException(
        file, "chat_template must be a string or a list of {\"name\", \"template\"}, found " + node.getNodeType());
  }
}
