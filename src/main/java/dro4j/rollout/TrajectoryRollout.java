package dro4j.rollout;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.Completion;
import dro4j.generate.FinishReason;
import dro4j.generate.Generator;
import dro4j.generate.LogitsProcessing;
import dro4j.generate.SamplingParams;
import dro4j.model.KvCache;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import dro4j.text.ChatTemplateException;
import dro4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The multi-turn rollout loop: G trajectories per example, all rows of a batch sampled together on
 * one KV cache. A model without a chat template talks in a plain {@code User:/Assistant:/Tool:} format
 * ({@link #plainTemplate()}).
 *
 * <ol>
 *   <li>Each trajectory gets a fresh {@link Environment}; its {@link Environment#reset} observation
 *       (after the optional system prompt) is rendered with the model's chat template, the
 *       environment's tools passed as {@code tools}. Each distinct prompt is prefilled once.
 *   <li>Every active row samples a policy turn ({@link Generator#continueRows}); the turn ends at a
 *       stop token (the model's EOS ids) or at the row's remaining {@code max_completion_length}.
 *   <li>When the environment has tools, tool calls are parsed from the turn ({@link ToolCallParser})
 *       and run; a malformed call, an unknown tool or an exception is an error observation, a result longer than {@code
 *       max_tool_response_length} tokens is cut with {@link RolloutSettings#TRUNCATION_MARKER}. A turn
 *       without calls goes to {@link Environment#step}.
 *   <li>The observation turns are rendered as a delta ({@link TemplateDelta}), tokenized and appended
 *       to the row, with the turn's last sampled token, and the loop continues on the cache.
 * </ol>
 *
 * A trajectory ends at {@code done}, {@code max_turns}, {@code max_tool_calling_iterations}, {@code
 * max_completion_length}, an environment exception or a template that cannot append or raises ({@link
 * StopReason}). The result keeps the cache: row {@code q * G + j} holds trajectory j of example q
 * (all of it but its final sampled token), ready for rewards that continue it (R3, IGPO's information
 * gain).
 */
public final class TrajectoryRollout {
  private final LanguageModel policy;
  private final RolloutSettings settings;
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final Set<Integer> stopIds;

  /** A loop sampling from {@code policy} (its chat template renders every turn). */
  public TrajectoryRollout(LanguageModel policy, RolloutSettings settings) {
    this.policy = policy;
    this.settings = settings;
    this.tokenizer = policy.tokenizer();
    this.template = policy.tokenizer().hasChatTemplate() ? policy.chatTemplate() : plainTemplate();
    this.stopIds = new HashSet<>(policy.eosTokenIds());
    stopIds.addAll(settings.sampling().stopTokenIds());
  }

  /**
   * The conversation format of a model without a chat template (the bundled stories260K): {@code
   * <s>User: ...\nAssistant: ...\nTool: ...\n} and the generation prompt {@code Assistant:}
   * ({@code dro4j/rollout/plain_chat_template.json}).
   */
  static ChatTemplate plainTemplate() {
    try (java.io.InputStream in = TrajectoryRollout.class.getResourceAsStream("/dro4j/rollout/plain_chat_template.json")) {
      java.nio.file.Path file = java.nio.file.Files.createTempFile("dro4j-plain-chat-template", ".json");
      file.toFile().deleteOnExit();
      java.nio.file.Files.write(file, in.readAllBytes());
      return ChatTemplate.fromTokenizerConfig(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read the plain chat template", e);
    }
  }

  /** The per-row state of a trajectory being built. */
  private final class Row {
    final Environment env;
    final Map<String, Tool> tools = new LinkedHashMap<>();
    final TemplateDelta delta;
    final List<ChatMessage> conversation = new ArrayList<>();
    int[] promptIds;
    int[] tokens = new int[64];
    int[] mask = new int[64];
    double[] logprobs = new double[64];
    int length;
    int policyTokens;
    int toolCalls;
    final List<Turn> turns = new ArrayList<>();
    StopReason stop;

    Row(Environment env) {
      this.env = env;
      Map<String, Object> vars = new LinkedHashMap<>(settings.templateVariables());
      List<Map<String, Object>> schemas = new ArrayList<>();
      for (Tool t : env.tools()) {
        tools.put(t.name(), t);
        schemas.add(t.schema());
      }
      if (!schemas.isEmpty()) vars.put("tools", schemas);
      this.delta = new TemplateDelta(template, vars);
    }

    void append(int[] ids, double[] lp, int m) {
      int need = length + ids.length;
      if (need > tokens.length) {
        int cap = Math.max(need, tokens.length * 2);
        tokens = Arrays.copyOf(tokens, cap);
        mask = Arrays.copyOf(mask, cap);
        logprobs = Arrays.copyOf(logprobs, cap);
      }
      System.arraycopy(ids, 0, tokens, length, ids.length);
      Arrays.fill(mask, length, need, m);
      if (lp != null) System.arraycopy(lp, 0, logprobs, length, ids.length);
      length = need;
    }

    Trajectory build(int row) {
      return new Trajectory(promptIds, Arrays.copyOf(tokens, length), Arrays.copyOf(mask, length),
          Arrays.copyOf(logprobs, length), turns, stop, row);
    }
  }

  /**
   * Runs {@code groupSize} trajectories for each example.
   *
   * @param environments creates one environment per trajectory
   * @param seed the seed of every turn's random streams (turn t of row r draws from a stream of (seed, t, r))
   */
  public TrajectoryBatch run(List<Example> examples, Supplier<Environment> environments, int groupSize, long seed) {
    return run(examples, environments, groupSize, (turn, r) -> LogitsProcessing.rngFor(turnSeed(seed, turn), r));
  }

  /**
   * Runs {@code groupSize} trajectories for each example, the examples' groups batched on one cache,
   * each group drawing the streams it draws alone: trajectory j of example q samples turn t from a
   * stream of ({@code groupSeeds[q]}, t, j), so {@code runGroups(examples, environments, G, seeds)}
   * samples each group as {@code run(List.of(examples.get(q)), environments, G, seeds[q])} does. The
   * logits differ from that only by the batch's fp32 rounding (libtorch's padded prefill and appended
   * turns), so a sampled token differs only where a draw falls within that rounding of a boundary.
   */
  public TrajectoryBatch runGroups(List<Example> examples, Supplier<Environment> environments, int groupSize,
      long[] groupSeeds) {
    if (groupSeeds.length != examples.size()) {
      throw new IllegalArgumentException("need one seed per example: " + examples.size() + " examples, "
          + groupSeeds.length + " seeds");
    }
    return run(examples, environments, groupSize,
        (turn, r) -> LogitsProcessing.rngFor(turnSeed(groupSeeds[r / groupSize], turn), r % groupSize));
  }

  /** The random stream of row {@code row} in turn {@code turn}. */
  private interface RowRandom {
    SplittableRandom of(int turn, int row);
  }

  private TrajectoryBatch run(List<Example> examples, Supplier<Environment> environments, int groupSize,
      RowRandom random) {
    int rows = examples.size() * groupSize;
    List<Row> state = new ArrayList<>(rows);
    List<int[]> prompts = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      Row row = new Row(environments.get());
      Example example = examples.get(r / groupSize);
      String first;
      try {
        first = row.env.reset(example);
      } catch (RuntimeException e) {
        throw new IllegalStateException("environment reset failed for example " + example.id() + ": " + e.getMessage(), e);
      }
      String system = row.env.systemPrompt();
      if (system != null) row.conversation.add(ChatMessage.system(system));
      row.conversation.add(ChatMessage.user(first == null ? "" : first));
      row.promptIds = tokenizer.encode(row.delta.prompt(row.conversation), false);
      state.add(row);
      prompts.add(row.promptIds);
    }
    Generator generator = policy.generator();
    KvCache cache = prefill(generator, prompts, groupSize);
    try {
      List<int[]> appended = new ArrayList<>(rows);
      for (int[] p : prompts) appended.add(new int[] {p[p.length - 1]});
      SamplingParams params = settings.sampling().withStopTokenIds(new ArrayList<>(stopIds));
      for (int turn = 0; turn < settings.maxTurns(); turn++) {
        int[] budgets = new int[rows];
        boolean any = false;
        for (int r = 0; r < rows; r++) {
          Row row = state.get(r);
          if (row.stop != null) {
            appended.set(r, new int[0]);
          } else {
            budgets[r] = settings.maxCompletionLength() - row.policyTokens;
            any = true;
          }
        }
        if (!any) break;
        SplittableRandom[] streams = new SplittableRandom[rows];
        for (int r = 0; r < rows; r++) streams[r] = random.of(turn, r);
        List<Completion> out = generator.continueRows(cache, appended, params, budgets, settings.forced(), streams);
        for (int r = 0; r < rows; r++) {
          Row row = state.get(r);
          if (row.stop == null) appended.set(r, afterTurn(row, out.get(r), turn));
        }
      }
      List<Trajectory> trajectories = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        Row row = state.get(r);
        if (row.stop == null) row.stop = StopReason.MAX_TURNS;
        trajectories.add(row.build(r));
      }
      return new TrajectoryBatch(examples, groupSize, trajectories, cache);
    } catch (RuntimeException e) {
      cache.close();
      throw e;
    }
  }

  /** One prefill per distinct prompt when every group's trajectories start alike, else one per row. */
  private static KvCache prefill(Generator generator, List<int[]> prompts, int groupSize) {
    List<int[]> distinct = new ArrayList<>();
    int longest = 0;
    for (int r = 0; r < prompts.size(); r++) {
      longest = Math.max(longest, prompts.get(r).length);
      if (r % groupSize == 0) {
        distinct.add(prompts.get(r));
      } else if (!Arrays.equals(prompts.get(r), distinct.get(distinct.size() - 1))) {
        return generator.prefill(prompts, 1, longest + 64);
      }
    }
    return generator.prefill(distinct, groupSize, longest + 64);
  }

  private static long turnSeed(long seed, int turn) {
    return seed + 0x9E3779B97F4A7C15L * turn;
  }

  /** Records a policy turn, answers it, and returns what to append next (empty when the row is done). */
  private int[] afterTurn(Row row, Completion c, int turnIndex) {
    int[] ids = c.ids();
    int start = row.length;
    row.append(ids, c.logprobs(), 1);
    row.policyTokens += ids.length;
    String text = tokenizer.decode(ids, true);
    boolean endedByStop = c.finishReason() == FinishReason.STOP && ids.length > 0 && stopIds.contains(ids[ids.length - 1]);
    if (c.finishReason() == FinishReason.LENGTH || row.policyTokens >= settings.maxCompletionLength() && !endedByStop) {
      return finish(row, StopReason.MAX_COMPLETION_LENGTH, start, text, 0, 0, null);
    }

    // an environment without tools gets every turn, tool-call syntax or not
    ToolCallParser.Parsed parsed = row.tools.isEmpty() ? new ToolCallParser.Parsed(text, List.of())
        : settings.toolCalls().parse(text);
    List<ChatMessage> observations = new ArrayList<>();
    List<Turn.ToolOutcome> outcomes = new ArrayList<>();
    String observation = null;
    Map<String, Object> assistantFields = new LinkedHashMap<>();
    String content = text;
    int errors = 0;
    Double reward = null;
    if (!parsed.calls().isEmpty()) {
      if (row.toolCalls + parsed.calls().size() > settings.maxToolCallingIterations()) {
        return finish(row, StopReason.MAX_TOOL_CALLS, start, text, parsed.calls().size(), 0, null);
      }
      row.toolCalls += parsed.calls().size();
      List<Map<String, Object>> templateCalls = new ArrayList<>();
      for (ToolCall call : parsed.calls()) {
        ToolResult result = runTool(row, call);
        if (result.error) errors++;
        outcomes.add(new Turn.ToolOutcome(call, result.text, result.error));
        if (call.wellFormed()) templateCalls.add(call.toTemplate());
        Map<String, Object> fields = call.wellFormed() ? Map.of("name", call.name()) : Map.of();
        observations.add(new ChatMessage("tool", result.text, fields));
      }
      if (!templateCalls.isEmpty()) {
        content = parsed.content();
        assistantFields.put("tool_calls", templateCalls);
      }
    } else {
      StepResult step;
      try {
        step = row.env.step(text);
      } catch (RuntimeException e) {
        return finish(row, StopReason.ENVIRONMENT_ERROR, start, text, 0, 0, null);
      }
      reward = step.reward();
      if (step.done()) return finish(row, StopReason.DONE, start, text, 0, 0, reward);
      observation = step.observation() == null ? "" : step.observation();
      observations.add(ChatMessage.user(observation));
    }
    int calls = parsed.calls().size();
    if (turnIndex + 1 >= settings.maxTurns()) {
      return finish(row, new Turn(start, row.length, row.length, text, calls, errors, reward, outcomes, observation),
          StopReason.MAX_TURNS);
    }
    if (row.policyTokens >= settings.maxCompletionLength()) {
      return finish(row, new Turn(start, row.length, row.length, text, calls, errors, reward, outcomes, observation),
          StopReason.MAX_COMPLETION_LENGTH);
    }
    row.conversation.add(new ChatMessage("assistant", content, assistantFields));
    String stopText = endedByStop ? tokenizer.decode(new int[] {ids[ids.length - 1]}, false) : "";
    String delta;
    try {
      delta = row.delta.delta(row.conversation, observations, stopText);
    } catch (ChatTemplateException e) { // raised on what the policy wrote: one trajectory never stops the run
      delta = null;
    }
    if (delta == null) {
      return finish(row, new Turn(start, row.length, row.length, text, calls, errors, reward, outcomes, observation),
          StopReason.TEMPLATE);
    }
    row.conversation.addAll(observations);
    int[] env = tokenizer.encode(delta, false);
    int end = row.length;
    row.append(env, null, 0);
    row.turns.add(new Turn(start, end, row.length, text, calls, errors, reward, outcomes, observation));
    int[] next = new int[env.length + 1];
    next[0] = ids[ids.length - 1];
    System.arraycopy(env, 0, next, 1, env.length);
    return next;
  }

  private static int[] finish(Row row, StopReason reason, int start, String text, int calls, int errors, Double reward) {
    return finish(row, new Turn(start, row.length, row.length, text, calls, errors, reward), reason);
  }

  private static int[] finish(Row row, Turn last, StopReason reason) {
    row.turns.add(last);
    row.stop = reason;
    return new int[0];
  }

  private record ToolResult(String text, boolean error) {}

  /** The tool turn that answers a malformed call: what went wrong, for the policy to mend. */
  static String malformedCallResult(ToolCall call) {
    return "error: malformed tool call: " + call.error();
  }

  private ToolResult runTool(Row row, ToolCall call) {
    if (!call.wellFormed()) return new ToolResult(malformedCallResult(call), true);
    Tool tool = row.tools.get(call.name());
    if (tool == null) {
      return new ToolResult("error: unknown tool '" + call.name() + "'; available: " + String.join(", ", row.tools.keySet()), true);
    }
    String result;
    try {
      result = tool.call(call.arguments());
    } catch (Exception e) {
      return new ToolResult("error: " + call.name() + " failed: " + e.getMessage(), true);
    }
    return new ToolResult(truncate(result == null ? "" : result), false);
  }

  private String truncate(String result) {
    Integer max = settings.maxToolResponseLength();
    if (max == null) return result;
    int[] ids = tokenizer.encode(result, false);
    if (ids.length <= max) return result;
    return tokenizer.decode(Arrays.copyOf(ids, max), false) + String.format(RolloutSettings.TRUNCATION_MARKER, ids.length - max);
  }
}
