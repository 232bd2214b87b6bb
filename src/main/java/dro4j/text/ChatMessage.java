package dro4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation, as chat templates see it.
 *
 * @param role the speaker: {@code system}, {@code user}, {@code assistant}, {@code tool}, ...
 * @param content the text, or null (an assistant message that only calls tools)
 * @param fields any other keys the template may read, in order: {@code tool_calls}, {@code name},
 *     {@code tool_call_id}, {@code reasoning_content}, ... Values are plain Java objects (String,
 *     Number, Boolean, List, Map, null).
 */
public record ChatMessage(String role, String content, Map<String, Object> fields) {

  /** Checks the role and copies {@code fields} (null values allowed, order kept). */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    if (fields.containsKey("role") || fields.containsKey("content")) {
      throw new IllegalArgumentException("fields must not repeat \"role\" or \"content\"");
    }
  }

  /** A message with only a role and a content. */
  public ChatMessage(String role, String content) {
    this(role, content, Map.of());
  }

  /** A {@code system} message. */
  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A {@code user} message. */
  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** An {@code assistant} message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }

  /** The message as the template sees it: {@code role}, {@code content}, then the other fields. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("role", role);
    map.put("content", content);
    map.putAll(fields);
    return map;
  }

  /**
   * Reads a conversation: a JSON list of message objects, each with a string {@code role}, a string
   * or null {@code content} (missing means null) and any other keys (kept as {@link #fields()}).
   *
   * @throws BadInputException naming the file and the offending message
   */
  public static List<ChatMessage> readJson(Path file) {
    return fromJson(file, JsonFiles.read(file));
  }

  /** Converts an already parsed JSON list of messages; {@code file} is named in errors. */
  static List<ChatMessage> fromJson(Path file, JsonNode list) {
    if (!list.isArray()) {
      throw new BadInputException(file, "must hold a JSON list of messages, found " + list.getNodeType());
    }
    List<ChatMessage> messages = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      messages.add(fromJson(file, i, list.get(i)));
    }
    return messages;
  }

  private static ChatMessage fromJson(Path file, int index, JsonNode node) {
    String where = "message " + index;
    if (!node.isObject()) {
      throw new BadInputException(file, where + " must be a JSON object, found " + node.getNodeType());
    }
    JsonNode content = node.get("content");
    if (content != null && !content.isNull() && !content.isTextual()) {
      throw new BadInputException(
          file, where + " has a non-text \"content\" (" + content.getNodeType() + "); only text is supported");
    }
    Map<String, Object> map = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      map.put(field.getKey(), JsonFiles.toPlain(field.getValue()));
    }
    try {
      return fromMap(map, where);
    } catch (BadInputException e) {
      throw new BadInputException(file, e.getMessage());
    }
  }

  /**
   * A message from its map form ({@code role}, {@code content}, other keys as {@link #fields()}), as
   * chat files and conversational data sets hold it. A message needs a string {@code role} and a text
   * {@code content} or {@code tool_calls} (an assistant turn that only calls tools has {@code content}
   * null): a message with neither, such as {@code {"role": "user", "text": "hi"}}, would render as an
   * empty or "null" turn, so it is refused.
   *
   * @param where names the message in errors ("message 2", "example q1, message 0")
   * @throws BadInputException for a missing role, or neither content nor tool_calls
   */
  public static ChatMessage fromMap(Map<?, ?> map, String where) {
    Object role = map.get("role");
    if (!(role instanceof String r) || r.isBlank()) {
      throw new BadInputException(where + " needs a string \"role\" (keys: " + map.keySet() + ")");
    }
    Object content = map.get("content");
    if (content != null && !(content instanceof String)) {
      throw new BadInputException(where + " has a non-text \"content\"; only text is supported");
    }
    if (content == null && map.get("tool_calls") == null) {
      throw new BadInputException(where + " (role " + r + ") has neither \"content\" nor \"tool_calls\" (keys: "
          + map.keySet() + ")");
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (!"role".equals(k) && !"content".equals(k)) fields.put(String.valueOf(k), v);
    });
    return new ChatMessage(r, (String) content, fields);
  }
}
