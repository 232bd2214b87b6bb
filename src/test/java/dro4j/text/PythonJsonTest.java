package dro4j.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PythonJsonTest {
  // Written by Python 3: json.dumps(v, ensure_ascii=False), with indent=2, and ensure_ascii=True.
  static final String COMPACT =
      "{\"name\": \"get_weather\", \"description\": \"Wetter für \\\"Zürich\\\" \\\\ ok\\n\\ttab\","
          + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\","
          + " \"enum\": [\"Zürich\", \"北京\", \"😀\"]}}, \"required\": [\"city\"]}, \"n\": [1, 2.5, -0.0,"
          + " 1e-05, 1e+16, 123456789012345678, true, null], \"empty\": {}, \"list\": []}";
  static final String INDENTED =
      "{\n  \"name\": \"get_weather\",\n  \"description\": \"Wetter für \\\"Zürich\\\" \\\\ ok\\n\\ttab\",\n"
          + "  \"parameters\": {\n    \"type\": \"object\",\n    \"properties\": {\n      \"city\": {\n"
          + "        \"type\": \"string\",\n        \"enum\": [\n          \"Zürich\",\n          \"北京\",\n"
          + "          \"😀\"\n        ]\n      }\n    },\n    \"required\": [\n      \"city\"\n    ]\n  },\n"
          + "  \"n\": [\n    1,\n    2.5,\n    -0.0,\n    1e-05,\n    1e+16,\n    123456789012345678,\n"
          + "    true,\n    null\n  ],\n  \"empty\": {},\n  \"list\": []\n}";
  static final String ASCII =
      "{\"name\": \"get_weather\", \"description\": \"Wetter f\\u00fcr \\\"Z\\u00fcrich\\\" \\\\ ok\\n\\ttab\","
          + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\","
          + " \"enum\": [\"Z\\u00fcrich\", \"\\u5317\\u4eac\", \"\\ud83d\\ude00\"]}}, \"required\": [\"city\"]},"
          + " \"n\": [1, 2.5, -0.0, 1e-05, 1e+16, 123456789012345678, true, null], \"empty\": {}, \"list\": []}";

  /** A tool-like value with nesting, unicode, quotes, escapes and every number kind. */
  static Map<String, Object> sample() {
    Map<String, Object> city = new LinkedHashMap<>();
    city.put("type", "string");
    city.put("enum", List.of("Zürich", "北京", "😀"));
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("type", "object");
    parameters.put("properties", Map.of("city", city));
    parameters.put("required", List.of("city"));
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("name", "get_weather");
    value.put("description", "Wetter für \"Zürich\" \\ ok\n\ttab");
    value.put("parameters", parameters);
    value.put("n", new ArrayList<>(Arrays.asList(1L, 2.5, -0.0, 1e-05, 1e16, 123456789012345678L, true, null)));
    value.put("empty", Map.of());
    value.put("list", List.of());
    return value;
  }

  @Test
  void dumpsLikePython() {
    assertThat(PythonJson.dumps(sample(), PythonJson.Options.compact())).isEqualTo(COMPACT);
    assertThat(PythonJson.dumps(sample(), new PythonJson.Options("  ", false, false, ",", ": ")))
        .isEqualTo(INDENTED);
    assertThat(PythonJson.dumps(sample(), new PythonJson.Options(null, true, false, ", ", ": ")))
        .isEqualTo(ASCII);
    // Control characters are escaped, DEL is not (json.dumps({'ctrl': '\x01\x7f'}, ensure_ascii=False)).
    assertThat(PythonJson.dumps(Map.of("ctrl", "\u0001\u007f"), PythonJson.Options.compact()))
        .isEqualTo("{\"ctrl\": \"\\u0001\u007f\"}");
    assertThat(PythonJson.dumps(Map.of("b", 1, "a", 2), new PythonJson.Options(null, false, true, ", ", ": ")))
        .isEqualTo("{\"a\": 2, \"b\": 1}");
  }

  @Test
  void floatsUsePythonRepr() {
    double[] values = {
      0.1, 0.2 + 0.1, 1.0 / 3, 2.5, 100.0, 1e15, 1e16, 1.5e16, 1e-4, 1e-5, 1.234e-7, 5e-324,
      1.7976931348623157e308, 123456.789, -2.0, 0.001, Math.pow(2, -44), 8.41e21, 2e-3,
      9007199254740993.0, Double.NaN, Double.NEGATIVE_INFINITY
    };
    // Python 3: repr(v) for each value above.
    String[] python = {
      "0.1", "0.30000000000000004", "0.3333333333333333", "2.5", "100.0", "1000000000000000.0",
      "1e+16", "1.5e+16", "0.0001", "1e-05", "1.234e-07", "5e-324", "1.7976931348623157e+308",
      "123456.789", "-2.0", "0.001", "5.684341886080802e-14", "8.41e+21", "0.002",
      "9007199254740992.0", "NaN", "-Infinity"
    };
    for (int i = 0; i < values.length; i++) {
      assertThat(PythonJson.floatRepr(values[i])).as("repr of %s", values[i]).isEqualTo(python[i]);
    }
  }
}
