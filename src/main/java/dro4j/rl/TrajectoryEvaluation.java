package dro4j.rl;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.SamplingParams;
import dro4j.rl.config.GrpoConfig;
import dro4j.rollout.Environment;
import dro4j.rollout.Environments;
import dro4j.rollout.RolloutSettings;
import dro4j.rollout.StopReason;
import dro4j.rollout.Tool;
import dro4j.rollout.ToolCall;
import dro4j.rollout.ToolCallParser;
import dro4j.rollout.Trajectory;
import dro4j.rollout.TrajectoryBatch;
import dro4j.rollout.TrajectoryRollout;
import dro4j.rollout.Turn;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The held-out evaluation of a multi-turn run ({@code environment} with {@code eval_dataset}): the
 * policy plays each held-out example in the environment with the training rollout's limits, greedily
 * ({@code num_generations_eval} 1) or {@code num_generations_eval} sampled trajectories at the training
 * temperature, and the results become {@code eval/...} metrics (and {@code eval_start/...} with {@code
 * eval_on_start}):
 *
 * <ul>
 *   <li>{@code eval/final_answer_accuracy}: the share of trajectories the environment ended ({@code
 *       done}) with a positive reward for the final turn (for {@code finqa_calculator}: a right answer);
 *   <li>{@code eval/environment_reward}: the mean return (sum of step rewards);
 *   <li>{@code eval/tool_call_success_rate}: calls that ran (well-formed, a known tool, no exception)
 *       over all calls, 0 when there were none; {@code eval/tool_calls} and {@code eval/tool_errors} per
 *       trajectory; {@code eval/with_successful_tool_call}: the share of trajectories with at least one;
 *   <li>{@code eval/tool_call_success_rate/<tool>} and {@code eval/tool_calls/<tool>} per tool the
 *       environment offers, plus {@code unknown} (a name it does not offer) and {@code malformed} (a call
 *       that could not be parsed): which tools' calls fail, since the overall rate mixes them;
 *   <li>{@code eval/turns} per trajectory and {@code eval/stop/<reason>} shares.
 * </ul>
 */
final class TrajectoryEvaluation {
  /**
   * Trajectories rolled out together: 16 examples at 8 generations each. A chunk's KV cache and
   * scores grow with its rows, so more generations per example mean fewer examples per chunk (64
   * held-out examples x 32 generations in chunks of 16 examples needed over 8 GB and was killed on
   * a 24 GB machine running three seeds).
   */
  private static final int CHUNK_ROWS = 128;

  private final TrajectoryRollout rollout;
  private final Supplier<Environment> environments;
  private final List<Example> examples;
  private final int everySteps;
  private final int generations;
  private final long seed;
  /** The names of the environment's tools: each gets its own {@code eval/tool_call_success_rate/<tool>}. */
  private final Set<String> offeredTools = new HashSet<>();

  TrajectoryEvaluation(GrpoConfig config, LanguageModel policy, List<Example> examples) {
    this.generations = config.effectiveNumGenerationsEval();
    SamplingParams sampling = generations > 1
        ? SamplingParams.defaults().withTemperature(config.temperature()).withTopP(config.topP())
        : SamplingParams.greedy(config.maxCompletionLength());
    RolloutSettings settings = new RolloutSettings(sampling, config.maxTurns(), config.maxToolCallingIterations(),
        config.maxCompletionLength(), config.maxToolResponseLength(),
        new ToolCallParser(config.toolCallOpen(), config.toolCallClose()), config.training().chatTemplateKwargs(), null);
    this.rollout = new TrajectoryRollout(policy, settings);
    this.environments = Environments.byName(config.environment());
    this.examples = List.copyOf(examples);
    this.everySteps = config.effectiveEvalSteps();
    this.seed = config.training().seed();
    for (Tool tool : environments.get().tools()) offeredTools.add(tool.name());
  }

  /** The {@code eval/...} metrics of the policy now. */
  Map<String, Object> now() {
    double correct = 0;
    double reward = 0;
    double calls = 0;
    double errors = 0;
    double withSuccess = 0;
    double turns = 0;
    int n = 0;
    Map<String, Integer> stops = new TreeMap<>();
    Map<String, int[]> perTool = new TreeMap<>(); // tool -> {calls, errors}
    int perChunk = Math.max(1, CHUNK_ROWS / generations);
    for (int s = 0; s < examples.size(); s += perChunk) {
      List<Example> chunk = examples.subList(s, Math.min(examples.size(), s + perChunk));
      try (TrajectoryBatch batch = rollout.run(chunk, environments, generations, Seeds.derive(seed, "trajectory-evaluation", s))) {
        for (Trajectory t : batch.trajectories()) {
          n++;
          double ret = 0;
          for (Turn turn : t.turns()) ret += turn.stepReward() == null ? 0 : turn.stepReward();
          reward += ret;
          Turn last = t.turns().isEmpty() ? null : t.turns().get(t.turns().size() - 1);
          if (t.stopReason() == StopReason.DONE && last != null && last.stepReward() != null && last.stepReward() > 0) {
            correct++;
          }
          calls += t.toolCalls();
          errors += t.toolErrors();
          if (t.toolCalls() > t.toolErrors()) withSuccess++;
          turns += t.turns().size();
          for (Turn turn : t.turns()) {
            for (Turn.ToolOutcome o : turn.tools()) {
              int[] c = perTool.computeIfAbsent(toolKey(o.call()), k -> new int[2]);
              c[0]++;
              if (o.error()) c[1]++;
            }
          }
          stops.merge(t.stopReason().key(), 1, Integer::sum);
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("eval/final_answer_accuracy", correct / n);
    m.put("eval/environment_reward", reward / n);
    m.put("eval/tool_call_success_rate", calls == 0 ? 0.0 : (calls - errors) / calls);
    m.put("eval/tool_calls", calls / n);
    m.put("eval/tool_errors", errors / n);
    m.put("eval/with_successful_tool_call", withSuccess / n);
    m.put("eval/turns", turns / n);
    for (Map.Entry<String, Integer> e : stops.entrySet()) m.put("eval/stop/" + e.getKey(), (double) e.getValue() / n);
    for (Map.Entry<String, int[]> e : perTool.entrySet()) {
      int[] c = e.getValue();
      m.put("eval/tool_call_success_rate/" + e.getKey(), (double) (c[0] - c[1]) / c[0]);
      m.put("eval/tool_calls/" + e.getKey(), (double) c[0] / n);
    }
    return m;
  }

  /** The per-tool metric key of a call: its tool's name, {@code unknown} or {@code malformed}. */
  private String toolKey(ToolCall call) {
    if (!call.wellFormed()) return "malformed";
    return offeredTools.contains(call.name()) ? call.name() : "unknown";
  }

  /** The metrics after step {@code step} (1-based) of {@code totalSteps}: empty when no evaluation is due. */
  Map<String, Object> afterStep(long step, long totalSteps) {
    if (everySteps <= 0 || (step % everySteps != 0 && step != totalSteps)) return Map.of();
    return now();
  }
}
