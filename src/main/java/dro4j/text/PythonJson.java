package dro4j.text;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes plain Java values exactly as Python's {@code json.dumps} does, which is what chat templates
 * get from transformers' {@code tojson} filter: separators {@code ", "} and {@code ": "} (or
 * {@code ","} and {@code ": "} when indenting), keys in map order, Python's float repr, NaN and
 * Infinity written bare.
 */
final class PythonJson {

  /**
   * Options of {@code json.dumps}.
   *
   * @param indent null for one line, else the string put before each nesting level
   * @param ensureAscii escape every character outside printable ASCII as {@code \\uXXXX}
   * @param sortKeys write map entries in key order
   * @param itemSeparator between items (Python's default depends on {@code indent})
   * @param keySeparator between a key and its value
   */
  record Options(
      String indent, boolean ensureAscii, boolean sortKeys, String itemSeparator, String keySeparator) {

    /** {@code json.dumps(x, ensure_ascii=False)}. */
    static Options compact() {
      return new Options(null, false, false, ", ", ": ");
    }
  }

  private final Options options;
  private final StringBuilder out = new StringBuilder();

  private PythonJson(Options options) {
    this.options = options;
  }

  /** {@code json.dumps(value, ...)} for a value made of maps, collections, strings, numbers, booleans and nulls. */
  static String dumps(Object value, Options options) {
    PythonJson writer = new PythonJson(options);
    writer.write(value, 0);
    return writer.out.toString();
  }

  private void write(Object value, int depth) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof CharSequence text) {
      writeString(text.toString());
    } else if (value instanceof Boolean bool) {
      out.append(bool ? "true" : "false");
    } else if (value instanceof Double || value instanceof Float) {
      out.append(floatRepr(((Number) value).doubleValue()));
    } else if (value instanceof BigDecimal decimal) {
      out.append(floatRepr(decimal.doubleValue()));
    } else if (value instanceof Number number) {
      out.append(number instanceof BigInteger ? number.toString() : Long.toString(number.longValue()));
    } else if (value instanceof Map<?, ?> map) {
      writeMap(map, depth);
    } else if (value instanceof Collection<?> collection) {
      writeList(collection, depth);
    } else if (value instanceof Object[] array) {
      writeList(Arrays.asList(array), depth);
    } else if (value instanceof SafeString safe) {
      writeString(safe.toString());
    } else {
      // Other Java objects (records, beans) go through Jackson to maps and lists first.
      Object plain;
      try {
        plain = JsonFiles.MAPPER.convertValue(value, Object.class);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Object of type " + value.getClass().getSimpleName() + " is not JSON serializable", e);
      }
      write(plain, depth);
    }
  }

  private void writeMap(Map<?, ?> map, int depth) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
    if (options.sortKeys()) {
      entries.sort((a, b) -> keyString(a.getKey()).compareTo(keyString(b.getKey())));
    }
    out.append('{');
    for (int i = 0; i < entries.size(); i++) {
      if (i > 0) {
        out.append(options.itemSeparator());
      }
      newline(depth + 1);
      writeString(keyString(entries.get(i).getKey()));
      out.append(options.keySeparator());
      write(entries.get(i).getValue(), depth + 1);
    }
    newline(depth);
    out.append('}');
  }

  private void writeList(Collection<?> list, int depth) {
    if (list.isEmpty()) {
      out.append("[]");
      return;
    }
    out.append('[');
    int i = 0;
    for (Object element : list) {
      if (i++ > 0) {
        out.append(options.itemSeparator());
      }
      newline(depth + 1);
      write(element, depth + 1);
    }
    newline(depth);
    out.append(']');
  }

  private void newline(int depth) {
    if (options.indent() != null) {
      out.append('\n').append(options.indent().repeat(depth));
    }
  }

  // Python turns keys that are numbers, booleans or None into strings the JSON way.
  private static String keyString(Object key) {
    if (key == null) {
      return "null";
    }
    if (key instanceof Boolean bool) {
      return bool ? "true" : "false";
    }
    if (key instanceof Double || key instanceof Float) {
      return floatRepr(((Number) key).doubleValue());
    }
    return key.toString();
  }

  private void writeString(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          boolean escape = c < 0x20 || (options.ensureAscii() && c > 0x7e);
          if (escape) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /**
   * Python's {@code repr(float)}: the shortest decimal that reads back as the same double, in
   * positional form for exponents -5 &lt; e &lt; 16 ({@code 1e-05}, {@code 0.0001}, {@code
   * 1000000000000000.0}, {@code 1e+16}).
   */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    // The fewest digits that read back as the same double; among those, the nearest. Both the
    // nearest-below and nearest-above candidates are tried because at a power of two the interval
    // that rounds to d is lopsided. (Java 17's Double.toString is not always shortest.)
    double magnitude = Math.abs(d);
    BigDecimal exact = new BigDecimal(magnitude);
    BigDecimal shortest = exact;
    for (int precision = 1; precision <= 17; precision++) {
      BigDecimal best = null;
      for (RoundingMode mode : new RoundingMode[] {RoundingMode.FLOOR, RoundingMode.CEILING}) {
        BigDecimal candidate = exact.round(new MathContext(precision, mode));
        boolean closer =
            best == null
                || candidate.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0;
        if (candidate.doubleValue() == magnitude && closer) {
          best = candidate;
        }
      }
      if (best != null) {
        shortest = best;
        break;
      }
    }
    shortest = shortest.stripTrailingZeros();
    String digits = shortest.unscaledValue().toString();
    // value = 0.digits * 10^pointPosition
    int pointPosition = digits.length() - shortest.scale();
    int exponent = pointPosition - 1;
    StringBuilder s = new StringBuilder(d < 0 ? "-" : "");
    if (exponent < -4 || exponent >= 16) {
      s.append(digits.charAt(0));
      if (digits.length() > 1) {
        s.append('.').append(digits, 1, digits.length());
      }
      s.append('e').append(exponent < 0 ? '-' : '+');
      String exp = Integer.toString(Math.abs(exponent));
      s.append(exp.length() < 2 ? "0" + exp : exp);
    } else if (pointPosition <= 0) {
      s.append("0.").append("0".repeat(-pointPosition)).append(digits);
    } else if (pointPosition >= digits.length()) {
      s.append(digits).append("0".repeat(pointPosition - digits.length())).append(".0");
    } else {
      s.append(digits, 0, pointPosition).append('.').append(digits, pointPosition, digits.length());
    }
    return s.toString();
  }
}
