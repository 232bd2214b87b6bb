package dro4j.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the small JSON files of a model folder, turning every failure into a {@link BadInputException}. */
final class JsonFiles {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonFiles() {}

  /** The UTF-8 text of {@code file}; a missing or unreadable file is bad input. */
  static String readText(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file not found");
    } catch (CharacterCodingException e) {
      throw new BadInputException(file, "is not UTF-8 text", e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot be read: " + e.getMessage(), e);
    }
  }

  /** Parses {@code text} (the content of {@code file}) as JSON. */
  static JsonNode parse(Path file, String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new BadInputException(file, "is empty, expected JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Reads and parses a JSON file. */
  static JsonNode read(Path file) {
    return parse(file, readText(file));
  }

  /**
   * A JSON value as plain Java objects: {@link LinkedHashMap} (key order kept), {@link ArrayList},
   * String, Integer/Long/BigInteger, Double, Boolean or null; this is what templates expect to see.
   */
  static Object toPlain(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        map.put(field.getKey(), toPlain(field.getValue()));
      }
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>(node.size());
      for (JsonNode element : node) {
        list.add(toPlain(element));
      }
      return list;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    throw new IllegalArgumentException("unexpected JSON node " + node.getNodeType());
  }
}
