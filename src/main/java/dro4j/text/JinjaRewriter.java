package dro4j.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites the expressions of a Jinja template into forms Jinjava 2.8.3 parses the way Python Jinja
 * does, leaving the text between tags, comments and {@code raw} blocks byte for byte as they are:
 *
 * <ul>
 *   <li>slices with a step, {@code x[a:b:c]} ({@code messages[::-1]}), become {@code
 *       (x|py_slice(a, b, c))}; Jinjava parses only {@code [a:b]};
 *   <li>{@code +} gets spaces around it: Jinjava reads {@code x+1} as {@code x} followed by the
 *       number {@code +1};
 *   <li>{@code not X} becomes {@code not (X)}, X running to the next {@code and}, {@code or}, {@code
 *       if}, {@code else}, comma or closing bracket: Python's precedence, where {@code not
 *       x|length == 1} is {@code not (x|length == 1)}; {@code is not} and {@code not in} stay;
 *   <li>{@code for x in items if cond} becomes {@code for x in (items)|py_loop_filter('x', 'cond')}:
 *       Jinjava ignores the condition;
 *   <li>{@code loop.previtem}/{@code loop.nextitem} (which Jinjava lacks) index the loop's items,
 *       set into a variable just before the loop;
 *   <li>a keyword argument with an operator in its value, {@code namespace(i=messages|length - 1)},
 *       gets the value in parentheses: Jinjava otherwise applies the operator to the named
 *       parameter itself.
 * </ul>
 */
final class JinjaRewriter {
  private JinjaRewriter() {}

  private static final Set<String> NOT_STOPS = Set.of("and", "or", "if", "else");

  /**
   * The template with every {@code {{ ... }}} and {@code {% ... %}} rewritten, and Jinja's {@code
   * lstrip_blocks} applied (Jinjava's own strips the spaces before a tag in the middle of a line
   * too, {@code {{ name }}: {% if %}}, so it is left off).
   */
  static String rewrite(String template) {
    StringBuilder out = new StringBuilder(template.length() + 64);
    int i = 0;
    int n = template.length();
    boolean neighbours = template.contains("loop.previtem") || template.contains("loop.nextitem");
    java.util.Deque<String> loops = new java.util.ArrayDeque<>();
    int loopCount = 0;
    while (i < n) {
      int open = nextOpen(template, i);
      if (open < 0) {
        out.append(template, i, n);
        break;
      }
      char kind = template.charAt(open + 1);
      char sign = open + 2 < n ? template.charAt(open + 2) : ' ';
      out.append(template, i, kind == '{' || sign == '-' || sign == '+' ? open : lstripEnd(template, i, open));
      if (kind == '#') {
        int close = template.indexOf("#}", open + 2);
        int end = close < 0 ? n : close + 2;
        out.append(template, open, end);
        i = end;
        continue;
      }
      String closing = kind == '{' ? "}}" : "%}";
      int bodyStart = open + 2;
      if (bodyStart < n && (template.charAt(bodyStart) == '-' || template.charAt(bodyStart) == '+')) {
        bodyStart++;
      }
      int close = findClose(template, bodyStart, closing);
      if (close < 0) { // unterminated: leave it to Jinjava to report
        out.append(template, open, n);
        break;
      }
      int bodyEnd = close;
      if (bodyEnd > bodyStart && (template.charAt(bodyEnd - 1) == '-' || template.charAt(bodyEnd - 1) == '+')) {
        bodyEnd--;
      }
      String body = template.substring(bodyStart, bodyEnd);
      String opening = template.substring(open, bodyStart);
      if (opening.equals("{%+")) {
        opening = "{%"; // lstrip is done here
      }
      String rewritten = rewriteExpression(body);
      if (neighbours && kind == '%') {
        String keyword = firstWord(body);
        if (keyword.equals("for")) {
          // loop.previtem/nextitem: iterate over a named list, indexed by loop.index0.
          String items = "__loop_items_" + ++loopCount;
          List<Token> tokens = tokenize(rewritten);
          int in = topLevelName(tokens, "in");
          if (in > 0) {
            out.append(opening).append(" set ").append(items).append(" = (")
                .append(join(tokens, in + 1, tokens.size()).strip()).append(")|py_loop_filter('_', 'true') %}");
            rewritten = join(tokens, 0, in + 1) + " " + items + " ";
          }
          loops.push(items);
        } else if (keyword.equals("endfor") && !loops.isEmpty()) {
          loops.pop();
        }
      }
      if (neighbours && !loops.isEmpty()) {
        rewritten = neighbourItems(rewritten, loops.peek());
      }
      out.append(opening).append(rewritten).append(template, bodyEnd, close + 2);
      i = close + 2;
      if (kind == '%' && body.strip().equals("raw")) {
        int endRaw = findEndRaw(template, i);
        out.append(template, i, endRaw);
        i = endRaw;
      }
    }
    return out.toString();
  }

  private static String firstWord(String body) {
    List<Token> tokens = tokenize(body);
    int first = nextSolid(tokens, -1);
    return first < 0 ? "" : tokens.get(first).text();
  }

  private static int topLevelName(List<Token> tokens, String name) {
    int depth = 0;
    for (int k = 0; k < tokens.size(); k++) {
      Token t = tokens.get(k);
      if (t.opens()) {
        depth++;
      } else if (t.closes()) {
        depth--;
      } else if (depth == 0 && t.kind() == Kind.NAME && t.text().equals(name)) {
        return k;
      }
    }
    return -1;
  }

  // loop.previtem and loop.nextitem of the innermost loop, whose items are the list named items.
  private static String neighbourItems(String body, String items) {
    List<Token> tokens = tokenize(body);
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < tokens.size(); k++) {
      if (k + 2 < tokens.size() && tokens.get(k).is("loop") && tokens.get(k + 1).is(".")
          && (tokens.get(k + 2).is("previtem") || tokens.get(k + 2).is("nextitem"))
          && (k == 0 || !tokens.get(k - 1).is("."))) {
        out.append(tokens.get(k + 2).is("previtem")
            ? "(" + items + "[loop.index0 - 1] if loop.index0 > 0 else none)"
            : "(" + items + "[loop.index0 + 1] if not loop.last else none)");
        k += 2;
      } else {
        out.append(tokens.get(k).text());
      }
    }
    return out.toString();
  }

  // Where the text before a block or comment tag at [open] ends under lstrip_blocks: before the
  // whitespace that alone precedes the tag on its line (text is template[from, open)).
  private static int lstripEnd(String template, int from, int open) {
    int lineStart = template.lastIndexOf('\n', open - 1) + 1;
    if (lineStart <= from && from != 0) {
      return open; // the tag follows another tag on the same line
    }
    int start = Math.max(lineStart, from);
    for (int k = start; k < open; k++) {
      if (!Character.isWhitespace(template.charAt(k))) {
        return open;
      }
    }
    return start;
  }

  private static int nextOpen(String s, int from) {
    for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
      char c = s.charAt(i + 1);
      if (c == '{' || c == '%' || c == '#') {
        return i;
      }
    }
    return -1;
  }

  // The closing delimiter, skipping string literals.
  private static int findClose(String s, int from, String closing) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = endOfString(s, i) - 1;
      } else if (s.startsWith(closing, i)) {
        return i;
      }
    }
    return -1;
  }

  // The start of the tag that ends a raw block (the raw text up to it is copied as it is).
  private static int findEndRaw(String s, int from) {
    for (int i = s.indexOf("{%", from); i >= 0; i = s.indexOf("{%", i + 2)) {
      int j = i + 2;
      if (j < s.length() && (s.charAt(j) == '-' || s.charAt(j) == '+')) {
        j++;
      }
      int close = s.indexOf("%}", j);
      if (close < 0) {
        break;
      }
      String inner = s.substring(j, close);
      if (inner.endsWith("-") || inner.endsWith("+")) {
        inner = inner.substring(0, inner.length() - 1);
      }
      if (inner.strip().equals("endraw")) {
        return i;
      }
    }
    return s.length();
  }

  private static int endOfString(String s, int quote) {
    char q = s.charAt(quote);
    int i = quote + 1;
    while (i < s.length() && s.charAt(i) != q) {
      i += s.charAt(i) == '\\' ? 2 : 1;
    }
    return Math.min(s.length(), i + 1);
  }

  // ---------------------------------------------------------------- expressions

  enum Kind { SPACE, STRING, NUMBER, NAME, OP }

  record Token(Kind kind, String text) {
    boolean is(String s) {
      return (kind == Kind.OP || kind == Kind.NAME) && text.equals(s);
    }

    boolean opens() {
      return kind == Kind.OP && (text.equals("(") || text.equals("[") || text.equals("{"));
    }

    boolean closes() {
      return kind == Kind.OP && (text.equals(")") || text.equals("]") || text.equals("}"));
    }
  }

  static String rewriteExpression(String body) {
    String s = body;
    // Each step slice is rewritten alone, then the text is read again (receivers may hold slices).
    for (int guard = 0; guard < 1000; guard++) {
      String next = rewriteFirstStepSlice(tokenize(s));
      if (next == null) {
        break;
      }
      s = next;
    }
    s = parenthesizeNot(tokenize(s));
    s = parenthesizeKeywordValues(tokenize(s));
    StringBuilder spaced = new StringBuilder(s.length() + 8);
    for (Token t : tokenize(s)) {
      spaced.append(t.is("+") ? " + " : t.text());
    }
    // Last, so that the condition moved into a string has had the rewrites above.
    return filterLoop(tokenize(spaced.toString()));
  }

  static List<Token> tokenize(String s) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int j = i + 1;
      Kind kind;
      if (Character.isWhitespace(c)) {
        while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
          j++;
        }
        kind = Kind.SPACE;
      } else if (c == '\'' || c == '"') {
        j = endOfString(s, i);
        kind = Kind.STRING;
      } else if (Character.isDigit(c)) {
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.' || s.charAt(j) == '_')) {
          j++;
        }
        kind = Kind.NUMBER;
      } else if (Character.isLetter(c) || c == '_') {
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        kind = Kind.NAME;
      } else {
        String two = s.length() >= i + 2 ? s.substring(i, i + 2) : "";
        if (List.of("==", "!=", "<=", ">=", "//", "**").contains(two)) {
          j = i + 2;
        }
        kind = Kind.OP;
      }
      tokens.add(new Token(kind, s.substring(i, j)));
      i = j;
    }
    return tokens;
  }

  private static String join(List<Token> tokens, int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      b.append(tokens.get(i).text());
    }
    return b.toString();
  }

  private static int matching(List<Token> tokens, int open) {
    int depth = 0;
    for (int i = open; i < tokens.size(); i++) {
      if (tokens.get(i).opens()) {
        depth++;
      } else if (tokens.get(i).closes() && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static int prevSolid(List<Token> tokens, int i) {
    for (int k = i - 1; k >= 0; k--) {
      if (tokens.get(k).kind() != Kind.SPACE) {
        return k;
      }
    }
    return -1;
  }

  private static int nextSolid(List<Token> tokens, int i) {
    for (int k = i + 1; k < tokens.size(); k++) {
      if (tokens.get(k).kind() != Kind.SPACE) {
        return k;
      }
    }
    return -1;
  }

  // The first token of the postfix chain (name, attributes, subscripts, calls) that ends at end.
  private static int receiverStart(List<Token> tokens, int end) {
    int i = end;
    while (i >= 0) {
      Token t = tokens.get(i);
      int start;
      if (t.closes()) {
        start = openingOf(tokens, i);
        if (start < 0) {
          return -1;
        }
      } else if (t.kind() == Kind.NAME || t.kind() == Kind.STRING || t.kind() == Kind.NUMBER) {
        start = i;
      } else {
        return -1;
      }
      int before = start - 1; // attributes and subscripts are written without spaces
      if (before >= 0 && tokens.get(before).is(".")) {
        i = before - 1;
      } else if (before >= 0 && (tokens.get(start).is("[") || tokens.get(start).is("("))
          && (tokens.get(before).closes() || tokens.get(before).kind() == Kind.NAME
              || tokens.get(before).kind() == Kind.STRING)) {
        i = before;
      } else {
        return start;
      }
    }
    return -1;
  }

  private static int openingOf(List<Token> tokens, int close) {
    int depth = 0;
    for (int i = close; i >= 0; i--) {
      if (tokens.get(i).closes()) {
        depth++;
      } else if (tokens.get(i).opens() && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static String rewriteFirstStepSlice(List<Token> tokens) {
    for (int i = 0; i < tokens.size(); i++) {
      if (!tokens.get(i).is("[")) {
        continue;
      }
      int close = matching(tokens, i);
      if (close < 0) {
        return null;
      }
      List<Integer> colons = new ArrayList<>();
      int depth = 0;
      for (int k = i + 1; k < close; k++) {
        Token t = tokens.get(k);
        if (t.opens()) {
          depth++;
        } else if (t.closes()) {
          depth--;
        } else if (depth == 0 && t.is(":")) {
          colons.add(k);
        }
      }
      if (colons.size() != 2 || i == 0) {
        continue;
      }
      int start = receiverStart(tokens, i - 1);
      if (start < 0) {
        continue;
      }
      String a = join(tokens, i + 1, colons.get(0)).strip();
      String b = join(tokens, colons.get(0) + 1, colons.get(1)).strip();
      String c = join(tokens, colons.get(1) + 1, close).strip();
      String call =
          "(" + join(tokens, start, i) + "|py_slice(" + orNone(a) + ", " + orNone(b) + ", " + orNone(c) + "))";
      return join(tokens, 0, start) + call + join(tokens, close + 1, tokens.size());
    }
    return null;
  }

  private static String orNone(String part) {
    return part.isEmpty() ? "none" : part;
  }

  private static String parenthesizeNot(List<Token> tokens) {
    String[] open = new String[tokens.size() + 1];
    String[] close = new String[tokens.size() + 1];
    for (int i = 0; i < tokens.size(); i++) {
      if (!tokens.get(i).is("not") || tokens.get(i).kind() != Kind.NAME) {
        continue;
      }
      int prev = prevSolid(tokens, i);
      int next = nextSolid(tokens, i);
      if (next < 0 || (prev >= 0 && tokens.get(prev).is("is")) || tokens.get(next).is("in")) {
        continue;
      }
      int depth = 0;
      int end = tokens.size();
      for (int k = next; k < tokens.size(); k++) {
        Token t = tokens.get(k);
        if (t.opens()) {
          depth++;
        } else if (t.closes()) {
          if (--depth < 0) {
            end = k;
            break;
          }
        } else if (depth == 0 && (t.is(",") || t.is(":") || (t.kind() == Kind.NAME && NOT_STOPS.contains(t.text())))) {
          end = k;
          break;
        }
      }
      add(open, next, "(");
      add(close, prevSolid(tokens, end) + 1, ")");
    }
    return insert(tokens, open, close);
  }

  private static void add(String[] at, int index, String text) {
    at[index] = at[index] == null ? text : at[index] + text;
  }

  // Before token i: close[i], then open[i]; index tokens.size() is the end.
  private static String insert(List<Token> tokens, String[] open, String[] close) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i <= tokens.size(); i++) {
      if (close[i] != null) {
        out.append(close[i]);
      }
      if (open[i] != null) {
        out.append(open[i]);
      }
      if (i < tokens.size()) {
        out.append(tokens.get(i).text());
      }
    }
    return out.toString();
  }

  private static String parenthesizeKeywordValues(List<Token> tokens) {
    int first = nextSolid(tokens, -1);
    if (first >= 0 && (tokens.get(first).is("macro") || tokens.get(first).is("call"))) {
      return join(tokens, 0, tokens.size());
    }
    String[] open = new String[tokens.size() + 1];
    String[] close = new String[tokens.size() + 1];
    for (int i = 0; i < tokens.size(); i++) {
      if (!tokens.get(i).is("(")) {
        continue;
      }
      int prev = prevSolid(tokens, i);
      int end = matching(tokens, i);
      if (prev < 0 || end < 0 || !(tokens.get(prev).kind() == Kind.NAME || tokens.get(prev).closes())) {
        continue; // a parenthesized expression, not a call
      }
      int argStart = i + 1;
      int depth = 0;
      for (int k = i + 1; k <= end; k++) {
        Token t = tokens.get(k);
        if (k < end && t.opens()) {
          depth++;
        } else if (k < end && t.closes()) {
          depth--;
        } else if (k == end || (depth == 0 && t.is(","))) {
          keywordValue(tokens, argStart, k, open, close);
          argStart = k + 1;
        }
      }
    }
    return insert(tokens, open, close);
  }

  // Parentheses around the value of the argument tokens[from, to) when it is name=value, value more than one token.
  private static void keywordValue(List<Token> tokens, int from, int to, String[] open, String[] close) {
    int name = nextSolid(tokens, from - 1);
    int eq = name >= 0 ? nextSolid(tokens, name) : -1;
    if (name < 0 || eq < 0 || eq >= to || tokens.get(name).kind() != Kind.NAME || !tokens.get(eq).is("=")) {
      return;
    }
    int valueStart = nextSolid(tokens, eq);
    int valueEnd = prevSolid(tokens, to);
    if (valueStart >= 0 && valueStart < valueEnd) {
      add(open, valueStart, "(");
      add(close, valueEnd + 1, ")");
    }
  }

  // {% for targets in iterable if condition %}: the condition moves into a py_loop_filter call.
  private static String filterLoop(List<Token> tokens) {
    int first = nextSolid(tokens, -1);
    if (first < 0 || !tokens.get(first).is("for")) {
      return join(tokens, 0, tokens.size());
    }
    int in = -1;
    int cond = -1;
    int depth = 0;
    for (int k = first + 1; k < tokens.size(); k++) {
      Token t = tokens.get(k);
      if (t.opens()) {
        depth++;
      } else if (t.closes()) {
        depth--;
      } else if (depth == 0 && t.kind() == Kind.NAME) {
        if (in < 0 && t.text().equals("in")) {
          in = k;
        } else if (in >= 0 && t.text().equals("if")) {
          cond = k;
        } else if (cond >= 0 && t.text().equals("else")) {
          return join(tokens, 0, tokens.size()); // a conditional expression, not a loop filter
        }
      }
    }
    if (in < 0 || cond < 0) {
      return join(tokens, 0, tokens.size());
    }
    String targets = join(tokens, first + 1, in).strip();
    String iterable = join(tokens, in + 1, cond).strip();
    String condition = join(tokens, cond + 1, tokens.size()).strip();
    return join(tokens, 0, first + 1) + " " + targets + " in (" + iterable + ")|py_loop_filter("
        + quote(targets) + ", " + quote(condition) + ") ";
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
