package dro4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dro4j.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The chat template variables of {@code render} and {@code generate}: {@code --tools FILE.json}
 * and {@code --template-var KEY=VALUE}, passed to the template as transformers' {@code
 * apply_chat_template(tools=..., **kwargs)} passes them.
 */
final class TemplateOptions {
  @Option(names = "--tools", paramLabel = "FILE.json",
      description = "JSON list of tool definitions (JSON schemas, {\"type\": \"function\", \"function\": {...}}),"
          + " the template's `tools`.")
  Path tools;

  @Option(names = "--template-var", paramLabel = "KEY=VALUE",
      description = "Extra chat template variable (repeatable), e.g. enable_thinking=false. VALUE is read as JSON"
          + " (false, 3, \"text\", [..], {..}) and otherwise taken as text.")
  List<String> variables = new ArrayList<>();

  /** The variables for {@code ChatTemplate.render}. */
  Map<String, Object> resolve() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String assignment : variables) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new BadInputException("--template-var takes KEY=VALUE, got '" + assignment + "'");
      }
      String key = assignment.substring(0, eq).strip();
      if (key.equals("messages") || key.equals("add_generation_prompt") || key.equals("tools")) {
        throw new BadInputException("--template-var cannot set " + key + " (use --chat, --no-generation-prompt, --tools)");
      }
      out.put(key, value(assignment.substring(eq + 1)));
    }
    if (tools != null) {
      Object list;
      try {
        list = Json.MAPPER.readValue(Files.readString(tools), Object.class);
      } catch (IOException e) {
        throw new BadInputException(tools, "not a readable JSON file: " + e.getMessage().lines().findFirst().orElse(""));
      }
      if (!(list instanceof List<?>)) {
        throw new BadInputException(tools, "must hold a JSON list of tool definitions");
      }
      out.put("tools", list);
    }
    return out;
  }

  private static Object value(String text) {
    try {
      return Json.MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      return text;
    }
  }
}
