package dro4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One JSON object read from a data file, with where it came from, and typed accessors that throw
 * {@link InvalidRecordException} with a precise problem ("missing required field 'qa.program'",
 * "field 'Answer' must be a number, found string") when the record does not have the expected shape.
 *
 * <p>Field names may be dotted paths into nested objects: {@code "qa.question"}.
 *
 * @param file the file the record was read from
 * @param line the 1-based line on which the record starts
 * @param index the 0-based position of the record in the file
 * @param json the record itself (always a JSON object)
 */
public record JsonRecord(Path file, int line, int index, JsonNode json) {

  /** The value at {@code path}, or empty when the field (or an object on the way) is absent. */
  public Optional<JsonNode> optional(String path) {
    JsonNode node = json;
    for (String part : path.split("\\.")) {
      if (!node.isObject() || !node.has(part)) {
        return Optional.empty();
      }
      node = node.get(part);
    }
    return Optional.of(node);
  }

  /** The value at {@code path}; JSON null counts as missing. */
  public JsonNode required(String path) {
    return optional(path)
        .filter(node -> !node.isNull())
        .orElseThrow(() -> new InvalidRecordException("missing required field '" + path + "'"));
  }

  /** A required string field. */
  public String text(String path) {
    return asText(required(path), path);
  }

  /** An optional string field; empty when absent or null, an error when of another type. */
  public Optional<String> optionalText(String path) {
    return optional(path).filter(node -> !node.isNull()).map(node -> asText(node, path));
  }

  /** A required number field. */
  public double number(String path) {
    JsonNode node = required(path);
    if (!node.isNumber()) {
      throw wrongType(path, "a number", node);
    }
    return node.doubleValue();
  }

  /** A required array of strings. */
  public List<String> textList(String path) {
    return textList(required(path), path);
  }

  /** A required array of arrays of strings (a table, one inner array per row). */
  public List<List<String>> textTable(String path) {
    JsonNode node = required(path);
    if (!node.isArray()) {
      throw wrongType(path, "an array of rows", node);
    }
    List<List<String>> rows = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      rows.add(textList(node.get(i), path + "[" + i + "]"));
    }
    return rows;
  }

  /** An optional object whose values are all strings; empty map when absent. */
  public Map<String, String> textMap(String path) {
    Optional<JsonNode> found = optional(path).filter(node -> !node.isNull());
    Map<String, String> map = new LinkedHashMap<>();
    if (found.isEmpty()) {
      return map;
    }
    JsonNode node = found.get();
    if (!node.isObject()) {
      throw wrongType(path, "an object", node);
    }
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      String key = path + "." + entry.getKey();
      map.put(entry.getKey(), asText(entry.getValue(), key));
    }
    return map;
  }

  /** An {@link InvalidRecordException} about this record, for checks a loader makes itself. */
  public InvalidRecordException invalid(String problem) {
    return new InvalidRecordException(problem);
  }

  private static List<String> textList(JsonNode node, String path) {
    if (!node.isArray()) {
      throw wrongType(path, "an array of strings", node);
    }
    List<String> list = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      list.add(asText(node.get(i), path + "[" + i + "]"));
    }
    return list;
  }

  private static String asText(JsonNode node, String path) {
    if (!node.isTextual()) {
      throw wrongType(path, "a string", node);
    }
    return node.textValue();
  }

  private static InvalidRecordException wrongType(String path, String expected, JsonNode found) {
    return new InvalidRecordException(
        "field '" + path + "' must be " + expected + ", found " + describe(found));
  }

  /** A short name for a JSON value's type, for error messages. */
  static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL, MISSING -> "null";
      case BINARY -> "binary data";
    };
  }
}
