package dro4j.rollout;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds tool calls in a policy turn written in the model's own format: a JSON object {@code {"name":
 * ..., "arguments": {...}}} between an opening and a closing tag, Qwen2.5's and Qwen3's {@code
 * <tool_call>...</tool_call>} by default (Hermes format), or any configured tag pair. A call whose body
 * is not such an object, or whose opening tag is never closed, is returned as {@link
 * ToolCall#malformed malformed} so that the loop can tell the policy what went wrong.
 */
public final class ToolCallParser {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String open;
  private final String close;

  /** A parser for calls between {@code open} and {@code close}. */
  public ToolCallParser(String open, String close) {
    if (open == null || open.isEmpty() || close == null || close.isEmpty()) {
      throw new IllegalArgumentException("tool call tags must be non-empty");
    }
    this.open = open;
    this.close = close;
  }

  /** Qwen2.5 / Qwen3 / Hermes: {@code <tool_call>} and {@code </tool_call>}. */
  public static ToolCallParser hermes() {
    return new ToolCallParser("<tool_call>", "</tool_call>");
  }

  /**
   * A parsed turn.
   *
   * @param content the turn's text with every tool call block removed (trimmed)
   * @param calls the calls in order, malformed ones included
   */
  public record Parsed(String content, List<ToolCall> calls) {}

  /** Parses {@code text}. */
  public Parsed parse(String text) {
    List<ToolCall> calls = new ArrayList<>();
    StringBuilder content = new StringBuilder();
    int pos = 0;
    while (true) {
      int start = text.indexOf(open, pos);
      if (start < 0) {
        content.append(text, pos, text.length());
        break;
      }
      content.append(text, pos, start);
      int end = text.indexOf(close, start + open.length());
      if (end < 0) {
        calls.add(ToolCall.malformed(open + " is never closed by " + close));
        break;
      }
      calls.add(parseBody(text.substring(start + open.length(), end).trim()));
      pos = end + close.length();
    }
    return new Parsed(content.toString().trim(), calls);
  }

  private static ToolCall parseBody(String body) {
    Map<String, Object> map;
    try {
      map = JSON.readValue(body, new TypeReference<Map<String, Object>>() {});
    } catch (Exception e) {
      return ToolCall.malformed("the call is not a JSON object {\"name\": ..., \"arguments\": {...}}");
    }
    if (map == null || !(map.get("name") instanceof String name) || name.isEmpty()) {
      return ToolCall.malformed("the call has no string \"name\"");
    }
    Object args = map.getOrDefault("arguments", Map.of());
    if (args instanceof String s) { // some models write the arguments as a JSON string
      try {
        args = JSON.readValue(s, new TypeReference<Map<String, Object>>() {});
      } catch (Exception e) {
        return ToolCall.malformed("the \"arguments\" of " + name + " are not a JSON object");
      }
    }
    if (!(args instanceof Map<?, ?> m)) {
      return ToolCall.malformed("the \"arguments\" of " + name + " are not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> arguments = (Map<String, Object>) m;
    return ToolCall.of(name, arguments);
  }
}
