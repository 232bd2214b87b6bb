package dro4j.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of fields from a Hugging Face JSON config, each failure a {@link BadInputException}
 * naming the file and the field. Absent and {@code null} fields read as {@code null}.
 */
final class Json {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Path file;

  Json(Path file) {
    this.file = file;
  }

  /** Parses a file that must hold one JSON object. */
  JsonNode read() {
    try {
      JsonNode root = MAPPER.readTree(Files.readString(file));
      if (root == null || !root.isObject()) {
        throw new BadInputException(file, "malformed JSON: expected an object");
      }
      return root;
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file does not exist", e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  BadInputException error(String problem) {
    return new BadInputException(file, problem);
  }

  static boolean isAbsent(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull();
  }

  Integer integer(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.canConvertToExactIntegral() || !v.canConvertToInt()) {
      throw error("field \"" + field + "\" must be an integer, got " + v);
    }
    return v.asInt();
  }

  int requiredInt(JsonNode node, String field) {
    Integer v = integer(node, field);
    if (v == null) {
      throw error("missing required field \"" + field + "\"");
    }
    return v;
  }

  Double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw error("field \"" + field + "\" must be a number, got " + v);
    }
    return v.asDouble();
  }

  Boolean bool(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isBoolean()) {
      throw error("field \"" + field + "\" must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  String string(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw error("field \"" + field + "\" must be a string, got " + v);
    }
    return v.asText();
  }

  /** A token id field that may be an integer, a list of integers, or null/absent (empty list). */
  List<Integer> intOrList(JsonNode node, String field) {
    JsonNode v = node.get(field);
    List<Integer> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isArray()) {
      for (JsonNode e : v) {
        if (!e.canConvertToExactIntegral() || !e.canConvertToInt()) {
          throw error("field \"" + field + "\" must be an integer or a list of integers, got " + v);
        }
        out.add(e.asInt());
      }
      return out;
    }
    out.add(integer(node, field));
    return out;
  }
}
