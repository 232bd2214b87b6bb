package dro4j.rollout;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tool call parsed from a policy turn, or the reason it could not be parsed.
 *
 * @param name the tool's name (null when malformed)
 * @param arguments the parsed arguments (empty when malformed)
 * @param error why the call is malformed, or null
 */
public record ToolCall(String name, Map<String, Object> arguments, String error) {

  /** A well-formed call. */
  public static ToolCall of(String name, Map<String, Object> arguments) {
    return new ToolCall(name, new LinkedHashMap<>(arguments), null);
  }

  /** A malformed call. */
  public static ToolCall malformed(String error) {
    return new ToolCall(null, Map.of(), error);
  }

  /** Whether the call could be parsed. */
  public boolean wellFormed() {
    return error == null;
  }

  /** The call in the form chat templates read from an assistant message's {@code tool_calls}. */
  public Map<String, Object> toTemplate() {
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", name);
    fn.put("arguments", arguments);
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("type", "function");
    call.put("function", fn);
    return call;
  }
}
