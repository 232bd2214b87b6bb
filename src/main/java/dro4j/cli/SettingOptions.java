package dro4j.cli;

import dro4j.BadInputException;
import dro4j.rl.config.ConfigBuilder;
import dro4j.rl.config.ConfigSchema;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One command-line flag per configuration setting, generated from the config record's {@link
 * ConfigSchema}: {@code --learning_rate 1e-5} (or {@code --learning-rate=1e-5}) overrides the YAML
 * file's value. The flag's help is the setting's documentation, so {@code --help} lists every key.
 */
final class SettingOptions {
  private SettingOptions() {}

  /** Adds a flag for every setting of {@code schema} to {@code spec}. */
  static void add(CommandSpec spec, ConfigSchema<?> schema) {
    for (ConfigSchema.SettingInfo s : schema.settings()) {
      List<String> names = new ArrayList<>();
      names.add("--" + s.key());
      String kebab = "--" + s.key().replace('_', '-');
      if (!kebab.equals(names.get(0))) names.add(kebab);
      boolean flag = s.type().equals("boolean");
      OptionSpec.Builder b = OptionSpec.builder(names.toArray(new String[0]))
          .type(String.class)
          .paramLabel(flag ? "BOOL" : s.type().contains("|") ? "NAME" : s.type().toUpperCase(java.util.Locale.ROOT).replace(' ', '_'))
          // picocli formats descriptions with String.format: a literal % (as in "10%") must be doubled
          .description((s.help().toLowerCase(java.util.Locale.ROOT).contains("default") ? s.help()
              : s.help() + " Default: " + s.defaultValue() + ".").replace("%", "%%"))
          .userObject(s.key());
      if (flag) {
        b.arity("0..1").fallbackValue("true");
      } else {
        b.arity("1");
      }
      spec.addOption(b.build());
    }
  }

  /**
   * Applies the setting flags given on the command line to {@code builder}, in order. A value that
   * does not fit its setting is a usage error (exit code 2), like an unknown flag.
   */
  static void apply(CommandSpec spec, ConfigBuilder<?, ?> builder) {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (OptionSpec option : spec.options()) {
      if (option.userObject() instanceof String key && parsed.hasMatchedOption(option)) {
        try {
          builder.setText(key, option.getValue());
        } catch (BadInputException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
      }
    }
  }
}
