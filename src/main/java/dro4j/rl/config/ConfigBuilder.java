package dro4j.rl.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The merge point of a configuration: defaults, then a YAML file, then command-line flags or builder
 * calls, each later source overriding the earlier ones key by key. Every value is converted and
 * checked by the record's {@link ConfigSchema}; {@link #build()} runs the record's own range checks.
 *
 * @param <B> the concrete builder (for chaining)
 * @param <R> the configuration record
 */
public abstract class ConfigBuilder<B extends ConfigBuilder<B, R>, R extends Record> {
  private final ConfigSchema<R> schema;
  private final Map<String, Object> values = new LinkedHashMap<>();
  private final Map<String, String> origins = new LinkedHashMap<>();

  /** A builder whose values start at the schema's defaults. */
  protected ConfigBuilder(ConfigSchema<R> schema) {
    this.schema = schema;
  }

  /** This builder, typed. */
  protected abstract B self();

  /**
   * Sets a value by its snake_case key. The value may be of the setting's type or anything YAML
   * would give for it (a number as text, an enum by name, a list of maps for rewards).
   *
   * @throws dro4j.BadInputException for an unknown key or a value that does not fit
   */
  public B set(String key, Object value) {
    values.put(key, schema.convert(key, value));
    origins.put(key, "builder");
    return self();
  }

  /** Sets a value written as command-line text (see {@link ConfigSchema#convertText}). */
  public B setText(String key, String text) {
    values.put(key, schema.convertText(key, text));
    origins.put(key, COMMAND_LINE);
    return self();
  }

  /** Applies every setting of a YAML file (see {@link ConfigSchema#read}). */
  public B load(Path yamlFile) {
    return put(schema.read(yamlFile), yamlFile.toString());
  }

  private B put(Map<String, Object> read, String origin) {
    values.putAll(read);
    read.keySet().forEach(k -> origins.put(k, origin));
    return self();
  }

  /** Applies every setting of YAML text; {@code source} names it in error messages. */
  public B load(String yaml, Path source) {
    return put(schema.read(yaml, source), source.toString());
  }

  /** The origin {@link #setText} records. */
  public static final String COMMAND_LINE = "command line";

  /**
   * Where each value set so far came from, by key, in the order first set: the YAML file or source
   * name given to {@code load}, {@link #COMMAND_LINE} for {@link #setText}, {@code builder} for {@link
   * #set}. Keys not listed keep their defaults.
   */
  public Map<String, String> origins() {
    return java.util.Collections.unmodifiableMap(origins);
  }

  /** Whether {@code key} was set (by any source), rather than left at its default. */
  public boolean isSet(String key) {
    return values.containsKey(key);
  }

  /** The value set for {@code key} (converted), or null when it was not set. */
  protected Object value(String key) {
    return values.get(key);
  }

  /** Builds the configuration. */
  public R build() {
    return schema.build(values);
  }
}
