package dro4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.JsonRecord;
import dro4j.data.JsonRecords;
import dro4j.data.OnInvalid;
import dro4j.generate.FinishReason;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.text.ChatMessage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dro4j reward}: scores a JSONL file of prompts, references and rollouts with any registered
 * reward and prints one JSON line of per-rollout scores and diagnostics per input line.
 *
 * <p>Input, one JSON object per line (a JSON array of such objects also works): {@code {"id"?:
 * string, "prompt": string, "reference"?: string (default ""), "rollouts": [string, ...],
 * "metadata"?: object}}. The prompt becomes the example field {@code prompt}; metadata carries
 * what some rewards read ({@code exe_ans} for numeric golds, {@code reference_responses} for PAR).
 * Unknown fields are errors (a misspelt "rollout" must not pass silently); every error names the
 * file and line.
 *
 * <p>Output, one line per input record: {@code {"line", "id", "scores": [...], "diagnostics":
 * {...}}}, a score that could not be computed written as null.
 *
 * <p>A model is loaded (the {@code --model} folder, or the bundled default) when the reward needs one
 * or {@code --model} is given; then prompts and rollouts are tokenized (rollout log-probs, unknown
 * here, are NaN) and rewards get {@code RewardContext.of(model)}; otherwise {@code
 * RewardContext.textOnly()}.
 */
@Command(
    name = "reward",
    mixinStandardHelpOptions = true,
    description = {
      "Score the rollouts of a JSONL file with a reward; prints one JSON line per input line.",
      "Input lines: {\"id\"?, \"prompt\", \"reference\"?, \"rollouts\": [\"...\"], \"metadata\"?: {...}}.",
      "Output lines: {\"line\", \"id\", \"scores\": [...], \"diagnostics\": {...}} (null: not scored).",
      "Rewards and their parameters: dro4j reward --list."
    })
final class RewardCommand implements Callable<Integer> {
  private static final Set<String> FIELDS = Set.of("id", "prompt", "reference", "rollouts", "metadata");

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  static final class Choice {
    @Option(names = "--reward", paramLabel = "NAME", description = "Reward name (see --list).")
    String name;

    @Option(names = "--config", paramLabel = "FILE.json",
        description = "JSON reward config {\"name\": ..., parameters...}, for nested rewards such as weighted_sum.")
    Path config;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Choice choice;

  @Option(names = "--input", paramLabel = "FILE.jsonl", description = "Records to score.")
  Path input;

  @Option(names = "--param", paramLabel = "KEY=VALUE",
      description = "A parameter of --reward; repeatable. Lists as a,b or JSON, nested rewards as JSON.")
  Map<String, String> params = new LinkedHashMap<>();

  @Option(names = "--chat", description = "With a model: render each prompt as one user message with the chat template.")
  boolean chat;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
      description = "Records scored per reward call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--list", paramLabel = "NAME", arity = "0..1", fallbackValue = "",
      description = "List the rewards with their parameters and exit; --list NAME shows one.")
  String list;

  /** One input record. */
  private record Item(int line, String id, Example example, List<String> rollouts) {}

  @Override
  public Integer call() {
    RewardRegistry registry = RewardRegistry.standard();
    PrintWriter out = spec.commandLine().getOut();
    if (list != null) {
      if (!list.isEmpty()) requireKnown(spec.commandLine(), registry, list, "--list");
      out.print(list.isEmpty() ? registry.describe() : registry.describe(list));
      return 0;
    }
    if (input == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--input=FILE.jsonl'");
    }
    if (choice == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Give --reward NAME or --config FILE.json");
    }
    if (choice.config != null && !params.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--param goes with --reward; put parameters in the --config file");
    }
    if (batch < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be at least 1");
    }
    Map<String, Object> rewardSpec = rewardSpec();
    requireKnown(spec.commandLine(), registry, String.valueOf(rewardSpec.get("name")),
        choice.config != null ? "--config " + choice.config : "--reward");
    Reward reward;
    boolean needsModel;
    try {
      reward = registry.build(rewardSpec);
      needsModel = registry.needsModel(rewardSpec);
    } catch (BadInputException e) {
      throw choice.config != null && e.file() == null ? new BadInputException(choice.config, e.getMessage(), e) : e;
    }
    try {
      List<Item> items = JsonRecords.read(input, RewardCommand::item, OnInvalid.THROW).items();
      if (needsModel || model.directory != null) {
        try (LanguageModel lm = model.load()) {
          score(reward, items, RewardContext.of(lm), lm, out);
        }
      } else {
        score(reward, items, RewardContext.textOnly(), null, out);
      }
      return 0;
    } finally {
      Reward.closeIfNeeded(reward);
    }
  }

  /** A reward name that is not registered is a usage error (exit 2), with the closest names. */
  static void requireKnown(CommandLine cli, RewardRegistry registry, String name, String option) {
    if (registry.entry(name).isEmpty()) {
      List<String> names = registry.entries().stream().map(RewardRegistry.Entry::name).toList();
      throw new CommandLine.ParameterException(cli, option + ": unknown reward '" + name + "' (known: "
          + String.join(", ", names) + "; dro4j reward --list documents them)");
    }
  }

  private Map<String, Object> rewardSpec() {
    if (choice.config != null) {
      return RewardRegistry.readConfig(choice.config);
    }
    Map<String, Object> s = new LinkedHashMap<>(params);
    if (s.containsKey("name")) {
      throw new BadInputException("--param name=... is not a parameter: the reward is named by --reward");
    }
    s.put("name", choice.name);
    return s;
  }

  private void score(Reward reward, List<Item> items, RewardContext context, LanguageModel lm, PrintWriter out) {
    for (int start = 0; start < items.size(); start += batch) {
      List<Item> chunk = items.subList(start, Math.min(items.size(), start + batch));
      List<RolloutGroup> groups = new ArrayList<>(chunk.size());
      for (Item item : chunk) {
        groups.add(group(item, lm));
      }
      List<RewardResult> results;
      try {
        results = reward.score(groups, context);
      } catch (BadInputException e) {
        throw e.file() == null ? new BadInputException(input, e.getMessage(), e) : e;
      }
      for (int k = 0; k < chunk.size(); k++) {
        warnIfUnscoredWithoutReference(chunk.get(k), results.get(k));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("line", chunk.get(k).line());
        line.put("id", chunk.get(k).id());
        line.put("scores", Arrays.stream(results.get(k).scores()).mapToObj(s -> Double.isNaN(s) ? null : s).toList());
        line.put("diagnostics", results.get(k).diagnostics());
        out.println(Json.write(line));
      }
      out.flush();
    }
  }

  /**
   * A record without a reference whose scores are all missing (NaN, printed null): r3 and the other
   * likelihood rewards score the reference, so say so on standard error, once per record.
   */
  private void warnIfUnscoredWithoutReference(Item item, RewardResult result) {
    if (item.example().reference().isEmpty() && Arrays.stream(result.scores()).allMatch(Double::isNaN)) {
      spec.commandLine().getErr().printf("warning: %s line %d has no \"reference\", so this reward has nothing to score"
          + " (its scores are null); give each record a reference%n", input, item.line());
      spec.commandLine().getErr().flush();
    }
  }

  private RolloutGroup group(Item item, LanguageModel lm) {
    if (lm == null) {
      return new RolloutGroup(item.example(), new int[0], item.rollouts().stream().map(Rollout::ofText).toList());
    }
    String prompt = item.example().field("prompt");
    int[] promptIds = chat ? lm.encodeChat(List.of(ChatMessage.user(prompt)), true) : lm.tokenizer().encode(prompt, true);
    List<Rollout> rollouts = new ArrayList<>();
    for (String text : item.rollouts()) {
      int[] ids = lm.tokenizer().encode(text, false);
      double[] unknown = new double[ids.length];
      Arrays.fill(unknown, Double.NaN); // not sampled here: no sampling log-probs
      rollouts.add(new Rollout(ids, text, unknown, FinishReason.STOP, -1));
    }
    return new RolloutGroup(item.example(), promptIds, rollouts);
  }

  private static Item item(JsonRecord record) {
    record.json().fieldNames().forEachRemaining(name -> {
      if (!FIELDS.contains(name)) {
        throw record.invalid("unknown field '" + name + "' (known: id, prompt, reference, rollouts, metadata)");
      }
    });
    String id = record.optionalText("id").orElse("line " + record.line());
    String prompt = record.text("prompt");
    String reference = record.optionalText("reference").orElse("");
    List<String> rollouts = record.textList("rollouts");
    if (rollouts.isEmpty()) {
      throw record.invalid("field 'rollouts' must hold at least one response");
    }
    Map<String, Object> metadata = Map.of();
    JsonNode meta = record.optional("metadata").filter(n -> !n.isNull()).orElse(null);
    if (meta != null) {
      if (!meta.isObject()) {
        throw record.invalid("field 'metadata' must be an object");
      }
      metadata = RewardRegistry.toMap(meta);
    }
    return new Item(record.line(), id, new Example(id, Map.of("prompt", prompt), reference, metadata), rollouts);
  }
}
