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
    return self();
  }

  /** Sets a value written as command-line text (see {@link ConfigSchema#convertText}). */
  public B setText(String key, String text) {
    values.put(key, schema.convertText(key, text));
    return self();
  }

  /** Applies every setting of a YAML file (see {@link ConfigSchema#read}). */
  public B load(Path yamlFile) {
    values.putAll(schema.read(yamlFile));
    return self();
  }

  /** Applies every setting of YAML text; {@code source} names it in error messages. */
  public B load(String yaml, Path source) {
    values.putAll(schema.read(yaml, source));
    return self();
  }

  /** Builds the configuration. */
  public R build() {
    return schema.build(values);
  }
}
