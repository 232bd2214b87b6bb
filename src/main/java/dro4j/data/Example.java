package dro4j.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One task example, the unit every loader produces and every later stage (prompting, filtering,
 * rewards, evaluation) consumes.
 *
 * <p>Prompt fields are named text slots that a prompt template fills in, such as {@code question}
 * or {@code context}; their names are documented by each loader. The reference is the gold outcome
 * as text (the tokens R3 scores after each sampled reasoning). Metadata carries everything else a
 * metric may need (a gold program, a numeric answer, the source line), as plain JSON-friendly values:
 * strings, numbers, booleans, lists and maps.
 *
 * <p>Maps keep their insertion order, so writing an example back out is deterministic.
 *
 * @param id unique id within its data set
 * @param fields prompt fields by name
 * @param reference the reference answer text
 * @param metadata extra values by name
 */
public record Example(
    String id, Map<String, String> fields, String reference, Map<String, Object> metadata) implements java.io.Serializable {

  /** Validates and copies the maps so the example is immutable. */
  public Example {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reference, "reference");
    fields = immutableCopy(fields, "fields");
    metadata = immutableCopy(metadata, "metadata");
    for (var e : fields.entrySet()) {
      if (e.getValue() == null) {
        throw new IllegalArgumentException("field '" + e.getKey() + "' of example " + id + " is null");
      }
    }
  }

  /** The prompt field {@code name}; throws when the example has no such field. */
  public String field(String name) {
    String value = fields.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "example " + id + " has no field '" + name + "' (it has " + fields.keySet() + ")");
    }
    return value;
  }

  private static <V> Map<String, V> immutableCopy(Map<String, V> map, String what) {
    Objects.requireNonNull(map, what);
    // LinkedHashMap rather than Map.copyOf: keeps order and allows null metadata values.
    return Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}
