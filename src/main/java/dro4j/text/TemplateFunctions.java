package dro4j.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.LocalDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The functions and filters transformers adds to the Jinja environment of chat templates. */
final class TemplateFunctions {
  private TemplateFunctions() {}

  /** What {@code raise_exception(message)} throws; {@link ChatTemplate} turns it into an error. */
  static final class RaisedException extends RuntimeException {
    RaisedException(String message) {
      super(message);
    }
  }

  /** {@code raise_exception(message)}: the template rejects its input. */
  public static Object raiseException(Object message) {
    throw new RaisedException(String.valueOf(message));
  }

  /** {@code strftime_now(format)}: the current local time in Python strftime format. */
  public static String strftimeNow(String format) {
    return Strftime.format(format, LocalDateTime.now());
  }

  /**
   * The {@code tojson} filter of transformers: {@code json.dumps(value, ensure_ascii=False,
   * indent=None, separators=None, sort_keys=False)}, each keyword settable from the template.
   * Jinjava's own tojson writes Java-style JSON (no spaces after separators).
   */
  static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, (Object[]) args, Map.of());
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      if (args.length > 1) {
        throw new IllegalArgumentException("tojson takes at most one positional argument (indent)");
      }
      for (String key : kwargs.keySet()) {
        if (!List.of("indent", "ensure_ascii", "sort_keys", "separators").contains(key)) {
          throw new IllegalArgumentException("tojson got an unexpected keyword argument '" + key + "'");
        }
      }
      Object indentArg = args.length == 1 ? args[0] : kwargs.get("indent");
      String indent = null;
      if (indentArg instanceof Number n) {
        indent = " ".repeat(Math.max(0, n.intValue()));
      } else if (indentArg != null) {
        indent = indentArg.toString();
      }
      String itemSeparator = indent == null ? ", " : ",";
      String keySeparator = ": ";
      Object separators = kwargs.get("separators");
      if (separators != null) {
        if (!(separators instanceof Collection<?> pair) || pair.size() != 2) {
          throw new IllegalArgumentException("tojson separators must be a pair of strings");
        }
        Object[] both = pair.toArray();
        itemSeparator = String.valueOf(both[0]);
        keySeparator = String.valueOf(both[1]);
      }
      PythonJson.Options options =
          new PythonJson.Options(
              indent,
              Boolean.TRUE.equals(kwargs.get("ensure_ascii")),
              Boolean.TRUE.equals(kwargs.get("sort_keys")),
              itemSeparator,
              keySeparator);
      return PythonJson.dumps(var instanceof SafeString safe ? safe.toString() : var, options);
    }
  }

  /**
   * {@code {% generation %}...{% endgeneration %}}: transformers marks assistant text with it to
   * build assistant-token masks; for rendering it outputs its body unchanged, in its own scope (a
   * Jinja call block).
   */
  static final class GenerationTag implements Tag {
    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      try (JinjavaInterpreter.InterpreterScopeClosable scope = interpreter.enterScope()) {
        StringBuilder body = new StringBuilder();
        for (Node child : tagNode.getChildren()) {
          body.append(child.render(interpreter));
        }
        return body.toString();
      }
    }
  }
}
