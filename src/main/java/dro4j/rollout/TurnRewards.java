package dro4j.rollout;

import dro4j.reward.RewardContext;
import dro4j.reward.likelihood.ReferenceScorer;
import dro4j.reward.likelihood.ScoringPolicy;
import dro4j.score.TokenScores;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turn-level rewards of multi-turn trajectories and the per-token advantages they give.
 *
 * <p><b>Information gain</b> (IGPO: Wang et al. 2025, "Information Gain-based Policy Optimization: A
 * Simple and Effective Approach for Multi-Turn LLM Agents", arXiv 2510.14967). The policy's belief in
 * the reference answer {@code a = (a_1..a_L)} after the first t turns (each policy turn with the
 * observation that answered it) is the length-normalised probability
 *
 * <pre>
 *   pi(a | q, o_{&lt;=t}) = exp( (1/L) sum_j log pi(a_j | q, o_{&lt;=t}, a_{&lt;j}) )
 *   r_t = pi(a | q, o_{&lt;=t}) - pi(a | q, o_{&lt;=t-1})          (o_{&lt;=0}: the prompt alone)
 * </pre>
 *
 * scored teacher-forced by the current policy after {@code prompt + trajectory[0, boundary_t) +
 * answer_prefix}, continuing the rollout's KV cache like R3 ({@link ReferenceScorer}), so each
 * boundary costs a forward pass over the answer tokens only. IGPO gives the final turn the outcome
 * reward instead; here the outcome stays in the trajectory advantage and the final turn also gets its
 * gain.
 *
 * <p><b>Environment step rewards</b>: {@link StepResult#reward()} of each turn (0 when none).
 *
 * <p><b>Tool errors</b>: minus the turn's failed tool calls, so that the penalty of a failed call
 * lands on the turn that made it instead of the whole trajectory ({@code tool_error_reward} penalises
 * the trajectory), in the spirit of MT-GRPO's turn-level tool-execution reward (Zeng et al. 2025,
 * "Reinforcing Multi-Turn Reasoning in LLM Agents via Turn-Level Credit Assignment", arXiv 2505.11821).
 *
 * <p><b>Advantages</b> ({@link #tokenAdvantages}): the tokens of turn t of trajectory i get
 *
 * <pre>
 *   A_{i,t} = A_i + w * (r_{i,t} - mean_G(r)) / (std_G(r) + 1e-4)
 * </pre>
 *
 * where {@code A_i} is the trajectory's GRPO advantage from the outcome rewards, mean and (population)
 * std run over every turn reward of the group's G trajectories (IGPO normalises turn rewards over the
 * group), and {@code w} is {@code turn_reward_weight}. With {@code turn_reward_discount} gamma &gt; 0 the
 * normalised term is IGPO's discounted sum over the turn and the later ones, {@code sum_{k >= t}
 * gamma^(k-t) n_{i,k}}; the default 0 adds only the turn's own. The outcome signal stays untouched
 * when the turn rewards carry none (std 0 gives 0).
 */
public final class TurnRewards {
  private TurnRewards() {}

  /** One part of a turn-level reward; {@code turn_reward} names one or several joined by {@code +}. */
  public enum Component {
    /** IGPO's information gain. */
    INFORMATION_GAIN("information_gain"),
    /** The environment's step rewards. */
    ENVIRONMENT("environment"),
    /** Minus the turn's failed tool calls: the penalty lands on the turn that made the call. */
    TOOL_ERRORS("tool_errors");

    private final String configName;

    Component(String configName) {
      this.configName = configName;
    }
  }

  /**
   * Which turn-level rewards are added to the outcome advantage: none, or the sum of one or more
   * {@link Component}s.
   *
   * @param parts the summed components; empty for none
   */
  public record Kind(java.util.Set<Component> parts) {
    /** No turn reward: every token of a trajectory gets its trajectory advantage (default). */
    public static final Kind NONE = new Kind(java.util.EnumSet.noneOf(Component.class));

    public Kind {
      parts = java.util.Collections.unmodifiableSet(parts.isEmpty()
          ? java.util.EnumSet.noneOf(Component.class) : java.util.EnumSet.copyOf(parts));
    }

    /**
     * Parses a configured name: {@code none}, or components joined by {@code +} in any order
     * ({@code information_gain}, {@code environment}, {@code tool_errors}), e.g.
     * {@code information_gain+environment}.
     */
    public static Kind parse(String name) {
      String n = name == null ? "none" : name.trim().toLowerCase(Locale.ROOT);
      if (n.isEmpty() || n.equals("none")) return NONE;
      java.util.Set<Component> parts = java.util.EnumSet.noneOf(Component.class);
      for (String part : n.split("\\+", -1)) {
        Component found = null;
        for (Component c : Component.values()) if (c.configName.equals(part.trim())) found = c;
        if (found == null || !parts.add(found)) {
          throw new dro4j.BadInputException("turn_reward must be none or one or more of information_gain, environment"
              + " and tool_errors joined by '+' (each once), got " + name);
        }
      }
      return new Kind(parts);
    }

    /** Whether no turn reward is configured. */
    public boolean isNone() {
      return parts.isEmpty();
    }

    /** Whether the information gain is needed. */
    public boolean usesInformationGain() {
      return parts.contains(Component.INFORMATION_GAIN);
    }

    /** Whether step rewards are needed. */
    public boolean usesEnvironment() {
      return parts.contains(Component.ENVIRONMENT);
    }

    /** Whether each turn's failed tool calls are counted. */
    public boolean usesToolErrors() {
      return parts.contains(Component.TOOL_ERRORS);
    }
  }

  /** The turn rewards of {@code kind}, {@code [trajectory][turn]}; null for {@link Kind#NONE}. */
  public static double[][] of(Kind kind, TrajectoryBatch batch, RewardContext ctx, String answerPrefix, double temperature) {
    if (kind.isNone()) return null;
    List<Trajectory> trajectories = batch.trajectories();
    double[][] out = new double[trajectories.size()][];
    for (int i = 0; i < out.length; i++) out[i] = new double[trajectories.get(i).turns().size()];
    if (kind.usesEnvironment()) add(out, stepRewards(trajectories));
    if (kind.usesToolErrors()) add(out, toolErrorTurns(trajectories));
    if (kind.usesInformationGain()) add(out, informationGain(batch, ctx, answerPrefix, temperature));
    return out;
  }

  private static void add(double[][] into, double[][] x) {
    for (int i = 0; i < into.length; i++) for (int t = 0; t < into[i].length; t++) into[i][t] += x[i][t];
  }

  /** Minus each turn's failed tool calls (malformed, unknown tool, the tool's error). */
  public static double[][] toolErrorTurns(List<Trajectory> trajectories) {
    return perTurn(trajectories, turn -> -turn.toolErrors());
  }

  /** Each turn's environment reward, 0 where the environment gave none. */
  public static double[][] stepRewards(List<Trajectory> trajectories) {
    return perTurn(trajectories, turn -> turn.stepReward() == null ? 0 : turn.stepReward());
  }

  /** {@code value} of every turn, {@code [trajectory][turn]}. */
  private static double[][] perTurn(List<Trajectory> trajectories, java.util.function.ToDoubleFunction<Turn> value) {
    double[][] out = new double[trajectories.size()][];
    for (int i = 0; i < out.length; i++) {
      List<Turn> turns = trajectories.get(i).turns();
      out[i] = new double[turns.size()];
      for (int t = 0; t < turns.size(); t++) out[i][t] = value.applyAsDouble(turns.get(t));
    }
    return out;
  }

  /**
   * {@code pi(a | q, o_{<=k})} for every boundary k of every trajectory ({@link
   * Trajectory#turnBoundaries()}), scored by the current policy of {@code ctx}, continuing {@code
   * ctx.generation()}'s cache when it is the batch's.
   */
  public static double[][] referenceBelief(TrajectoryBatch batch, RewardContext ctx, String answerPrefix, double temperature) {
    List<Trajectory> trajectories = batch.trajectories();
    int g = batch.groupSize();
    int most = 0;
    for (Trajectory t : trajectories) most = Math.max(most, t.turnBoundaries().length);
    double[][] out = new double[trajectories.size()][];
    for (int i = 0; i < out.length; i++) out[i] = new double[trajectories.get(i).turnBoundaries().length];
    ScoringPolicy current = ScoringPolicy.current();
    for (int k = 0; k < most; k++) {
      List<ReferenceScorer.Request> requests = new ArrayList<>(trajectories.size());
      for (int i = 0; i < trajectories.size(); i++) {
        Trajectory t = trajectories.get(i);
        int[] bounds = t.turnBoundaries();
        int b = bounds[Math.min(k, bounds.length - 1)];
        ReferenceScorer.Target target = ReferenceScorer.tokenizeReference(
            ctx.policy().tokenizer(), answerPrefix, batch.examples().get(i / g).reference());
        int[] context = ReferenceScorer.concat(t.promptIds(), java.util.Arrays.copyOf(t.tokens(), b), target.prefixIds());
        requests.add(new ReferenceScorer.Request(t.cacheRow(), context, target.referenceIds()));
      }
      List<TokenScores> scores = ReferenceScorer.score(requests, ctx, current, temperature).scores();
      for (int i = 0; i < trajectories.size(); i++) {
        if (k < out[i].length) out[i][k] = belief(scores.get(i).logprobs());
      }
    }
    return out;
  }

  /** IGPO's r_t = pi(a | o_{<=t}) - pi(a | o_{<=t-1}) for every turn, {@code [trajectory][turn]}. */
  public static double[][] informationGain(TrajectoryBatch batch, RewardContext ctx, String answerPrefix, double temperature) {
    double[][] belief = referenceBelief(batch, ctx, answerPrefix, temperature);
    double[][] out = new double[belief.length][];
    for (int i = 0; i < belief.length; i++) {
      out[i] = new double[belief[i].length - 1];
      for (int t = 0; t < out[i].length; t++) out[i][t] = belief[i][t + 1] - belief[i][t];
    }
    return out;
  }

  /** exp of the mean log-prob; 1 for an empty answer. */
  static double belief(float[] logprobs) {
    if (logprobs.length == 0) return 1;
    double s = 0;
    for (float l : logprobs) s += l;
    return Math.exp(s / logprobs.length);
  }

  /**
   * Per-token advantages: every token of a trajectory gets its trajectory advantage, and with turn
   * rewards the tokens of turn t add {@code weight} times the group-normalised turn reward (formula in
   * the class comment). Observation tokens get the value of the turn they follow; they are masked out
   * of the loss anyway.
   *
   * @param trajectoryAdvantages {@code A_i}, one per trajectory
   * @param turnRewards {@code [trajectory][turn]}, or null for none
   */
  public static List<float[]> tokenAdvantages(
      List<Trajectory> trajectories, double[] trajectoryAdvantages, double[][] turnRewards, int groupSize, double weight) {
    return tokenAdvantages(trajectories, trajectoryAdvantages, turnRewards, groupSize, weight, 0);
  }

  /**
   * {@link #tokenAdvantages} where turn t gets the discounted sum of the normalised rewards of turns
   * t, t+1, ... ({@code sum_k gamma^(k-t) n_k}, IGPO's discounted return; {@code gamma = 0}: the turn's own).
   */
  public static List<float[]> tokenAdvantages(List<Trajectory> trajectories, double[] trajectoryAdvantages,
      double[][] turnRewards, int groupSize, double weight, double gamma) {
    double[][] normalised = turnRewards == null ? null : discounted(normalise(turnRewards, groupSize), gamma);
    List<float[]> out = new ArrayList<>(trajectories.size());
    for (int i = 0; i < trajectories.size(); i++) {
      Trajectory t = trajectories.get(i);
      float[] a = new float[t.tokens().length];
      java.util.Arrays.fill(a, (float) trajectoryAdvantages[i]);
      if (normalised != null) {
        List<Turn> turns = t.turns();
        for (int k = 0; k < turns.size(); k++) {
          Turn turn = turns.get(k);
          float v = (float) (trajectoryAdvantages[i] + weight * normalised[i][k]);
          java.util.Arrays.fill(a, turn.start(), Math.max(turn.end(), turn.observationEnd()), v);
        }
      }
      out.add(a);
    }
    return out;
  }

  /** {@code out[i][t] = sum_{k >= t} gamma^(k - t) x[i][k]}. */
  static double[][] discounted(double[][] x, double gamma) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i].clone();
      for (int t = out[i].length - 2; t >= 0; t--) out[i][t] += gamma * out[i][t + 1];
    }
    return out;
  }

  /** (r - mean) / (std + 1e-4) over all turn rewards of each group of {@code groupSize} trajectories. */
  static double[][] normalise(double[][] rewards, int groupSize) {
    double[][] out = new double[rewards.length][];
    for (int start = 0; start < rewards.length; start += groupSize) {
      double sum = 0;
      int n = 0;
      for (int i = start; i < start + groupSize; i++) for (double r : rewards[i]) { sum += r; n++; }
      double mean = n == 0 ? 0 : sum / n;
      double sq = 0;
      for (int i = start; i < start + groupSize; i++) for (double r : rewards[i]) sq += (r - mean) * (r - mean);
      double std = n == 0 ? 0 : Math.sqrt(sq / n);
      for (int i = start; i < start + groupSize; i++) {
        out[i] = new double[rewards[i].length];
        for (int t = 0; t < out[i].length; t++) out[i][t] = std == 0 ? 0 : (rewards[i][t] - mean) / (std + 1e-4);
      }
    }
    return out;
  }

}
