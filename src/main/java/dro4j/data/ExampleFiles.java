package dro4j.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes {@link Example}s in dro4j's own format, one JSON object per example:
 *
 * <pre>{"id": "...", "fields": {"question": "..."}, "reference": "...", "metadata": {...}}</pre>
 *
 * <p>{@code id}, {@code fields} (an object of strings) and {@code reference} are required;
 * {@code metadata} is optional. Files may be JSON Lines or one JSON array (see {@link JsonRecords}).
 */
public final class ExampleFiles {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, Object>> METADATA = new TypeReference<>() {};

  private ExampleFiles() {}

  /** Reads every example of {@code file}, throwing at the first malformed one. */
  public static List<Example> read(Path file) {
    return read(file, OnInvalid.THROW).items();
  }

  /** Reads the examples of {@code file}, applying {@code onInvalid} to malformed records. */
  public static Loaded<Example> read(Path file, OnInvalid onInvalid) {
    return JsonRecords.read(file, ExampleFiles::parse, onInvalid);
  }

  /** Turns one record in dro4j's example format into an {@link Example}. */
  public static Example parse(JsonRecord record) {
    String id = record.text("id");
    record.required("fields"); // textMap reads an absent map as empty; here it is required
    Map<String, String> fields = record.textMap("fields");
    String reference = record.text("reference");
    Map<String, Object> metadata = new LinkedHashMap<>();
    var meta = record.optional("metadata").filter(n -> !n.isNull());
    if (meta.isPresent()) {
      if (!meta.get().isObject()) {
        throw record.invalid("field 'metadata' must be an object, found " + JsonRecord.describe(meta.get()));
      }
      metadata = MAPPER.convertValue(meta.get(), METADATA);
    }
    return new Example(id, fields, reference, metadata);
  }

  /** The JSON form of one example. */
  public static ObjectNode toJson(Example example) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("id", example.id());
    ObjectNode fields = node.putObject("fields");
    example.fields().forEach(fields::put);
    node.put("reference", example.reference());
    node.set("metadata", MAPPER.valueToTree(example.metadata()));
    return node;
  }

  /** Writes {@code examples} to {@code file} as JSON Lines (UTF-8, one example per line). */
  public static void writeJsonl(Path file, List<Example> examples) {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Example example : examples) {
        JsonNode json = toJson(example);
        out.write(MAPPER.writeValueAsString(json));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new BadInputException(file, "cannot write: " + e.getMessage(), e);
    }
  }
}
