package dro4j.rl.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dro4j.BadInputException;
import dro4j.data.Bundled;
import dro4j.data.InputFiles;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of a configuration record ({@link GrpoConfig}, {@link SftConfig}), found by
 * reflection from their {@link Setting} annotations: their snake_case keys, types, defaults and help
 * texts, and the one conversion path that every source of values goes through (YAML files, command
 * line flags, the Java builders, the defaults themselves).
 *
 * <p>A component without {@link Setting} whose type is a record is a nested group of settings
 * ({@link TrainingArguments}); its keys are flattened into the outer record's, as TRL's configs
 * inherit transformers' TrainingArguments fields, and {@link Defaults} on it overrides its defaults.
 *
 * <p>Value types: {@code int}, {@code long}, {@code double}, {@code boolean} (and their boxes, which
 * may be null), {@code String}, {@code Path}, enums with a static {@code byName(String)} and a
 * {@code configName()} (e.g. {@code LossType}), {@code List<RewardSpec>} and {@code Map<String,
 * Object>} (a YAML mapping with text keys, kept as plain values). Numbers may be written
 * as YAML numbers or as text ({@code 1e-6}, which YAML 1.1 reads as a string).
 *
 * @param <R> the configuration record
 */
public final class ConfigSchema<R extends Record> {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .build());

  /**
   * One setting as documentation shows it.
   *
   * @param key the YAML key (snake_case)
   * @param type a short type name ({@code number}, {@code integer}, {@code boolean}, {@code text},
   *     {@code path}, one of the enum's values, {@code list of rewards})
   * @param defaultValue the default as YAML text ({@code ~} for none)
   * @param help meaning, default and paper
   */
  public record SettingInfo(String key, String type, String defaultValue, String help) {}

  /** A leaf setting: where it sits in the (possibly nested) record and how to read it back. */
  private record Leaf(String key, Class<?> type, Type genericType, List<Method> accessors, String help, String defaultText) {}

  private final Class<R> recordType;
  private final Map<String, Leaf> leaves = new LinkedHashMap<>();
  private final Map<String, Object> defaults = new LinkedHashMap<>();

  private ConfigSchema(Class<R> recordType) {
    this.recordType = recordType;
    collect(recordType, Map.of(), List.of());
    for (Leaf leaf : leaves.values()) {
      try {
        defaults.put(leaf.key(), convert(leaf, parseText(leaf, leaf.defaultText())));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("bad default of " + leaf.key() + ": " + e.getMessage(), e);
      }
    }
  }

  /** The schema of a configuration record whose components carry {@link Setting} annotations. */
  public static <R extends Record> ConfigSchema<R> of(Class<R> recordType) {
    return new ConfigSchema<>(recordType);
  }

  private void collect(Class<?> type, Map<String, String> defaultOverrides, List<Method> path) {
    Map<String, String> unused = new LinkedHashMap<>(defaultOverrides);
    for (RecordComponent rc : type.getRecordComponents()) {
      List<Method> accessors = new ArrayList<>(path);
      accessors.add(rc.getAccessor());
      Setting setting = rc.getAnnotation(Setting.class);
      if (setting == null) {
        if (!rc.getType().isRecord()) {
          throw new IllegalStateException(type.getSimpleName() + "." + rc.getName() + " has no @Setting");
        }
        Map<String, String> nested = new LinkedHashMap<>();
        Defaults d = rc.getAnnotation(Defaults.class);
        if (d != null) {
          for (String pair : d.value()) {
            int eq = pair.indexOf('=');
            nested.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
          }
        }
        collect(rc.getType(), nested, accessors);
        continue;
      }
      String key = snakeCase(rc.getName());
      if (leaves.containsKey(key)) {
        throw new IllegalStateException("setting " + key + " declared twice in " + recordType.getSimpleName());
      }
      String defaultText = unused.containsKey(key) ? unused.remove(key) : setting.defaultValue();
      leaves.put(key, new Leaf(key, rc.getType(), rc.getGenericType(), accessors, setting.help(), defaultText));
    }
    if (!unused.isEmpty()) {
      throw new IllegalStateException("@Defaults names unknown settings " + unused.keySet());
    }
  }

  /** Every setting in declaration order (nested groups first where they are declared first). */
  public List<SettingInfo> settings() {
    List<SettingInfo> out = new ArrayList<>();
    for (Leaf leaf : leaves.values()) {
      out.add(new SettingInfo(leaf.key(), typeName(leaf), leaf.defaultText(), leaf.help()));
    }
    return out;
  }

  /** Whether {@code key} is a setting of this record. */
  public boolean has(String key) {
    return leaves.containsKey(key);
  }

  /** The record with every setting at its default. */
  public R defaults() {
    return build(Map.of());
  }

  /**
   * Builds the record from converted values by key ({@link #convert}); absent keys take their
   * defaults. The records' own checks run and throw {@link BadInputException} naming the key.
   */
  public R build(Map<String, Object> values) {
    for (String key : values.keySet()) {
      requireKnown(key, null);
    }
    return recordType.cast(construct(recordType, values));
  }

  private Object construct(Class<?> type, Map<String, Object> values) {
    RecordComponent[] rcs = type.getRecordComponents();
    Object[] args = new Object[rcs.length];
    Class<?>[] types = new Class<?>[rcs.length];
    for (int i = 0; i < rcs.length; i++) {
      types[i] = rcs[i].getType();
      if (rcs[i].getAnnotation(Setting.class) == null) {
        args[i] = construct(rcs[i].getType(), values);
        continue;
      }
      String key = snakeCase(rcs[i].getName());
      Object v = values.containsKey(key) ? values.get(key) : defaults.get(key);
      if (v == null && types[i].isPrimitive()) {
        throw new BadInputException(key + " must be given (it cannot be null)");
      }
      args[i] = v;
    }
    try {
      Constructor<?> ctor = type.getDeclaredConstructor(types);
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + type.getSimpleName(), e);
    }
  }

  /**
   * Reads the settings of a YAML file (a mapping of keys to values). An empty file has no settings.
   * {@code bundled:NAME} reads a job inside the jar ({@link Bundled#job}); any other relative path
   * resolves against the working directory ({@link InputFiles}).
   *
   * @return converted values by key, in file order
   * @throws BadInputException naming the file and the key: invalid YAML, a duplicate or unknown key,
   *     a value of the wrong type
   */
  public Map<String, Object> read(Path file) {
    if (Bundled.isBundled(file)) {
      return read(Bundled.job(file), file);
    }
    InputFiles.readable(file, "job file");
    try {
      return read(Files.readString(file), file);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Reads settings from YAML text ({@link #read(Path)}); {@code source} names it in error messages.
   */
  public Map<String, Object> read(String yaml, Path source) {
    Path file = source;
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (IOException e) {
      throw new BadInputException(file, "not valid YAML: " + firstLine(e.getMessage()), e);
    }
    Map<String, Object> values = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return values;
    }
    if (!root.isObject()) {
      throw new BadInputException(file, "must be a mapping of settings (key: value), found " + root.getNodeType());
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String key = e.getKey();
      Leaf leaf = requireKnown(key, file);
      try {
        values.put(key, convert(leaf, YAML.convertValue(e.getValue(), Object.class)));
      } catch (IllegalArgumentException ex) {
        throw new BadInputException(file, "key '" + key + "': " + ex.getMessage());
      }
    }
    return values;
  }

  /**
   * Converts a value given as a Java object (a number, a string, a list, a map, as YAML or Jackson
   * produce them) to the setting's type.
   *
   * @throws BadInputException naming the key when the value does not fit
   */
  public Object convert(String key, Object raw) {
    Leaf leaf = requireKnown(key, null);
    try {
      return convert(leaf, raw);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(key + ": " + e.getMessage());
    }
  }

  /**
   * Converts a value written as text on the command line: YAML syntax for numbers, booleans, enums
   * and lists ({@code 1e-5}, {@code true}, {@code [{name: keyword, words: [ball]}]}), the text as is
   * for text and paths ({@code ~} or {@code null} mean none).
   *
   * @throws BadInputException naming the flag when the value does not fit
   */
  public Object convertText(String key, String text) {
    Leaf leaf = requireKnown(key, null);
    try {
      return convert(leaf, parseText(leaf, text));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--" + key + ": " + e.getMessage());
    }
  }

  /**
   * The settings of {@code config} as plain values by key (enums by their config name, paths as
   * text, rewards as maps): the resolved configuration a checkpoint or a log records.
   */
  public Map<String, Object> toMap(R config) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Leaf leaf : leaves.values()) {
      Object v = config;
      try {
        for (Method m : leaf.accessors()) {
          v = m.invoke(v);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      out.put(leaf.key(), plain(v));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * {@code config} as a YAML job ({@link #toMap} in declaration order) that {@link #read} turns back
   * into the same settings: {@code --print-config}.
   */
  public String toYaml(R config) {
    try {
      return YAML_WRITER.writeValueAsString(toMap(config));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A help listing of every setting: key, type, default and help text. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (SettingInfo s : settings()) {
      sb.append("  ").append(s.key()).append(" (").append(s.type()).append(", default ")
          .append(s.defaultValue()).append(")\n      ").append(s.help()).append('\n');
    }
    return sb.toString();
  }

  private Leaf requireKnown(String key, Path file) {
    Leaf leaf = leaves.get(key);
    if (leaf == null) {
      String problem = "unknown key '" + key + "'" + suggestion(key);
      throw file == null ? new BadInputException(problem) : new BadInputException(file, problem);
    }
    return leaf;
  }

  private String suggestion(String key) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : leaves.keySet()) {
      int d = editDistance(key.toLowerCase(Locale.ROOT).replace('-', '_'), k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best != null && bestDistance <= Math.max(2, key.length() / 4) ? " (did you mean '" + best + "'?)" : "";
  }

  private static Object parseText(Leaf leaf, String text) {
    if (leaf.type() == String.class || leaf.type() == Path.class) {
      String t = text.trim();
      return t.equals("~") || t.equals("null") ? null : text;
    }
    try {
      return YAML.readValue(text, Object.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read '" + text + "': " + firstLine(e.getMessage()));
    }
  }

  private static Object convert(Leaf leaf, Object raw) {
    Class<?> t = leaf.type();
    if (raw == null) {
      if (t.isPrimitive()) {
        throw new IllegalArgumentException("must be given (it cannot be null)");
      }
      return null;
    }
    if (t == Map.class) {
      if (!(raw instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException("expected a mapping, got " + describe(raw));
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), v));
      return copy;
    }
    if (!t.isPrimitive() && t != List.class && t.isInstance(raw)) {
      return raw;
    }
    if (t == int.class || t == Integer.class) {
      return Math.toIntExact(integral(raw));
    }
    if (t == long.class || t == Long.class) {
      return integral(raw);
    }
    if (t == double.class || t == Double.class) {
      return number(raw);
    }
    if (t == boolean.class || t == Boolean.class) {
      if (raw instanceof Boolean b) {
        return b;
      }
      if (raw instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
        return Boolean.parseBoolean(s);
      }
      throw new IllegalArgumentException("expected true or false, got " + describe(raw));
    }
    if (t == String.class) {
      return scalarText(raw);
    }
    if (t == Path.class) {
      return Path.of(scalarText(raw));
    }
    if (t.isEnum()) {
      return enumValue(t, scalarText(raw));
    }
    if (t == List.class && elementType(leaf) == RewardSpec.class) {
      return RewardSpec.listFromConfig(raw);
    }
    if (t == List.class && elementType(leaf) == String.class) {
      return names(raw);
    }
    throw new IllegalStateException("unsupported setting type " + leaf.genericType());
  }

  /** A list of names: a YAML list of scalars, or one text with the names separated by commas. */
  private static List<String> names(Object raw) {
    List<String> out = new ArrayList<>();
    if (raw instanceof List<?> list) {
      for (Object o : list) out.add(scalarText(o).trim());
    } else {
      for (String part : scalarText(raw).split(",")) out.add(part.trim());
    }
    out.removeIf(String::isEmpty);
    return List.copyOf(out);
  }

  private static long integral(Object raw) {
    if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
      return ((Number) raw).longValue();
    }
    if (raw instanceof BigInteger b) {
      try {
        return b.longValueExact();
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("integer out of range: " + b);
      }
    }
    if (raw instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected an integer, got '" + s + "'");
      }
    }
    if (raw instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.longValue();
    }
    throw new IllegalArgumentException("expected an integer, got " + describe(raw));
  }

  private static double number(Object raw) {
    if (raw instanceof BigDecimal b) {
      return b.doubleValue();
    }
    if (raw instanceof Number n) {
      return n.doubleValue();
    }
    if (raw instanceof String s) {
      String v = s.trim();
      switch (v.toLowerCase(Locale.ROOT)) {
        case ".inf", "inf", "+.inf" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "-.inf", "-inf" -> {
          return Double.NEGATIVE_INFINITY;
        }
        case ".nan", "nan" -> {
          return Double.NaN;
        }
        default -> {
          try {
            return Double.parseDouble(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a number, got '" + s + "'");
          }
        }
      }
    }
    throw new IllegalArgumentException("expected a number, got " + describe(raw));
  }

  private static String scalarText(Object raw) {
    if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
      return raw.toString();
    }
    throw new IllegalArgumentException("expected a single value, got " + describe(raw));
  }

  private static Object enumValue(Class<?> type, String name) {
    try {
      return type.getMethod("byName", String.class).invoke(null, name);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(e.getCause().getMessage());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type + " has no byName(String)", e);
    }
  }

  private static Class<?> elementType(Leaf leaf) {
    if (leaf.genericType() instanceof ParameterizedType p && p.getActualTypeArguments()[0] instanceof Class<?> c) {
      return c;
    }
    return Object.class;
  }

  private static String typeName(Leaf leaf) {
    Class<?> t = leaf.type();
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "integer";
    if (t == double.class || t == Double.class) return "number";
    if (t == boolean.class || t == Boolean.class) return "boolean";
    if (t == Path.class) return "path";
    if (t == String.class) return "text";
    if (t.isEnum()) {
      List<String> names = new ArrayList<>();
      for (Object c : t.getEnumConstants()) names.add((String) plain(c));
      return String.join(" | ", names);
    }
    if (t == Map.class) return "mapping";
    if (elementType(leaf) == String.class) return "list of names";
    return "list of rewards";
  }

  private static Object plain(Object v) {
    if (v instanceof Enum<?> e) {
      try {
        return e.getClass().getMethod("configName").invoke(e);
      } catch (ReflectiveOperationException ex) {
        return e.name().toLowerCase(Locale.ROOT);
      }
    }
    if (v instanceof Path p) {
      return p.toString();
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object o : list) out.add(o instanceof RewardSpec r ? r.toConfig() : plain(o));
      return out;
    }
    return v;
  }

  private static String describe(Object raw) {
    if (raw instanceof List) return "a list";
    if (raw instanceof Map) return "a mapping";
    if (raw instanceof String s) return "'" + s + "'";
    return String.valueOf(raw);
  }

  private static String firstLine(String message) {
    if (message == null) return "";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  static String snakeCase(String camel) {
    StringBuilder sb = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        sb.append('_').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }
}
