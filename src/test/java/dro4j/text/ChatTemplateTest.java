package dro4j.text;

import static dro4j.Fixtures.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChatTemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> expectedRenders() throws IOException {
    JsonNode cases = JSON.readTree(fixture("chat-templates", "expected.json").toFile());
    List<Arguments> arguments = new ArrayList<>();
    for (JsonNode c : cases) {
      arguments.add(
          Arguments.of(
              c.get("template").textValue(),
              c.get("add_generation_prompt").booleanValue(),
              c.get("conversation").size(),
              c));
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "{0} generation prompt {1}, {2} messages")
  @MethodSource("expectedRenders")
  void rendersLikeTransformers(String template, boolean addGenerationPrompt, int size, JsonNode c) {
    ChatTemplate chat = ChatTemplate.load(fixture("chat-templates", template));
    List<ChatMessage> messages = ChatMessage.fromJson(Path.of("expected.json"), c.get("conversation"));
    assertSameText(c.get("rendered").textValue(), chat.render(messages, addGenerationPrompt));
  }

  static final List<String> REAL_TEMPLATES =
      List.of("qwen3", "llama-3.3-instruct", "mistral-nemo-instruct-2407", "gemma-3-it", "phi-4-mini-instruct");

  static Stream<Arguments> realTemplateRenders() throws IOException {
    List<Arguments> arguments = new ArrayList<>();
    for (String template : REAL_TEMPLATES) {
      for (JsonNode c : JSON.readTree(fixture("chat-templates", template, "expected.json").toFile())) {
        arguments.add(
            Arguments.of(template, c.get("name").textValue(), c.get("add_generation_prompt").booleanValue(), c));
      }
    }
    return arguments.stream();
  }

  /** tools/render_templates.py made these renders (jinja2 configured as transformers configures it). */
  @ParameterizedTest(name = "{0} {1} generation prompt {2}")
  @MethodSource("realTemplateRenders")
  void realTemplatesRenderLikeTransformers(String template, String name, boolean addGenerationPrompt, JsonNode c) {
    ChatTemplate chat = ChatTemplate.load(fixture("chat-templates", template));
    List<ChatMessage> messages = ChatMessage.fromJson(Path.of("expected.json"), c.get("conversation"));
    Map<String, Object> variables = new LinkedHashMap<>();
    c.get("template_vars").fields().forEachRemaining(e -> variables.put(e.getKey(), JsonFiles.toPlain(e.getValue())));
    if (!c.get("tools").isNull()) {
      variables.put("tools", JsonFiles.toPlain(c.get("tools")));
    }
    if (c.has("error")) {
      assertThatThrownBy(() -> chat.render(messages, addGenerationPrompt, variables))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining(c.get("error").textValue());
    } else {
      assertSameText(c.get("rendered").textValue(), chat.render(messages, addGenerationPrompt, variables));
    }
  }

  @Test
  void expectedFixtureCoversBothTemplatesAndBothConversations() throws IOException {
    assertThat(expectedRenders().count()).isEqualTo(8);
  }

  @Test
  void tinyQwen2RendersReferencePrompt() throws IOException {
    JsonNode reference = JSON.readTree(fixture("tiny-qwen2-reference", "reference.json").toFile());
    List<ChatMessage> messages = ChatMessage.fromJson(Path.of("reference.json"), reference.get("messages"));
    try (Tokenizer tokenizer = Tokenizer.load(fixture("tiny-qwen2"))) {
      assertThat(tokenizer.hasChatTemplate()).isTrue();
      String rendered = tokenizer.chatTemplate().render(messages, true);
      assertSameText(reference.get("rendered").textValue(), rendered);
    }
  }

  @Test
  void qwenTemplateRendersTools() {
    Map<String, Object> city = new LinkedHashMap<>();
    city.put("type", "string");
    city.put("description", "City name, e.g. \"Zürich\"");
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("type", "object");
    parameters.put("properties", Map.of("city", city));
    parameters.put("required", List.of("city"));
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", "get_weather");
    function.put("description", "Current weather");
    function.put("parameters", parameters);
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("function", function);

    ChatTemplate chat = ChatTemplate.load(fixture("chat-templates", "qwen2.5-instruct"));
    String rendered =
        chat.render(List.of(ChatMessage.user("Weather in Zürich?")), true, Map.of("tools", List.of(tool)));
    // Rendered by Python jinja2 3.1.6 configured as transformers does.
    assertSameText(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n"
            + "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\":"
            + " \"Current weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\":"
            + " {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Zürich\\\"\"}},"
            + " \"required\": [\"city\"]}}}\n</tools>\n\n"
            + "For each function call, return a json object with function name and arguments within"
            + " <tool_call></tool_call> XML tags:\n<tool_call>\n"
            + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWeather in Zürich?<|im_end|>\n<|im_start|>assistant\n",
        rendered);
  }

  /**
   * A value is text, never template source: Jinja prints a message's {@code {{ 7*7 }}} as it is.
   * Jinjava's nested interpretation would evaluate it, so a policy that writes {@code {{"a": 1}}} in a
   * tool call (seen in a calculator run at temperature 1) would fail the render and end the run.
   */
  @ParameterizedTest
  @ValueSource(strings = {"#{\"a\":18424,\"b\":10772}", "{{ 7*7 }}", "{% if true %}x{% endif %}", "{{\"a\":18424,\"b\":10772}}", "{#", "{{ raise_exception('no') }}"})
  void messageTextThatLooksLikeTemplateSyntaxIsPrintedAsItIs(String text) {
    ChatTemplate chat = ChatTemplate.load(fixture("chat-templates", "qwen2.5-instruct"));
    String rendered = chat.render(List.of(ChatMessage.user("a " + text + " b")), false);
    assertThat(rendered).contains("<|im_start|>user\na " + text + " b<|im_end|>");
  }

  @Test
  void qwenTemplateRendersToolCallsAndResponses() {
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("type", "function");
    call.put("function", Map.of("name", "get_weather", "arguments", Map.of("city", "Paris")));
    List<ChatMessage> messages =
        List.of(
            ChatMessage.user("Weather?"),
            new ChatMessage("assistant", null, Map.of("tool_calls", List.of(call))),
            new ChatMessage("tool", "sunny"));
    String rendered =
        ChatTemplate.load(fixture("chat-templates", "qwen2.5-instruct")).render(messages, true);
    // Rendered by Python jinja2 3.1.6 configured as transformers does.
    assertSameText(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
        rendered);
  }

  @Test
  void deepSeekTemplateDropsReasoningOfEarlierAnswers() {
    List<ChatMessage> messages =
        List.of(
            ChatMessage.user("2+2?"),
            ChatMessage.assistant("<think>\nadd them\n</think>\n\n4"),
            ChatMessage.user("3+3?"));
    String rendered =
        ChatTemplate.load(fixture("chat-templates", "deepseek-r1-distill-qwen")).render(messages, true);
    // content.split('</think>')[-1], as Python computes it.
    assertSameText(
        "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>\n\n4<｜end▁of▁sentence｜><｜User｜>3+3?<｜Assistant｜><think>\n",
        rendered);
  }

  @Test
  void pythonStringMethodsWorkInTemplates(@TempDir Path dir) throws IOException {
    // Qwen3-style reasoning handling; Python renders "[answer][a, b]".
    Path config =
        writeConfig(
            dir,
            "{%- set content = messages[0].content %}"
                + "{%- if content.startswith('<think>') and '</think>' in content %}"
                + "[{{ content.split('</think>')[-1].lstrip('\\n').rstrip() }}]{%- endif %}"
                + "[{{ ', '.join('a.b'.split('.')) }}]");
    String rendered =
        ChatTemplate.fromTokenizerConfig(config)
            .render(List.of(ChatMessage.assistant("<think>\nhmm\n</think>\n\nanswer  ")), false);
    assertThat(rendered).isEqualTo("[answer][a, b]");
  }

  // Expected strings in the tests below were rendered by Python jinja2 3.1.6 (tools/render_templates.py's environment).
  private static final List<ChatMessage> THREE =
      List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c"));

  private static String renderThree(Path dir, String template) throws IOException {
    return ChatTemplate.fromTokenizerConfig(writeConfig(dir, template)).render(THREE, false, Map.of("x", 5));
  }

  static Stream<Arguments> pythonSyntaxJinjavaLacks() {
    return Stream.of(
        Arguments.of("slices with and without a step",
            "{% for m in messages[::-1] %}{{ m.content }}{% endfor %}|{% for m in messages[1:] %}{{ m.content }}{% endfor %}"
                + "|{% for m in messages[:-1] %}{{ m.content }}{% endfor %}|{{ 'abcdef'[1:5:2] }}|{{ 'abcdef'[::-2] }}"
                + "|{{ (messages|map(attribute='content')|list)[-1:0:-1]|join }}",
            "cba|bc|ab|bd|fdb|cb"),
        Arguments.of("plus followed by a digit without spaces",
            "{% set ns = namespace(a=1) %}{% set ns.a = ns.a+1 %}{% for m in messages %}{{ loop.index0+1 }}{% endfor %}"
                + "|{{ x+1 }}|{{ ns.a+1 }}|{{ x*2+1 }}",
            "123|6|3|11"),
        Arguments.of("keyword arguments with filters and operators",
            "{% set ns = namespace(last=messages|length - 1, users=messages|selectattr('role', 'equalto', 'user')|list|length,"
                + " flag=true) %}{{ ns.last }},{{ ns.users }}{% if ns.flag %},flag{% endif %}",
            "2,2,flag"),
        Arguments.of("not binds looser than comparisons",
            "{% if not messages|length == 1 %}many{% endif %}"
                + "{% if not messages[0].role == 'assistant' and x is not none %}|user first{% endif %}",
            "many|user first"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pythonSyntaxJinjavaLacks")
  void pythonSyntaxJinjavaLacks(String name, String template, String expected, @TempDir Path dir) throws IOException {
    assertThat(renderThree(dir, template)).isEqualTo(expected);
  }

  @Test
  void loopConditionsIndentLstripNeighboursAndTrailingNewline(@TempDir Path dir) throws IOException {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("a", 1);
    d.put("skip", 2);
    d.put("b", 3);
    String[][] cases = {
      {"{% for k, v in d.items() if k != 'skip' %}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% endfor %}"
          + "|{% for m in messages if m.role == 'user' %}{{ loop.index }}{{ m.content }}{% endfor %}", "a=1,b=3|1a2c"},
      {"{{ 'x\\ny\\n\\nz'|indent(2) }}|{{ 'x\\ny'|indent(width=3, first=true) }}|{{ 'x\\n\\ny'|indent(2, blank=true) }}",
          "x\n  y\n\n  z|   x\n   y|x\n  \n  y"},
      {"{% for m in messages %}{{ m.role }}: {% if m.content %}{{ m.content }}{% endif %}\n    {% if loop.last %}end{% endif %}\n{% endfor %}",
          "user: aassistant: buser: cend"},
      {"{% for m in messages %}[{{ loop.previtem.content if loop.previtem else '-' }}{{ m.content }}"
          + "{{ loop.nextitem.content if loop.nextitem else '-' }}]{% endfor %}", "[-ab][abc][bc-]"},
      {"{{ messages|length }}\n", "3"},
    };
    for (String[] c : cases) {
      String rendered = ChatTemplate.fromTokenizerConfig(writeConfig(dir, c[0])).render(THREE, false, Map.of("d", d));
      assertThat(rendered).as(c[0]).isEqualTo(c[1]);
    }
  }

  @Test
  void templateThatExplodesItsOutputIsOneCleanError(@TempDir Path dir) throws IOException {
    String[] bombs = {
      "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}{{ s }}",
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
      "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s.replace('a', 'aa') %}{% endfor %}{{ s|length }}",
      "{% set s = 'ab' %}{% for i in range(40) %}{% set s = [s, s]|join('') %}{% endfor %}{{ s|length }}",
    };
    for (String bomb : bombs) {
      ChatTemplate chat = ChatTemplate.fromTokenizerConfig(writeConfig(dir, bomb));
      assertThatThrownBy(() -> chat.render(THREE, false))
          .as(bomb)
          .isInstanceOf(ChatTemplateException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").containsAnyOf("limit", "exceeds"));
    }
  }

  @Test
  void renderTimeIsBounded(@TempDir Path dir) throws IOException {
    ChatTemplate chat =
        ChatTemplate.fromTokenizerConfig(
                writeConfig(dir, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"))
            .withLimits(new ChatTemplate.Limits(1 << 20, 1 << 20, 100_000, 200));
    long start = System.nanoTime();
    assertThatThrownBy(() -> chat.render(THREE, false))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("ran longer than 200 ms");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
  }

  @Test
  void javaObjectsStayOutOfReach(@TempDir Path dir) throws IOException {
    String[] calls = {
      "{{ messages[0].content.getClass() }}",
      "{{ messages[0].content.toUpperCase() }}",
      "{{ messages.size() }}",
      "{{ messages[0].put('role', 'system') }}",
      "{{ messages[0].keySet() }}",
      "{% for m in messages %}{{ loop.getClass() }}{% endfor %}",
      "{{ x.getClass().forName('java.lang.Runtime') }}",
    };
    for (String call : calls) {
      ChatTemplate chat = ChatTemplate.fromTokenizerConfig(writeConfig(dir, call));
      assertThatThrownBy(() -> chat.render(THREE, false, Map.of("x", 5)))
          .as(call)
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining("has no attribute");
    }
    // Bean getters are no attributes in Python: undefined, so empty.
    assertThat(renderThree(dir, "[{{ messages[0].content.bytes }}{{ x.class }}{{ messages.class.name }}]")).isEqualTo("[]");
    // What Python has stays: dict methods, str methods, mapping keys.
    assertThat(renderThree(dir, "{% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %}{{ messages[1].get('role') }}"))
        .isEqualTo("role=user;content=a;assistant");
  }

  @Test
  void raiseExceptionBecomesClearError(@TempDir Path dir) throws IOException {
    Path config =
        writeConfig(
            dir,
            "{%- for message in messages %}{%- if message.role == 'system' and not loop.first %}"
                + "{{- raise_exception('System message must be at the beginning.') }}{%- endif %}"
                + "{{- message.role + ': ' + message.content + '\\n' }}{%- endfor %}");
    ChatTemplate chat = ChatTemplate.fromTokenizerConfig(config);
    assertThat(chat.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), false))
        .isEqualTo("system: Be brief.\nuser: Hi\n");
    assertThatThrownBy(
            () -> chat.render(List.of(ChatMessage.user("Hi"), ChatMessage.system("Be brief.")), false))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("System message must be at the beginning.");
  }

  @Test
  void jinjaErrorsAreNeverSilent(@TempDir Path dir) throws IOException {
    String[] broken = {
      "{% for message in messages %}{{ message.content }}", // unclosed for
      "{{ messages | no_such_filter }}",
      "{{ messages | tojson | no_such_filter }}",
      "{% if messages is no_such_test %}x{% endif %}",
      "{{ no_such_function() }}",
      "{{ raise_exception('inside ' + 'an expression') }}",
      "{% if %}x{% endif %}",
      "{{ messages[0].content | tojson(bad_keyword=1) }}",
      "{{ strftime_now('%Q') }}",
    };
    for (String template : broken) {
      Path config = writeConfig(dir, template);
      ChatTemplate chat = ChatTemplate.fromTokenizerConfig(config);
      try {
        String output = chat.render(List.of(ChatMessage.user("Hi")), false);
        fail("template " + template + " rendered " + output + " instead of failing");
      } catch (ChatTemplateException e) {
        assertThat(e.getMessage()).as(template).contains(config.toString());
      }
    }
  }

  @Test
  void loopControlsNamespaceAndSpecialTokens(@TempDir Path dir) throws IOException {
    Path config =
        dir.resolve("tokenizer_config.json");
    Files.writeString(
        config,
        JSON.writeValueAsString(
            Map.of(
                "bos_token", "<s>",
                "eos_token", Map.of("content", "</s>", "special", true),
                "chat_template",
                "{{ bos_token }}{% set ns = namespace(count=0) %}{% for m in messages %}"
                    + "{% if m.role == 'system' %}{% continue %}{% endif %}"
                    + "{% if m.content == 'stop' %}{% break %}{% endif %}"
                    + "{% set ns.count = ns.count + 1 %}[{{ m.content }}]{% endfor %}"
                    + "{{ ns.count }}{{ eos_token }}{{ pad_token }}{{ date_string }}")));
    ChatTemplate chat = ChatTemplate.fromTokenizerConfig(config);
    List<ChatMessage> messages =
        List.of(
            ChatMessage.system("s"),
            ChatMessage.user("a"),
            ChatMessage.assistant("b"),
            ChatMessage.user("stop"),
            ChatMessage.user("c"));
    assertThat(chat.render(messages, false)).isEqualTo("<s>[a][b]2</s>");
    assertThat(chat.render(messages, false, Map.of("date_string", " 26 Jul 2024")))
        .isEqualTo("<s>[a][b]2</s> 26 Jul 2024");
  }

  @Test
  void generationTagRendersItsBody(@TempDir Path dir) throws IOException {
    Path config =
        writeConfig(
            dir,
            "{% set x = 'out' %}{% for m in messages %}{{ m.role }}:{% generation %}[{{ m.content }}]"
                + "{% set x = 'in' %}{% endgeneration %}\n{% endfor %}{{ x }}");
    String rendered =
        ChatTemplate.fromTokenizerConfig(config)
            .render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), false);
    // Python jinja2 with transformers' AssistantTracker extension renders this.
    assertThat(rendered).isEqualTo("user:[a]assistant:[b]out");
  }

  @Test
  void strftimeNowGivesTheCurrentDate(@TempDir Path dir) throws IOException {
    Path config = writeConfig(dir, "{{ strftime_now('%Y-%m-%d') }}");
    String rendered = ChatTemplate.fromTokenizerConfig(config).render(List.of(), false);
    assertThat(rendered).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(rendered.substring(0, 4)).isIn(List.of(
        String.valueOf(java.time.LocalDate.now().getYear()),
        String.valueOf(java.time.LocalDate.now().getYear() - 1)));
  }

  @Test
  void tojsonFilterIsPythonJsonDumps(@TempDir Path dir) throws IOException {
    Path config =
        writeConfig(dir, "{{ tool | tojson }}\n{{ tool | tojson(indent=2) }}\n{{ tool | tojson(ensure_ascii=true) }}");
    String rendered =
        ChatTemplate.fromTokenizerConfig(config).render(List.of(), false, Map.of("tool", PythonJsonTest.sample()));
    assertSameText(
        PythonJsonTest.COMPACT + "\n" + PythonJsonTest.INDENTED + "\n" + PythonJsonTest.ASCII, rendered);
  }

  @Test
  void namedTemplatesAreSelectable(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(
        config,
        "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T{{ messages|length }}\"},"
            + " {\"name\": \"default\", \"template\": \"D{{ messages|length }}\"}]}");
    List<ChatMessage> one = List.of(ChatMessage.user("x"));
    assertThat(ChatTemplate.load(dir).render(one, false)).isEqualTo("D1");
    assertThat(ChatTemplate.load(dir, "tool_use").render(one, false)).isEqualTo("T1");
    assertThatThrownBy(() -> ChatTemplate.load(dir, "rag"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("rag")
        .hasMessageContaining("tool_use, default");
  }

  @Test
  void chatTemplateJinjaFileTakesPrecedence(@TempDir Path dir) throws IOException {
    writeConfig(dir, "from config");
    Files.writeString(dir.resolve(ChatTemplate.JINJA_FILE), "from jinja {{ bos_token }}");
    ChatTemplate chat = ChatTemplate.load(dir);
    assertThat(chat.file()).isEqualTo(dir.resolve(ChatTemplate.JINJA_FILE));
    assertThat(chat.render(List.of(), false)).isEqualTo("from jinja <s>");
  }

  @Test
  void missingTemplateIsBadInput() {
    Path config = fixture("stories260K", "tokenizer_config.json");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(config))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("has no chat_template");
    assertThatThrownBy(() -> ChatTemplate.load(fixture("stories260K")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("has no chat_template");
  }

  @Test
  void malformedChatTemplateFieldIsBadInput(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "{\"chat_template\": 42}");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(config))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("chat_template");
  }

  private static Path writeConfig(Path dir, String template) throws IOException {
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, JSON.writeValueAsString(Map.of("bos_token", "<s>", "chat_template", template)));
    return config;
  }

  /** Equality with a readable report of the first differing character. */
  static void assertSameText(String expected, String actual) {
    if (expected.equals(actual)) {
      return;
    }
    int i = 0;
    while (i < Math.min(expected.length(), actual.length()) && expected.charAt(i) == actual.charAt(i)) {
      i++;
    }
    int from = Math.max(0, i - 40);
    fail(
        "texts differ at char "
            + i
            + "\n expected: ..."
            + escape(expected.substring(from, Math.min(expected.length(), i + 40)))
            + "\n   actual: ..."
            + escape(actual.substring(from, Math.min(actual.length(), i + 40)))
            + "\nfull expected: "
            + escape(expected)
            + "\nfull actual:   "
            + escape(actual));
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
  }
}
