package dro4j.reward.compose;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Gated reward accumulation (G-RA, "Stabilizing Long-term Multi-turn Reinforcement Learning with
 * Gated Rewards", arXiv 2508.10548, 2025): rewards in priority order, and a lower-priority reward
 * counts for a rollout only when every higher-priority reward passed its threshold ({@link
 * Shaping#gated}). The paper gates dense step rewards on the outcome reward so that the policy
 * cannot farm the easy signals while failing the task; here, for example, a format or length reward
 * counts only for correct answers. Logged like {@link WeightedSum}, plus {@code name/counted}: per
 * rollout, whether that reward counted.
 *
 * @param tiers the rewards, highest priority first
 */
public record GatedReward(List<Tier> tiers) implements Reward, AutoCloseable {

  /**
   * One level of the gate chain.
   *
   * @param reward the reward
   * @param weight its weight
   * @param threshold the score the reward must reach for the next tiers to count (NaN for the last
   *     tier, which gates nothing)
   */
  public record Tier(Reward reward, double weight, double threshold) {
    /** Checks the weight. */
    public Tier {
      Objects.requireNonNull(reward, "reward");
      if (!Double.isFinite(weight)) {
        throw new BadInputException("weight of " + reward.name() + " must be finite, got " + weight);
      }
    }
  }

  /** Copies the tiers and checks that every tier but the last has a threshold. */
  public GatedReward {
    tiers = List.copyOf(tiers);
    if (tiers.isEmpty()) {
      throw new BadInputException("gated needs at least one reward");
    }
    for (int k = 0; k < tiers.size() - 1; k++) {
      if (Double.isNaN(tiers.get(k).threshold())) {
        throw new BadInputException("gated: reward " + (k + 1) + " (" + tiers.get(k).reward().name()
            + ") needs a threshold: every reward but the last gates the ones after it");
      }
    }
  }

  @Override
  public String name() {
    return "gated";
  }

  /** Independent when every component is. */
  @Override
  public boolean scoresGroupsIndependently() {
    return tiers.stream().allMatch(t -> t.reward().scoresGroupsIndependently());
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<Reward> rewards = tiers.stream().map(Tier::reward).toList();
    double[] weights = tiers.stream().mapToDouble(Tier::weight).toArray();
    double[] thresholds = tiers.stream().mapToDouble(Tier::threshold).toArray();
    List<List<RewardResult>> results = new ArrayList<>();
    for (Reward r : rewards) {
      results.add(Components.score(r, groups, context));
    }
    List<String> names = Components.names(rewards);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      double[][] m = Components.matrix(results, g);
      Map<String, Object> diagnostics = Components.diagnostics(names, results, g);
      for (int k = 0; k < m.length; k++) {
        List<Boolean> counted = new ArrayList<>();
        for (int i = 0; i < m[k].length; i++) {
          boolean open = true;
          for (int j = 0; j < k; j++) {
            open &= m[j][i] >= thresholds[j];
          }
          counted.add(open);
        }
        diagnostics.put(names.get(k) + "/counted", counted);
      }
      out.add(new RewardResult(Shaping.gated(m, weights, thresholds), diagnostics));
    }
    return out;
  }

  /** Closes the components. */
  @Override
  public void close() {
    Components.closeAll(tiers.stream().map(Tier::reward).toList());
  }
}
