package dro4j.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

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

  /** A filter that takes keyword arguments: plain string arguments go through the same method. */
  abstract static class KeywordFilter implements Filter {
    private final String name;

    KeywordFilter(String name) {
      this.name = name;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, (Object[]) args, Map.of());
    }

    @Override
    public abstract Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);
  }

  /**
   * The {@code tojson} filter of transformers: {@code json.dumps(value, ensure_ascii=False,
   * indent=None, separators=None, sort_keys=False)}, each keyword settable from the template.
   * Jinjava's own tojson writes Java-style JSON (no spaces after separators).
   */
  static final class ToJson extends KeywordFilter {
    ToJson() {
      super("tojson");
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

  /**
   * {@code x|py_slice(start, stop, step)}: Python's {@code x[start:stop:step]} on a list or a
   * string (none for a missing bound). {@link JinjaRewriter} turns slices with a step into it.
   */
  static final class PySlice extends KeywordFilter {
    PySlice() {
      super("py_slice");
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      if (args.length != 3) {
        throw new IllegalArgumentException("py_slice takes start, stop and step");
      }
      List<?> items;
      if (var instanceof CharSequence text) {
        items = text.codePoints().mapToObj(Character::toString).toList();
      } else if (var instanceof Collection<?> collection) {
        items = new ArrayList<>(collection);
      } else {
        throw new PythonStringMethods.PythonError(
            "'" + (var == null ? "NoneType" : var.getClass().getSimpleName()) + "' object is not subscriptable");
      }
      int n = items.size();
      long step = args[2] == null ? 1 : index(args[2]);
      if (step == 0) {
        throw new PythonStringMethods.PythonError("slice step cannot be zero");
      }
      long start = bound(args[0], n, step, true);
      long stop = bound(args[1], n, step, false);
      List<Object> out = new ArrayList<>();
      for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
        out.add(items.get((int) i));
      }
      if (var instanceof CharSequence) {
        StringBuilder b = new StringBuilder();
        out.forEach(b::append);
        return b.toString();
      }
      return out;
    }

    private static long index(Object value) {
      if (value instanceof Number number && !(value instanceof Double || value instanceof Float)) {
        return number.longValue();
      }
      throw new PythonStringMethods.PythonError("slice indices must be integers or None");
    }

    // Python's PySlice_AdjustIndices for one bound.
    private static long bound(Object value, int n, long step, boolean isStart) {
      if (value == null) {
        return step > 0 ? (isStart ? 0 : n) : (isStart ? n - 1 : -1);
      }
      long i = index(value);
      if (i < 0) {
        i += n;
        if (i < 0) {
          i = step > 0 ? 0 : -1;
        }
      } else if (i >= n) {
        i = step > 0 ? n : n - 1;
      }
      return i;
    }
  }

  /** {@code d|items}: the (key, value) pairs of a mapping, as Jinja's {@code items} filter. */
  static final class Items implements Filter {
    @Override
    public String getName() {
      return "items";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var == null) {
        return List.of();
      }
      if (!(var instanceof Map<?, ?> map)) {
        throw new PythonStringMethods.PythonError("Can only get item pairs from a mapping.");
      }
      return new ArrayList<>(map.entrySet());
    }
  }

  /** {@code x is iterable}: true for strings too, as in Python (Jinjava's own says false). */
  static final class IsIterable implements ExpTest {
    @Override
    public String getName() {
      return "iterable";
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return var instanceof CharSequence || var instanceof Iterable<?> || var instanceof Map<?, ?>
          || (var != null && var.getClass().isArray());
    }
  }

  /**
   * A resolver that by default resolves nothing and writes nothing, so that the next resolver of
   * the chain answers; subclasses handle some lookups or calls, or only look at them.
   */
  abstract static class ResolvesNothing extends ELResolver {
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
      return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
      return true;
    }

    @Override
    public java.util.Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
      return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
      return null;
    }
  }

  /** What a render that ran past its time limit throws. */
  static final class TimeLimitException extends RuntimeException {
    TimeLimitException(String message) {
      super(message);
    }
  }

  /**
   * The render's deadline, checked whenever the template looks a name or attribute up or calls a
   * method (first in the resolver chain, resolving nothing) and whenever a loop starts, so loops
   * cannot run for ever: an innermost loop without lookups is bounded by the list and range limits.
   */
  static final class Deadline extends ResolvesNothing {
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private volatile long limitMillis;

    void start(long millis) {
      limitMillis = millis;
      deadlineNanos = System.nanoTime() + millis * 1_000_000L;
    }

    void check() {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new TimeLimitException("chat template ran longer than " + limitMillis + " ms");
      }
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      check();
      return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
      check();
      return null;
    }

  }

  /** The {@code for} tag, checking the render's deadline each time a loop starts. */
  static final class DeadlineForTag extends ForTag {
    private final Deadline deadline;

    DeadlineForTag(Deadline deadline) {
      this.deadline = deadline;
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      deadline.check();
      return super.interpret(tagNode, interpreter);
    }
  }

  /**
   * Keeps Java out of reach: templates get the attributes and methods of Python values only. A
   * method call on a value (string, number, list, mapping, loop, any {@code java.*} object) fails
   * unless it is a mapping's {@code items}, {@code get}, {@code keys} or {@code values} or a loop's
   * {@code cycle}, as does any method {@link PythonStringMethods} did not handle;
   * an attribute of a string, number, boolean or list is undefined, as in Python, instead of a Java
   * bean getter ({@code "x".bytes}). Mapping keys and the loop and namespace objects stay readable.
   */
  static final class PlainValuesOnly extends ResolvesNothing {
    private static final java.util.Set<String> MAPPING_METHODS = java.util.Set.of("items", "get", "keys", "values");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
      boolean data = base instanceof CharSequence || base instanceof Number || base instanceof Boolean
          || base instanceof Map<?, ?> || base instanceof Collection<?> || base instanceof ForLoop
          || (base != null && (base.getClass().isArray() || base.getClass().getName().startsWith("java.")));
      // Jinjava calls its own filters and tests through here too: only values are guarded.
      if (!data
          || (base instanceof Map<?, ?> && MAPPING_METHODS.contains(String.valueOf(method)))
          || (base instanceof ForLoop && "cycle".equals(method))) {
        return null;
      }
      throw new PythonStringMethods.PythonError(
          "'" + pythonType(base) + "' object has no attribute '" + method + "' (Java methods are not callable)");
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      boolean plain = base instanceof CharSequence || base instanceof Number || base instanceof Boolean
          || (base instanceof Collection<?> && !(base instanceof Map<?, ?>));
      // Subscripts may come as strings ("-1"): only names are attributes.
      if (plain && property instanceof String name && !name.isEmpty() && !name.matches("-?[0-9]+")) {
        context.setPropertyResolved(true);
      }
      return null;
    }

    static String pythonType(Object value) {
      if (value instanceof CharSequence) {
        return "str";
      } else if (value instanceof Boolean) {
        return "bool";
      } else if (value instanceof Double || value instanceof Float) {
        return "float";
      } else if (value instanceof Number) {
        return "int";
      } else if (value instanceof Map<?, ?>) {
        return "dict";
      } else if (value instanceof Collection<?>) {
        return "list";
      }
      return value.getClass().getSimpleName();
    }

  }

  /**
   * {@code iterable|py_loop_filter('targets', 'condition')}: the items for which {@code condition}
   * holds with the loop targets bound, which is what Jinja's {@code for targets in iterable if
   * condition} iterates (so {@code loop.last} counts only those). {@link JinjaRewriter} writes
   * the call; Jinjava itself ignores the {@code if} of a {@code for}.
   */
  static final class PyLoopFilter implements Filter {
    @Override
    public String getName() {
      return "py_loop_filter";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (args.length != 2) {
        throw new IllegalArgumentException("py_loop_filter takes the loop targets and the condition");
      }
      List<String> targets = new ArrayList<>();
      for (String t : args[0].replace("(", "").replace(")", "").split(",")) {
        targets.add(t.strip());
      }
      Iterable<?> items;
      if (var == null) {
        items = List.of();
      } else if (var instanceof Map<?, ?> map) {
        items = new ArrayList<>(map.keySet()); // iterating a dict gives its keys
      } else if (var instanceof Iterable<?> iterable) {
        items = iterable;
      } else {
        throw new PythonStringMethods.PythonError(
            "'" + PlainValuesOnly.pythonType(var) + "' object is not iterable");
      }
      List<Object> kept = new ArrayList<>();
      for (Object item : items) {
        try (JinjavaInterpreter.InterpreterScopeClosable scope = interpreter.enterScope()) {
          bind(interpreter, targets, item);
          Object holds = interpreter.resolveELExpression(args[1], interpreter.getLineNumber());
          if (com.hubspot.jinjava.util.ObjectTruthValue.evaluate(holds)) {
            kept.add(item);
          }
        }
      }
      return kept;
    }

    private static void bind(JinjavaInterpreter interpreter, List<String> targets, Object item) {
      if (targets.size() == 1) {
        interpreter.getContext().put(targets.get(0), item);
      } else if (item instanceof Map.Entry<?, ?> entry && targets.size() == 2) {
        interpreter.getContext().put(targets.get(0), entry.getKey());
        interpreter.getContext().put(targets.get(1), entry.getValue());
      } else if (item instanceof List<?> list && list.size() == targets.size()) {
        for (int i = 0; i < targets.size(); i++) {
          interpreter.getContext().put(targets.get(i), list.get(i));
        }
      } else {
        throw new PythonStringMethods.PythonError("cannot unpack " + PlainValuesOnly.pythonType(item)
            + " into " + targets.size() + " loop variables");
      }
    }
  }

  /** {@code s|indent(width=4, first=False, blank=False)}: Jinja's indent, keywords included. */
  static final class Indent extends KeywordFilter {
    Indent() {
      super("indent");
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      for (String key : kwargs.keySet()) {
        if (!List.of("width", "first", "blank").contains(key)) {
          throw new PythonStringMethods.PythonError("indent() got an unexpected keyword argument '" + key + "'");
        }
      }
      Object width = args.length > 0 ? args[0] : kwargs.getOrDefault("width", 4L);
      boolean first = com.hubspot.jinjava.util.ObjectTruthValue.evaluate(args.length > 1 ? args[1] : kwargs.get("first"));
      boolean blank = com.hubspot.jinjava.util.ObjectTruthValue.evaluate(args.length > 2 ? args[2] : kwargs.get("blank"));
      String indention = width instanceof CharSequence text ? text.toString()
          : " ".repeat((int) Math.max(0, Long.parseLong(String.valueOf(width))));
      List<String> lines = splitLines((var == null ? "None" : var.toString()) + "\n");
      StringBuilder rv = new StringBuilder();
      if (blank) {
        rv.append(String.join("\n" + indention, lines));
      } else {
        rv.append(lines.isEmpty() ? "" : lines.get(0));
        for (int i = 1; i < lines.size(); i++) {
          rv.append('\n').append(lines.get(i).isEmpty() ? "" : indention + lines.get(i));
        }
      }
      return first ? indention + rv : rv.toString();
    }

    // Python's str.splitlines() without keepends.
    private static List<String> splitLines(String s) {
      List<String> lines = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if ("\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029".indexOf(c) >= 0) {
          lines.add(s.substring(start, i));
          if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
            i++;
          }
          start = i + 1;
        }
      }
      if (start < s.length()) {
        lines.add(s.substring(start));
      }
      return lines;
    }
  }
}
