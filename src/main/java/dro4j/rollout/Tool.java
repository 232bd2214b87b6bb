package dro4j.rollout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A tool the policy may call: a plain Java function with a name, a JSON-schema description and a
 * string result. {@link #schema()} is one entry of the {@code tools} list that chat templates receive,
 * in the form transformers' {@code get_json_schema} produces: {@code {"type": "function", "function":
 * {"name": ..., "description": ..., "parameters": {"type": "object", "properties": ..., "required":
 * [...]}}}}.
 *
 * <p>An exception thrown by {@link #call} becomes an error observation for the policy (never a failed
 * rollout), as does a call with unknown or malformed arguments.
 */
public interface Tool {

  /** The name the policy calls the tool by. */
  String name();

  /** The tool's JSON schema as plain Java values (maps, lists, strings). */
  Map<String, Object> schema();

  /** Runs the tool on the parsed arguments of a call and returns its result text. */
  String call(Map<String, Object> arguments) throws Exception;

  /** A function of the parsed arguments. */
  @FunctionalInterface
  interface Function {
    /** The result text for {@code arguments}. */
    String apply(Map<String, Object> arguments) throws Exception;
  }

  /**
   * A tool from its parts.
   *
   * @param parameters JSON schema of the arguments by name, e.g. {@code {"a": {"type": "number",
   *     "description": "first operand"}}}; all are required
   */
  static Tool of(String name, String description, Map<String, Object> parameters, Function function) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(function, "function");
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("type", "object");
    params.put("properties", new LinkedHashMap<>(parameters));
    params.put("required", List.copyOf(parameters.keySet()));
    Map<String, Object> fn = new LinkedHashMap<>();
    fn.put("name", name);
    fn.put("description", description);
    fn.put("parameters", params);
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "function");
    schema.put("function", fn);
    return new Tool() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Map<String, Object> schema() {
        return schema;
      }

      @Override
      public String call(Map<String, Object> arguments) throws Exception {
        return function.apply(arguments);
      }
    };
  }
}
