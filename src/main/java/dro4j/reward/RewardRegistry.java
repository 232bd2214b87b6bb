package dro4j.reward;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.reward.compose.CompositeRewards;
import dro4j.reward.judge.JudgeRewards;
import dro4j.reward.likelihood.LikelihoodRewards;
import dro4j.reward.verifiable.VerifiableRewards;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds rewards from a name and parameters, as written in a JSON configuration ({@code {"name":
 * "numeric_match", "tolerance": 0.02}}) or on the command line ({@code --reward numeric_match
 * --param tolerance=0.02}), and documents every reward it knows.
 *
 * <p>Each reward is an {@link Entry}: a name, a one-paragraph description naming its paper, its
 * {@link Param parameters} (type, default, description) and a {@link Factory}. Parameters are
 * checked before the factory runs: an unknown name, an unknown parameter, a missing required one or
 * a value of the wrong type gives a {@link BadInputException} that names the reward and the
 * parameter. Parameter values may be JSON values or strings (the command line's {@code k=v}): {@code
 * "0.02"} is read as a number for a number parameter, {@code "a,b"} or {@code "[\"a\",\"b\"]"} as a
 * list of strings, and a JSON object text as a nested reward.
 *
 * <p>Combinators take nested rewards: a {@link Type#REWARD} parameter is itself a reward config,
 * and a {@link Type#LIST} parameter is a list of objects with their own parameters (for example
 * {@code weighted_sum}'s {@code rewards: [{"reward": {...}, "weight": 0.5}]}).
 *
 * <p>{@link #standard()} registers every built-in reward; each package contributes a static {@code
 * register(RewardRegistry)} ({@code VerifiableRewards}, {@code JudgeRewards}, {@code
 * CompositeRewards}, {@code LikelihoodRewards}), so adding a family of rewards is one class and one line in {@link
 * #standard()}.
 */
public final class RewardRegistry {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Map<String, Entry> entries = new TreeMap<>();

  /** An empty registry. */
  public RewardRegistry() {}

  /** A registry with every built-in reward. */
  public static RewardRegistry standard() {
    RewardRegistry registry = new RewardRegistry();
    VerifiableRewards.register(registry);
    JudgeRewards.register(registry);
    CompositeRewards.register(registry);
    LikelihoodRewards.register(registry);
    return registry;
  }

  /** The type of a parameter value. */
  public enum Type {
    /** A finite or infinite double (not NaN). */
    NUMBER,
    /** An int. */
    INTEGER,
    /** true or false. */
    BOOLEAN,
    /** A string, possibly restricted to {@link Param#choices()}. */
    STRING,
    /** A list of strings. */
    STRING_LIST,
    /** A nested reward config ({@code {"name": ..., ...}}). */
    REWARD,
    /** A list of objects whose keys are {@link Param#items()}. */
    LIST;

    String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
  }

  /**
   * One parameter of a reward.
   *
   * @param name the key in the config
   * @param type the value type
   * @param required whether the config must give it
   * @param defaultValue the value when absent (null: absent means "not set")
   * @param doc what it means, with its paper default where there is one
   * @param choices the allowed values of a {@link Type#STRING}, empty for any
   * @param items the keys of each object of a {@link Type#LIST}
   */
  public record Param(
      String name, Type type, boolean required, Object defaultValue, String doc, List<String> choices, List<Param> items) {

    /** Copies the lists. */
    public Param {
      choices = List.copyOf(choices);
      items = List.copyOf(items);
    }

    /** A parameter the config must give. */
    public static Param required(String name, Type type, String doc) {
      return new Param(name, type, true, null, doc, List.of(), List.of());
    }

    /** A parameter with a default ({@code null}: unset unless given). */
    public static Param optional(String name, Type type, Object defaultValue, String doc) {
      return new Param(name, type, false, defaultValue, doc, List.of(), List.of());
    }

    /** A required list of objects with the keys {@code items}. */
    public static Param list(String name, String doc, Param... items) {
      return new Param(name, Type.LIST, true, null, doc, List.of(), Arrays.asList(items));
    }

    /** This string parameter restricted to {@code values}. */
    public Param choices(String... values) {
      return new Param(name, type, required, defaultValue, doc, Arrays.asList(values), items);
    }
  }

  /** Creates a reward from checked parameters. */
  @FunctionalInterface
  public interface Factory {
    /** The reward of {@code params}; throws {@link BadInputException} for values it cannot use. */
    Reward create(Params params);
  }

  /**
   * One registered reward.
   *
   * @param name the name configs use
   * @param doc a one-paragraph description naming the paper and formula
   * @param params the parameters
   * @param needsModel whether the reward needs a policy in its {@link RewardContext} (the CLI loads a
   *     model only then)
   * @param factory creates the reward
   */
  public record Entry(String name, String doc, List<Param> params, boolean needsModel, Factory factory) {
    /** Copies the parameter list. */
    public Entry {
      params = List.copyOf(params);
    }
  }

  /** Adds {@code entry}; a name can be registered once. */
  public RewardRegistry register(Entry entry) {
    if (entries.putIfAbsent(entry.name(), entry) != null) {
      throw new IllegalArgumentException("reward '" + entry.name() + "' is already registered");
    }
    return this;
  }

  /** Adds a reward; see {@link Entry}. */
  public RewardRegistry register(String name, String doc, boolean needsModel, Factory factory, Param... params) {
    return register(new Entry(name, doc, Arrays.asList(params), needsModel, factory));
  }

  /** Every entry, by name. */
  public List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  /** The entry named {@code name}. */
  public Optional<Entry> entry(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  /** Builds the reward {@code name} with {@code params} (JSON values or strings). */
  public Reward build(String name, Map<String, ?> params) {
    return parse(name, params, "reward " + name).create();
  }

  /** Builds the reward of a config object: {@code {"name": ..., parameters...}}. */
  public Reward build(Map<String, ?> spec) {
    return parse(spec, null).create();
  }

  /** Whether the reward of {@code spec}, or any reward nested in it, needs a model. */
  public boolean needsModel(Map<String, ?> spec) {
    return parse(spec, null).needsModel();
  }

  /**
   * Reads a JSON config file holding one reward config object.
   *
   * @throws BadInputException naming the file when it cannot be read, is not a JSON object
   */
  public static Map<String, Object> readConfig(Path file) {
    JsonNode node;
    try {
      node = JSON.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "invalid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new BadInputException(file, "expected a JSON object {\"name\": ..., parameters...}");
    }
    return toMap(node);
  }

  /** A JSON object as a map of plain Java values (strings, numbers, booleans, lists, maps). */
  public static Map<String, Object> toMap(JsonNode node) {
    return JSON.convertValue(node, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  /** Every reward with its description and parameters, as text for {@code dro4j reward --list}. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Entry e : entries.values()) {
      describe(out, e);
    }
    return out.toString();
  }

  /** One reward's description and parameters ({@code dro4j reward --list NAME}); empty when not registered. */
  public String describe(String name) {
    StringBuilder out = new StringBuilder();
    entry(name).ifPresent(e -> describe(out, e));
    return out.toString();
  }

  private static void describe(StringBuilder out, Entry e) {
    out.append(e.name()).append(e.needsModel() ? "  (needs a model)" : "").append('\n');
    out.append(indent(e.doc(), "    ")).append('\n');
    describeParams(out, e.params(), "    ");
    out.append('\n');
  }

  private static void describeParams(StringBuilder out, List<Param> params, String indent) {
    for (Param p : params) {
      out.append(indent).append("- ").append(p.name()).append(" (").append(p.type().label());
      if (p.required()) {
        out.append(", required");
      } else if (p.defaultValue() != null) {
        out.append(", default ").append(format(p.defaultValue()));
      }
      if (!p.choices().isEmpty()) {
        out.append(", one of ").append(String.join("|", p.choices()));
      }
      out.append("): ").append(p.doc()).append('\n');
      describeParams(out, p.items(), indent + "    ");
    }
  }

  private static String format(Object value) {
    if (value instanceof String s && s.isEmpty()) {
      return "\"\""; // visible, unlike an empty default
    }
    if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return String.valueOf(d.longValue());
    }
    return value instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(value);
  }

  private static String indent(String text, String prefix) {
    return prefix + text.replace("\n", "\n" + prefix);
  }

  private Params parse(Map<String, ?> spec, String parentWhere) {
    Object name = spec.get("name");
    if (!(name instanceof String s) || s.isEmpty()) {
      throw new BadInputException((parentWhere == null ? "reward config" : parentWhere)
          + ": needs a \"name\" (one of " + String.join(", ", entries.keySet()) + ")");
    }
    Map<String, Object> params = new LinkedHashMap<>(spec);
    params.remove("name");
    return parse(s, params, parentWhere == null ? "reward " + s : parentWhere + " > " + s);
  }

  private Params parse(String name, Map<String, ?> given, String where) {
    Entry entry = entries.get(name);
    if (entry == null) {
      throw new BadInputException((where.equals("reward " + name) ? "" : where + ": ")
          + "unknown reward '" + name + "' (available: " + String.join(", ", entries.keySet()) + ")");
    }
    return new Params(this, entry, check(entry.params(), given, where), where);
  }

  /** Checks {@code given} against {@code params} and returns the typed values, defaults filled in. */
  private Map<String, Object> check(List<Param> params, Map<String, ?> given, String where) {
    Map<String, Param> byName = new LinkedHashMap<>();
    for (Param p : params) {
      byName.put(p.name(), p);
    }
    for (String key : given.keySet()) {
      if (!byName.containsKey(key)) {
        throw new BadInputException(where + ": unknown parameter '" + key + "' ("
            + (byName.isEmpty() ? "it takes none" : "known: " + String.join(", ", byName.keySet())) + ")");
      }
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Param p : params) {
      Object raw = given.get(p.name());
      if (raw == null) {
        if (p.required()) {
          throw new BadInputException(where + ": missing required parameter '" + p.name() + "' (" + p.doc() + ")");
        }
        values.put(p.name(), p.defaultValue() == null ? null : coerce(p, p.defaultValue(), where));
      } else {
        values.put(p.name(), coerce(p, raw, where));
      }
    }
    return values;
  }

  private Object coerce(Param p, Object raw, String where) {
    String at = where + ": parameter '" + p.name() + "'";
    switch (p.type()) {
      case NUMBER -> {
        double v = raw instanceof Number n ? n.doubleValue() : parseNumber(raw, at);
        if (Double.isNaN(v)) {
          throw new BadInputException(at + " must be a number, found NaN");
        }
        return v;
      }
      case INTEGER -> {
        double v = raw instanceof Number n ? n.doubleValue() : parseNumber(raw, at);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
          throw new BadInputException(at + " must be an integer, found " + describe(raw));
        }
        return (int) v;
      }
      case BOOLEAN -> {
        if (raw instanceof Boolean b) {
          return b;
        }
        if (raw instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
          return Boolean.parseBoolean(s);
        }
        throw new BadInputException(at + " must be true or false, found " + describe(raw));
      }
      case STRING -> {
        if (!(raw instanceof String s)) {
          throw new BadInputException(at + " must be a string, found " + describe(raw));
        }
        if (!p.choices().isEmpty() && !p.choices().contains(s)) {
          throw new BadInputException(at + " must be one of " + String.join(", ", p.choices()) + ", found '" + s + "'");
        }
        return s;
      }
      case STRING_LIST -> {
        Object value = raw instanceof String s && s.strip().startsWith("[") ? parseJson(s, at) : raw;
        if (value instanceof String s) {
          return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        }
        if (value instanceof List<?> list && list.stream().allMatch(x -> x instanceof String)) {
          return list.stream().map(x -> (String) x).toList();
        }
        throw new BadInputException(at + " must be a list of strings, found " + describe(raw));
      }
      case REWARD -> {
        Object value = raw instanceof String s && s.strip().startsWith("{") ? parseJson(s, at) : raw;
        if (value instanceof String s) {
          return Map.of("name", s); // a bare name: that reward with its defaults
        }
        if (value instanceof Map<?, ?> m) {
          return stringKeys(m, at);
        }
        throw new BadInputException(at + " must be a reward config {\"name\": ...}, found " + describe(raw));
      }
      case LIST -> {
        Object value = raw instanceof String s ? parseJson(s, at) : raw;
        if (!(value instanceof List<?> list) || list.isEmpty()) {
          throw new BadInputException(at + " must be a non-empty list of objects, found " + describe(raw));
        }
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          String itemAt = where + ": " + p.name() + "[" + i + "]";
          if (!(list.get(i) instanceof Map<?, ?> m)) {
            throw new BadInputException(itemAt + " must be an object, found " + describe(list.get(i)));
          }
          items.add(check(p.items(), stringKeys(m, itemAt), itemAt));
        }
        return Collections.unmodifiableList(items);
      }
    }
    throw new AssertionError(p.type());
  }

  private static double parseNumber(Object raw, String at) {
    if (raw instanceof String s) {
      try {
        return Double.parseDouble(s.strip());
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new BadInputException(at + " must be a number, found " + describe(raw));
  }

  private static Object parseJson(String text, String at) {
    try {
      return JSON.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      throw new BadInputException(at + ": invalid JSON '" + text + "': " + e.getOriginalMessage());
    }
  }

  private static Map<String, Object> stringKeys(Map<?, ?> m, String at) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (var e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw new BadInputException(at + ": keys must be strings");
      }
      out.put(k, e.getValue());
    }
    return out;
  }

  private static String describe(Object raw) {
    if (raw instanceof String s) {
      return "'" + s + "'";
    }
    if (raw instanceof List<?>) {
      return "a list";
    }
    if (raw instanceof Map<?, ?>) {
      return "an object";
    }
    return String.valueOf(raw);
  }

  /** The checked parameters of one reward (or of one item of a {@link Type#LIST}), for factories. */
  public static final class Params {
    private final RewardRegistry registry;
    private final Entry entry;
    private final Map<String, Object> values;
    private final String where;

    private Params(RewardRegistry registry, Entry entry, Map<String, Object> values, String where) {
      this.registry = registry;
      this.entry = entry;
      this.values = values;
      this.where = where;
    }

    /** Where these parameters are in the config, for error messages ("reward gated > rewards[1]"). */
    public String where() {
      return where;
    }

    /** Whether the parameter has a value (given, or a default). */
    public boolean has(String name) {
      return value(name) != null;
    }

    /** A number parameter; throws when it has no value. */
    public double number(String name) {
      return (Double) present(name);
    }

    /** A number parameter, or null when unset. */
    public Double optionalNumber(String name) {
      return (Double) value(name);
    }

    /** An integer parameter; throws when it has no value. */
    public int integer(String name) {
      return (Integer) present(name);
    }

    /** An integer parameter, or null when unset. */
    public Integer optionalInteger(String name) {
      return (Integer) value(name);
    }

    /** A boolean parameter. */
    public boolean bool(String name) {
      return (Boolean) present(name);
    }

    /** A string parameter, or null when unset. */
    public String string(String name) {
      return (String) value(name);
    }

    /** A list-of-strings parameter, or null when unset. */
    @SuppressWarnings("unchecked")
    public List<String> strings(String name) {
      return (List<String>) value(name);
    }

    /** The nested reward of a {@link Type#REWARD} parameter, built. */
    @SuppressWarnings("unchecked")
    public Reward reward(String name) {
      return registry.parse((Map<String, Object>) present(name), where + ": " + name).create();
    }

    /** The items of a {@link Type#LIST} parameter. */
    @SuppressWarnings("unchecked")
    public List<Params> list(String name) {
      List<Map<String, Object>> items = (List<Map<String, Object>>) present(name);
      List<Params> out = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        out.add(new Params(registry, entry, items.get(i), where + ": " + name + "[" + i + "]"));
      }
      return out;
    }

    /** A {@link BadInputException} about these parameters, for checks a factory makes itself. */
    public BadInputException invalid(String problem) {
      return new BadInputException(where + ": " + problem);
    }

    Reward create() {
      return entry.factory().create(this);
    }

    boolean needsModel() {
      return entry.needsModel() || nestedNeedsModel(entry.params(), values);
    }

    @SuppressWarnings("unchecked")
    private boolean nestedNeedsModel(List<Param> params, Map<String, Object> vals) {
      for (Param p : params) {
        Object v = vals.get(p.name());
        if (p.type() == Type.REWARD && v != null
            && registry.parse((Map<String, Object>) v, where + ": " + p.name()).needsModel()) {
          return true;
        }
        if (p.type() == Type.LIST && v != null) {
          for (Map<String, Object> item : (List<Map<String, Object>>) v) {
            if (nestedNeedsModel(p.items(), item)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    private Object value(String name) {
      if (!values.containsKey(name)) {
        throw new IllegalArgumentException(where + " has no parameter '" + name + "' (a bug in its factory)");
      }
      return values.get(name);
    }

    private Object present(String name) {
      Object v = value(name);
      if (v == null) {
        throw invalid("parameter '" + name + "' is not set");
      }
      return v;
    }
  }
}
