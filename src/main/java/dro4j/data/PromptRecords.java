package dro4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The formats the {@code jsonl} task reads, one JSON object per example (JSON Lines or a JSON array):
 *
 * <ul>
 *   <li>TRL's standard format: {@code {"prompt": "text", "solution": ...}}. The reference is the first
 *       of {@code reference}, {@code solution}, {@code answer}, {@code completion} (TRL's
 *       prompt-completion format) that is present (a number or a list of assistant messages is turned
 *       into text); none means an empty reference.
 *   <li>TRL's conversational format: {@code {"prompt": [{"role": "user", "content": "..."}, ...]}}. The
 *       messages are kept in the metadata under {@value #PROMPT_MESSAGES} and the prompt is rendered from
 *       them with the model's chat template (a base model gets their contents joined by blank lines); the
 *       field {@code prompt} holds the last user message, for templates and logs.
 *   <li>dro4j's format: {@code {"id", "fields", "reference", "metadata"}} ({@link ExampleFiles}).
 * </ul>
 *
 * <p>Every other column goes into the example's metadata, which rewards receive (as TRL passes the
 * data set's extra columns to reward functions). {@code id} is optional in every format: without it,
 * the id is {@code <file name without extension>:<line>}.
 */
public final class PromptRecords {
  /** The metadata key holding a conversational prompt's messages (a list of {role, content, ...} maps). */
  public static final String PROMPT_MESSAGES = "prompt_messages";

  /** The columns that can hold the reference, in the order they are looked for. */
  public static final List<String> REFERENCE_COLUMNS = List.of("reference", "solution", "answer", "completion");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PromptRecords() {}

  /** The examples of {@code file}, throwing at the first malformed record. */
  public static List<Example> read(Path file) {
    String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    return JsonRecords.read(file, record -> parse(record, stem), OnInvalid.THROW).items();
  }

  /** One record in any of the formats above; {@code stem} prefixes a derived id. */
  public static Example parse(JsonRecord record, String stem) {
    JsonNode json = record.json();
    String id = json.hasNonNull("id") && json.get("id").isValueNode() ? json.get("id").asText()
        : stem + ":" + record.line();
    if (json.has("fields")) {
      return ExampleFiles.parse(json.has("id") ? record : withId(record, id));
    }
    JsonNode prompt = json.get("prompt");
    if (prompt == null || prompt.isNull()) {
      boolean gsm8k = json.has("question") && json.path("answer").asText("").contains("####");
      throw record.invalid("expected TRL's {\"prompt\": ..., \"solution\"|\"answer\"|\"reference\": ...} or dro4j's"
          + " {\"id\", \"fields\", \"reference\"}; found the keys " + keys(json)
          + (gsm8k ? " (a GSM8K record: read it with --task gsm8k)" : ""));
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    String promptText;
    if (prompt.isTextual()) {
      promptText = prompt.asText();
    } else if (prompt.isArray()) {
      promptText = lastUserContent(record, prompt);
      metadata.put(PROMPT_MESSAGES, MAPPER.convertValue(prompt, List.class));
    } else {
      throw record.invalid("field 'prompt' must be a text or a list of chat messages, found " + JsonRecord.describe(prompt));
    }
    String referenceColumn = null;
    for (String c : REFERENCE_COLUMNS) {
      if (json.hasNonNull(c)) {
        referenceColumn = c;
        break;
      }
    }
    String reference = referenceColumn == null ? "" : text(json.get(referenceColumn));
    for (Map.Entry<String, JsonNode> e : json.properties()) {
      String k = e.getKey();
      if (!k.equals("id") && !k.equals("prompt") && !k.equals(referenceColumn)) {
        metadata.put(k, MAPPER.convertValue(e.getValue(), Object.class));
      }
    }
    return new Example(id, Map.of("prompt", promptText), reference, metadata);
  }

  private static JsonRecord withId(JsonRecord record, String id) {
    ObjectNode copy = ((ObjectNode) record.json()).deepCopy();
    copy.put("id", id);
    return new JsonRecord(record.file(), record.line(), record.index(), copy);
  }

  private static String lastUserContent(JsonRecord record, JsonNode messages) {
    String last = null;
    for (JsonNode m : messages) {
      if (!m.isObject() || !m.path("role").isTextual()) {
        throw record.invalid("field 'prompt': each chat message must be an object with a 'role', found "
            + JsonRecord.describe(m));
      }
      if (m.path("role").asText().equals("user") && m.path("content").isTextual()) last = m.get("content").asText();
    }
    if (last == null) throw record.invalid("field 'prompt': the conversation has no user message with a text 'content'");
    return last;
  }

  /** A reference value as text: a string as is, a list of messages as their contents, anything else as JSON. */
  private static String text(JsonNode v) {
    if (v.isTextual()) return v.asText();
    if (v.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode m : v) sb.append(m.isObject() ? m.path("content").asText("") : m.asText());
      return sb.toString();
    }
    return v.isValueNode() ? v.asText() : v.toString();
  }

  private static List<String> keys(JsonNode json) {
    List<String> out = new ArrayList<>();
    json.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
