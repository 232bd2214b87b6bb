package dro4j.rl;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores rollout groups with several rewards and combines them into one total per rollout, TRL's
 * {@code reward_funcs} with {@code reward_weights} and {@code multi_objective_aggregation =
 * "sum_then_normalize"}: total_i = sum_k w_k r_k,i, and advantages are computed from the total.
 * Each reward's scores are kept for logging under its name (a repeated name gets {@code #2},
 * {@code #3}).
 *
 * <p>Non-finite scores are passed through, not repaired: a NaN or infinite score makes the total
 * non-finite, and the trainer's guard skips that step's update.
 */
public final class RewardScoring {

  /**
   * A reward and its weight in the total.
   *
   * @param reward the reward
   * @param weight its weight (finite)
   */
  public record Weighted(Reward reward, double weight) {
    public Weighted {
      if (reward == null) throw new BadInputException("reward must be given");
      if (!Double.isFinite(weight)) {
        throw new BadInputException("weight of reward " + reward.name() + " must be finite, got " + weight);
      }
    }
  }

  /**
   * The scores of one batch.
   *
   * @param perReward each reward's score per rollout (row-major over groups), by logged name
   * @param total the weighted sum per rollout
   */
  public record Scores(Map<String, double[]> perReward, double[] total) {
    /** Number of rollouts whose total is NaN or infinite. */
    public int nonFinite() {
      int n = 0;
      for (double v : total) if (!Double.isFinite(v)) n++;
      return n;
    }
  }

  private final List<Weighted> rewards;
  private final List<String> names;

  /** Scoring with {@code rewards} (at least one). */
  public RewardScoring(List<Weighted> rewards) {
    if (rewards == null || rewards.isEmpty()) {
      throw new BadInputException("no rewards configured: give 'rewards' in the configuration or Reward objects to the trainer");
    }
    this.rewards = List.copyOf(rewards);
    this.names = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (Weighted w : rewards) {
      String base = w.reward().name();
      int n = seen.merge(base, 1, Integer::sum);
      names.add(n == 1 ? base : base + "#" + n);
    }
  }

  /** The logged name of each reward, in order. */
  public List<String> names() {
    return List.copyOf(names);
  }

  /** Scores every rollout of every group with every reward and sums them with their weights. */
  public Scores score(List<RolloutGroup> groups, RewardContext context) {
    int rows = 0;
    for (RolloutGroup g : groups) rows += g.size();
    Map<String, double[]> perReward = new LinkedHashMap<>();
    double[][] matrix = new double[rewards.size()][];
    double[] weights = new double[rewards.size()];
    for (int k = 0; k < rewards.size(); k++) {
      Reward reward = rewards.get(k).reward();
      List<RewardResult> results = reward.score(groups, context);
      if (results.size() != groups.size()) {
        throw new IllegalStateException(
            "reward " + names.get(k) + " returned " + results.size() + " results for " + groups.size() + " groups");
      }
      double[] flat = new double[rows];
      int row = 0;
      for (int g = 0; g < groups.size(); g++) {
        double[] s = results.get(g).scores();
        if (s.length != groups.get(g).size()) {
          throw new IllegalStateException(
              "reward " + names.get(k) + " returned " + s.length + " scores for a group of " + groups.get(g).size());
        }
        System.arraycopy(s, 0, flat, row, s.length);
        row += s.length;
      }
      matrix[k] = flat;
      weights[k] = rewards.get(k).weight();
      perReward.put(names.get(k), flat);
    }
    return new Scores(perReward, weightedSum(matrix, weights));
  }

  /** total_i = sum_k weights[k] * scores[k][i]; a non-finite score gives a non-finite total. */
  public static double[] weightedSum(double[][] scores, double[] weights) {
    if (scores.length != weights.length || scores.length == 0) {
      throw new BadInputException("weighted sum: " + scores.length + " score rows but " + weights.length + " weights");
    }
    double[] total = new double[scores[0].length];
    for (int k = 0; k < scores.length; k++) {
      if (scores[k].length != total.length) throw new BadInputException("weighted sum: ragged score rows");
      for (int i = 0; i < total.length; i++) {
        total[i] += weights[k] * scores[k][i];
      }
    }
    return total;
  }
}
