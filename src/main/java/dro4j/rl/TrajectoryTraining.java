package dro4j.rl;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.Generator;
import dro4j.generate.SamplingParams;
import dro4j.reward.RewardContext;
import dro4j.rl.config.GrpoConfig;
import dro4j.rollout.Environment;
import dro4j.rollout.Environments;
import dro4j.rollout.RolloutSettings;
import dro4j.rollout.ToolCallParser;
import dro4j.rollout.Trajectory;
import dro4j.rollout.TrajectoryBatch;
import dro4j.rollout.TrajectoryRollout;
import dro4j.rollout.Turn;
import dro4j.rollout.TurnRewards;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The multi-turn half of a GRPO step, used when the job sets {@code environment}: samples {@code
 * num_generations} trajectories per prompt ({@link TrajectoryRollout}), scores them with the
 * configured rewards (which see each trajectory as one rollout whose cache row holds it) plus the
 * environment's return (the sum of its step rewards, logged as {@code rewards/environment}), turns the
 * total into one advantage per trajectory within its group, adds the turn-level reward when {@code
 * turn_reward} is set ({@link TurnRewards}), and trains the policy's own tokens only ({@link
 * GrpoUpdate#runMasked}). Logs per-turn metrics under {@code turns/}.
 */
final class TrajectoryTraining {
  private final GrpoConfig config;
  private final LanguageModel policy;
  private final LanguageModel reference;
  private final RewardScoring rewards;
  private final GrpoUpdate update;
  private final Supplier<Environment> environments;
  private final TrajectoryRollout rollout;
  private final TurnRewards.Kind turnReward;

  TrajectoryTraining(GrpoConfig config, LanguageModel policy, LanguageModel reference, RewardScoring rewards,
      GrpoUpdate update, SamplingParams sampling) {
    this.config = config;
    this.policy = policy;
    this.reference = reference;
    this.rewards = rewards;
    this.update = update;
    this.environments = Environments.byName(config.environment());
    this.turnReward = TurnRewards.Kind.parse(config.turnReward());
    RolloutSettings settings = new RolloutSettings(sampling, config.maxTurns(), config.maxToolCallingIterations(),
        config.maxCompletionLength(), config.maxToolResponseLength(),
        new ToolCallParser(config.toolCallOpen(), config.toolCallClose()), config.training().chatTemplateKwargs(), null);
    this.rollout = new TrajectoryRollout(policy, settings);
  }

  /** What a step did: its metrics and the update's result (null when nothing was trained). */
  record Outcome(Map<String, Object> metrics, GrpoUpdate.Result result, boolean skipped, long generatedTokens,
      double generationSeconds, List<CompletionsListener.Row> completions) {}

  /** {@code tool_error_reward} times each trajectory's failed tool calls. */
  static double[] toolErrorRewards(List<Trajectory> trajectories, double perError) {
    double[] out = new double[trajectories.size()];
    for (int i = 0; i < out.length; i++) out[i] = perError * trajectories.get(i).toolErrors();
    return out;
  }

  /** {@code tool_success_reward} times the share of each trajectory's calls that ran; 0 without calls. */
  static double[] toolSuccessRewards(List<Trajectory> trajectories, double weight) {
    double[] out = new double[trajectories.size()];
    for (int i = 0; i < out.length; i++) {
      Trajectory t = trajectories.get(i);
      out[i] = t.toolCalls() == 0 ? 0.0 : weight * (t.toolCalls() - t.toolErrors()) / (double) t.toolCalls();
    }
    return out;
  }

  /** Adds a per-trajectory reward to the totals, as entry {@code name} and metric {@code rewards/<name>/mean}. */
  private static void addReward(String name, double[] values, double[] total, Map<String, double[]> perReward,
      Map<String, Object> metrics) {
    for (int i = 0; i < total.length; i++) total[i] += values[i];
    perReward.put(name, values);
    metrics.put("rewards/" + name + "/mean", Stats.mean(values));
  }

  /**
   * Rolls out, scores and trains one step; {@code metrics} receives the rollout, reward and advantage
   * metrics. With {@code logCompletions} the outcome carries one {@code completions.jsonl} row per
   * trajectory: the prompt and the whole trajectory decoded with its special tokens, so every turn,
   * tool result and observation shows where the template put it.
   */
  Outcome step(long index, List<Example> examples, long seed, Map<String, Object> metrics, boolean logCompletions) {
    int g = config.numGenerations();
    long[] seeds = GroupRollout.seeds(seed, index, examples);
    List<GroupRollout.Result> scored = new ArrayList<>();
    List<double[]> turnRows = new ArrayList<>();
    double[] generationSeconds = {0};
    // each prompt's group draws the streams of (seed, step, example id), as if rolled out alone, with up
    // to Generator.BATCH_ROWS rows of several groups on one cache; a batch is scored (rewards, IGPO's
    // information gain from its KV cache) before its cache closes
    List<Integer> order = new ArrayList<>();
    for (int q = 0; q < examples.size(); q++) order.add(q);
    List<Trajectory> trajectories = Generator.inBatches(order, g, chunk -> {
      List<Example> some = new ArrayList<>(chunk.size());
      long[] someSeeds = new long[chunk.size()];
      for (int i = 0; i < chunk.size(); i++) {
        some.add(examples.get(chunk.get(i)));
        someSeeds[i] = seeds[chunk.get(i)];
      }
      long t0 = System.nanoTime();
      try (TrajectoryBatch batch = rollout.runGroups(some, environments, g, someSeeds)) {
        generationSeconds[0] += (System.nanoTime() - t0) / 1e9;
        RewardContext ctx = new RewardContext(policy, reference, batch.generation(), index);
        if (rewards != null) {
          RewardScoring.Scores s = rewards.score(batch.groups(), ctx);
          scored.add(new GroupRollout.Result(List.of(), s.perReward(), s.total(), 0, 0));
        }
        double[][] turns = TurnRewards.of(turnReward, batch, ctx, config.informationGainAnswerPrefix(), config.temperature());
        if (turns != null) turnRows.addAll(List.of(turns));
        return batch.trajectories();
      }
    }, null);
    double[] envReturn = new double[trajectories.size()];
    double[][] steps = TurnRewards.stepRewards(trajectories);
    for (int i = 0; i < envReturn.length; i++) for (double r : steps[i]) envReturn[i] += r;
    double[] total = envReturn.clone();
    Map<String, double[]> perReward = new java.util.LinkedHashMap<>();
    if (config.toolErrorReward() != 0) {
      addReward("tool_errors", toolErrorRewards(trajectories, config.toolErrorReward()), total, perReward, metrics);
    }
    if (config.toolSuccessReward() != 0) {
      addReward("tool_success", toolSuccessRewards(trajectories, config.toolSuccessReward()), total, perReward, metrics);
    }
    if (rewards != null) {
      RewardScoring.Scores scores = GroupRollout.scores(scored);
      for (int i = 0; i < total.length; i++) total[i] += scores.total()[i];
      StepMetrics.rewards(metrics, scores);
      perReward.putAll(scores.perReward());
    }
    perReward.put("environment", envReturn);
    metrics.put("reward", Stats.mean(total));
    metrics.put("reward_std", Stats.std(total));
    metrics.put("rewards/environment/mean", Stats.mean(envReturn));
    metrics.put("rewards/environment/std", Stats.std(envReturn));
    turnMetrics(metrics, trajectories);
    long generated = 0;
    for (Trajectory t : trajectories) generated += t.policyTokens();
    for (double v : total) {
      if (!Double.isFinite(v)) {
        metrics.put("nonfinite_rewards", 1);
        return new Outcome(metrics, null, true, generated, generationSeconds[0],
            logCompletions ? rows(index + 1, trajectories, perReward, null) : List.of());
      }
    }
    metrics.put("nonfinite_rewards", 0);
    int[] groupIds = new int[total.length];
    for (int i = 0; i < groupIds.length; i++) groupIds[i] = i / g;
    Advantages adv = config.advantageEstimator().compute(total, groupIds, config.scaleRewards(), false);
    StepMetrics.advantages(metrics, adv);
    double[] a = new double[total.length];
    for (int i = 0; i < a.length; i++) a[i] = adv.get(i);
    double[][] turns = turnReward.isNone() ? null : turnRows.toArray(new double[0][]);
    if (turns != null) metrics.put("turns/turn_reward/mean", meanOf(turns));
    List<float[]> tokenAdvantages = TurnRewards.tokenAdvantages(trajectories, a, turns, g, config.turnRewardWeight(),
        config.turnRewardDiscount());
    List<int[]> prompts = new ArrayList<>();
    List<int[]> completions = new ArrayList<>();
    List<float[]> masks = new ArrayList<>();
    for (Trajectory t : trajectories) {
      prompts.add(t.promptIds());
      completions.add(t.tokens());
      boolean truncated = t.stopReason() == dro4j.rollout.StopReason.MAX_COMPLETION_LENGTH;
      masks.add(config.maskTruncatedCompletions() && truncated ? new float[t.tokens().length] : t.lossMask());
    }
    metrics.put("rows_trained", trajectories.size());
    GrpoUpdate.Result result = update.runMasked(prompts, completions, masks, tokenAdvantages, index * config.numIterations());
    return new Outcome(metrics, result, false, generated, generationSeconds[0],
        logCompletions ? rows(index + 1, trajectories, perReward, a) : List.of());
  }

  private List<CompletionsListener.Row> rows(long step, List<Trajectory> trajectories, Map<String, double[]> perReward,
      double[] advantages) {
    List<CompletionsListener.Row> out = new ArrayList<>(trajectories.size());
    for (int i = 0; i < trajectories.size(); i++) {
      Trajectory t = trajectories.get(i);
      Map<String, Double> values = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, double[]> e : perReward.entrySet()) values.put(e.getKey(), e.getValue()[i]);
      out.add(new CompletionsListener.Row(step, policy.tokenizer().decode(t.promptIds(), false),
          policy.tokenizer().decode(t.tokens(), false), values, advantages == null ? null : advantages[i], turns(t)));
    }
    return out;
  }

  /** The trajectory turn by turn for completions.jsonl: each policy turn, then each tool result or observation. */
  static List<Map<String, Object>> turns(Trajectory t) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Turn turn : t.turns()) {
      Map<String, Object> a = new java.util.LinkedHashMap<>();
      a.put("role", "assistant");
      a.put("text", turn.text());
      List<Map<String, Object>> calls = new ArrayList<>();
      for (Turn.ToolOutcome o : turn.tools()) {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        if (o.call().wellFormed()) {
          c.put("name", o.call().name());
          c.put("arguments", o.call().arguments());
        } else {
          c.put("error", o.call().error());
        }
        calls.add(c);
      }
      if (!calls.isEmpty()) a.put("tool_calls", calls);
      a.put("reward", turn.stepReward());
      out.add(a);
      for (Turn.ToolOutcome o : turn.tools()) {
        Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("role", "tool");
        if (o.call().wellFormed()) r.put("name", o.call().name());
        r.put("text", o.result());
        r.put("error", o.error());
        out.add(r);
      }
      if (turn.observation() != null) {
        Map<String, Object> u = new java.util.LinkedHashMap<>();
        u.put("role", "user");
        u.put("text", turn.observation());
        out.add(u);
      }
    }
    return out;
  }

  /**
   * turns/mean, tool calls and errors per trajectory, the share of calls that ran, the share of each
   * stop reason and the mean reward per turn.
   */
  static void turnMetrics(Map<String, Object> m, List<Trajectory> trajectories) {
    double[] turns = new double[trajectories.size()];
    double[] calls = new double[trajectories.size()];
    double[] errors = new double[trajectories.size()];
    double[] policyTokens = new double[trajectories.size()];
    Map<String, Integer> reasons = new java.util.TreeMap<>();
    int most = 0;
    for (int i = 0; i < turns.length; i++) {
      Trajectory t = trajectories.get(i);
      turns[i] = t.turns().size();
      calls[i] = t.toolCalls();
      errors[i] = t.toolErrors();
      policyTokens[i] = t.policyTokens();
      reasons.merge(t.stopReason().key(), 1, Integer::sum);
      most = Math.max(most, t.turns().size());
    }
    m.put("turns/mean", Stats.mean(turns));
    m.put("turns/max", Stats.max(turns));
    m.put("turns/tool_calls", Stats.mean(calls));
    m.put("turns/tool_errors", Stats.mean(errors));
    double callSum = 0;
    double errorSum = 0;
    for (int i = 0; i < calls.length; i++) {
      callSum += calls[i];
      errorSum += errors[i];
    }
    m.put("turns/tool_call_success_rate", callSum == 0 ? 0.0 : (callSum - errorSum) / callSum);
    m.put("completions/mean_length", Stats.mean(policyTokens));
    for (Map.Entry<String, Integer> e : reasons.entrySet()) {
      m.put("turns/stop/" + e.getKey(), (double) e.getValue() / trajectories.size());
    }
    for (int k = 0; k < most; k++) {
      double sum = 0;
      int n = 0;
      for (Trajectory t : trajectories) {
        if (k < t.turns().size()) {
          Turn turn = t.turns().get(k);
          sum += turn.stepReward() == null ? 0 : turn.stepReward();
          n++;
        }
      }
      m.put("turns/" + (k + 1) + "/reward", sum / n);
    }
  }

  private static double meanOf(double[][] x) {
    double s = 0;
    int n = 0;
    for (double[] row : x) for (double v : row) { s += v; n++; }
    return n == 0 ? 0 : s / n;
  }
}
