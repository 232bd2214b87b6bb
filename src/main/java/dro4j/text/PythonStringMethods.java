package dro4j.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import jinjava.javax.el.ELContext;

/**
 * Python {@code str} methods for Jinjava, which otherwise calls the Java {@code String} methods of
 * the same name. Chat templates call {@code strip}, {@code startswith}, {@code split}, ... as in
 * Python; Java lacks most of them (an error) and Java's {@code split} takes a regular expression
 * and drops trailing empty strings (silently different output: {@code "a</think>".split("</think>")[-1]}
 * must be {@code ""}). Only string receivers and the methods below are handled; everything else
 * falls through to Jinjava's own resolvers.
 */
final class PythonStringMethods extends TemplateFunctions.ResolvesNothing {
  private static final Set<String> METHODS =
      Set.of(
          "strip", "lstrip", "rstrip", "startswith", "endswith", "upper", "lower", "title",
          "capitalize", "split", "replace", "find", "count", "join");

  /** A Python error ({@code ValueError}, {@code TypeError}) raised inside a template. */
  static final class PythonError extends RuntimeException {
    PythonError(String message) {
      super(message);
    }
  }

  private final long maxLength;

  /** Methods whose results may hold at most {@code maxLength} characters. */
  PythonStringMethods(long maxLength) {
    this.maxLength = maxLength;
  }

  /** Without a bound on result lengths. */
  PythonStringMethods() {
    this(Long.MAX_VALUE);
  }

  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(base instanceof String s) || !(method instanceof String name) || !METHODS.contains(name)) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    long length = resultLength(s, name, args);
    if (length > maxLength) {
      throw new PythonError("str." + name + "() would build " + length + " characters, over the limit of " + maxLength);
    }
    Object result = call(s, name, args);
    context.setPropertyResolved(true);
    return result;
  }

  static Object call(String s, String name, Object[] args) {
    return switch (name) {
      case "strip" -> strip(s, chars(name, args), true, true);
      case "lstrip" -> strip(s, chars(name, args), true, false);
      case "rstrip" -> strip(s, chars(name, args), false, true);
      case "startswith" -> affix(s, name, args, true);
      case "endswith" -> affix(s, name, args, false);
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> title(s);
      case "capitalize" -> s.isEmpty()
          ? s
          : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      case "split" -> split(s, args);
      case "replace" -> replace(s, args);
      case "find" -> find(s, args);
      case "count" -> count(s, args);
      case "join" -> join(s, args);
      default -> throw new IllegalStateException(name);
    };
  }

  // The length of what replace and join would build (they are the methods that can grow a string
  // without bound); 0 for the others, and for arguments call() rejects.
  private static long resultLength(String s, String name, Object[] args) {
    if (name.equals("replace") && args.length >= 2 && args[0] instanceof CharSequence old
        && args[1] instanceof CharSequence replacement) {
      long occurrences = old.length() == 0 ? s.length() + 1L : count(s, new Object[] {old.toString()});
      if (args.length == 3 && args[2] instanceof Number limit && limit.longValue() >= 0) {
        occurrences = Math.min(occurrences, limit.longValue());
      }
      return s.length() + occurrences * (replacement.length() - (long) old.length());
    }
    if (name.equals("join") && args.length == 1 && args[0] instanceof Iterable<?> items) {
      long total = 0;
      long n = 0;
      for (Object item : items) {
        total += item instanceof CharSequence text ? text.length() : 0;
        n++;
      }
      return total + Math.max(0, n - 1) * (long) s.length();
    }
    return 0;
  }

  private static String chars(String name, Object[] args) {
    if (args.length > 1) {
      throw new PythonError(name + "() takes at most 1 argument (" + args.length + " given)");
    }
    if (args.length == 0 || args[0] == null) {
      return null;
    }
    return requireString(name, args[0]);
  }

  private static String requireString(String name, Object arg) {
    if (!(arg instanceof CharSequence text)) {
      throw new PythonError(
          name + "() argument must be str, not " + (arg == null ? "None" : arg.getClass().getSimpleName()));
    }
    return text.toString();
  }

  // Python's str.isspace(): Java whitespace plus the no-break spaces.
  private static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  private static String strip(String s, String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && stripped(s.charAt(start), chars)) {
      start++;
    }
    while (right && end > start && stripped(s.charAt(end - 1), chars)) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean stripped(char c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  private static boolean affix(String s, String name, Object[] args, boolean prefix) {
    if (args.length != 1) {
      throw new PythonError(name + "() takes exactly 1 argument here (" + args.length + " given)");
    }
    List<String> candidates = new ArrayList<>();
    if (args[0] instanceof Collection<?> many) {
      for (Object one : many) {
        candidates.add(requireString(name, one));
      }
    } else {
      candidates.add(requireString(name, args[0]));
    }
    for (String candidate : candidates) {
      if (prefix ? s.startsWith(candidate) : s.endsWith(candidate)) {
        return true;
      }
    }
    return false;
  }

  private static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
    }
    return out.toString();
  }

  private static List<String> split(String s, Object[] args) {
    if (args.length > 2) {
      throw new PythonError("split() takes at most 2 arguments (" + args.length + " given)");
    }
    String separator = args.length > 0 && args[0] != null ? requireString("split", args[0]) : null;
    long maxSplit = args.length > 1 ? ((Number) args[1]).longValue() : -1;
    List<String> parts = new ArrayList<>();
    if (separator == null) {
      // Runs of whitespace separate; leading and trailing whitespace gives no empty strings.
      int i = 0;
      while (i < s.length()) {
        while (i < s.length() && isSpace(s.charAt(i))) {
          i++;
        }
        if (i == s.length()) {
          break;
        }
        if (maxSplit >= 0 && parts.size() == maxSplit) {
          parts.add(s.substring(i));
          return parts;
        }
        int start = i;
        while (i < s.length() && !isSpace(s.charAt(i))) {
          i++;
        }
        parts.add(s.substring(start, i));
      }
      return parts;
    }
    if (separator.isEmpty()) {
      throw new PythonError("ValueError: empty separator");
    }
    int start = 0;
    int at;
    while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, start)) >= 0) {
      parts.add(s.substring(start, at));
      start = at + separator.length();
    }
    parts.add(s.substring(start));
    return parts;
  }

  private static String replace(String s, Object[] args) {
    if (args.length < 2 || args.length > 3) {
      throw new PythonError("replace() takes 2 or 3 arguments (" + args.length + " given)");
    }
    String old = requireString("replace", args[0]);
    String replacement = requireString("replace", args[1]);
    long count = args.length == 3 ? ((Number) args[2]).longValue() : -1;
    if (count < 0) {
      return s.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int start = 0;
    for (long done = 0; done < count; done++) {
      int at = old.isEmpty() ? (start <= s.length() ? start : -1) : s.indexOf(old, start);
      if (at < 0) {
        break;
      }
      if (old.isEmpty()) {
        out.append(replacement);
        if (at < s.length()) {
          out.append(s.charAt(at));
        }
        start = at + 1;
      } else {
        out.append(s, start, at).append(replacement);
        start = at + old.length();
      }
    }
    if (start < s.length()) {
      out.append(s, start, s.length());
    }
    return out.toString();
  }

  // Python indexes code points, Java UTF-16 units.
  private static long find(String s, Object[] args) {
    if (args.length != 1) {
      throw new PythonError("find() takes exactly 1 argument here (" + args.length + " given)");
    }
    int at = s.indexOf(requireString("find", args[0]));
    return at < 0 ? -1 : s.codePointCount(0, at);
  }

  private static long count(String s, Object[] args) {
    if (args.length != 1) {
      throw new PythonError("count() takes exactly 1 argument here (" + args.length + " given)");
    }
    String sub = requireString("count", args[0]);
    if (sub.isEmpty()) {
      return s.codePointCount(0, s.length()) + 1;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static String join(String separator, Object[] args) {
    if (args.length != 1 || !(args[0] instanceof Iterable<?> items)) {
      throw new PythonError("join() takes one iterable argument");
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    for (Iterator<?> it = items.iterator(); it.hasNext(); i++) {
      Object item = it.next();
      if (!(item instanceof CharSequence)) {
        throw new PythonError("sequence item " + i + ": expected str instance, "
            + (item == null ? "NoneType" : item.getClass().getSimpleName()) + " found");
      }
      if (i > 0) {
        out.append(separator);
      }
      out.append(item);
    }
    return out.toString();
  }

  // Only method calls are handled here; property access belongs to the other resolvers.
}
