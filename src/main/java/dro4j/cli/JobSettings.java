package dro4j.cli;

import dro4j.data.Bundled;
import dro4j.rl.config.ConfigBuilder;
import dro4j.rl.config.ConfigSchema;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where the settings of a {@code train} or {@code sft} job come from: {@code --config FILE.yaml} (or
 * {@code bundled:NAME}); without it, the bundled demo job only when no {@code --model}, {@code
 * --dataset} or {@code --task} is given, otherwise the documented defaults (TRL's); then the setting
 * flags. {@link #describe} says which came from where, {@link #printConfig} prints the resolved job.
 */
final class JobSettings {
  /** The flags that make a run the user's own rather than the demo. */
  private static final List<String> USER_RUN_KEYS = List.of("model", "dataset", "task");

  private JobSettings() {}

  /** Loads the job into {@code builder} as described above; {@code demo} names the bundled demo job. */
  static void load(CommandSpec spec, ConfigBuilder<?, ?> builder, Path config, String demo) {
    if (config != null) {
      builder.load(config);
    } else if (!givesAny(spec, USER_RUN_KEYS)) {
      builder.load(Bundled.path(demo));
    }
    SettingOptions.apply(spec, builder);
  }

  private static boolean givesAny(CommandSpec spec, List<String> keys) {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (OptionSpec option : spec.options()) {
      if (option.userObject() instanceof String key && keys.contains(key) && parsed.hasMatchedOption(option)) {
        return true;
      }
    }
    return false;
  }

  /**
   * One line naming the sources: {@code settings: demo job bundled:demo-train (learning_rate, ...);
   * flags (max_steps); defaults (TRL/transformers) for the other 40}.
   */
  static String describe(ConfigBuilder<?, ?> builder, ConfigSchema<?> schema) {
    Map<String, List<String>> bySource = new LinkedHashMap<>();
    builder.origins().forEach((key, origin) -> bySource.computeIfAbsent(origin, o -> new ArrayList<>()).add(key));
    List<String> parts = new ArrayList<>();
    bySource.forEach((origin, keys) -> parts.add(label(origin) + " (" + String.join(", ", keys) + ")"));
    int defaults = schema.settings().size() - builder.origins().size();
    parts.add(defaults == schema.settings().size() ? "all at their defaults (TRL/transformers)"
        : "defaults (TRL/transformers) for the other " + defaults);
    return "settings: " + String.join("; ", parts);
  }

  private static String label(String origin) {
    if (origin.startsWith(Bundled.PREFIX + "demo-")) return "demo job " + origin;
    if (origin.equals(ConfigBuilder.COMMAND_LINE)) return "flags";
    return "job file " + origin;
  }

  /** Prints the resolved job as YAML that {@code --config} reads back into the same settings. */
  static <R extends Record> void printConfig(PrintWriter out, String command, ConfigSchema<R> schema, R config,
      String sources) {
    out.println("# dro4j " + command + " job, resolved; run it with: dro4j " + command + " --config FILE.yaml");
    out.println("# " + sources);
    out.print(schema.toYaml(config));
    out.flush();
  }
}
