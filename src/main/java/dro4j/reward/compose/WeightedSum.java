package dro4j.reward.compose;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A weighted sum of rewards, R_i = sum_k w_k r_k,i ({@link Shaping#weightedSum}), the usual way to
 * combine a correctness reward with format and length terms (DRO combines R3 with its length
 * penalty this way). Each component is logged on its own: its scores under its name and its
 * diagnostics under {@code name/key}; a repeated name is suffixed {@code #2}. Wrap a component in
 * {@link NormalizedReward} to normalise or clip it first.
 *
 * @param components the rewards and their weights
 */
public record WeightedSum(List<Component> components) implements Reward, AutoCloseable {

  /**
   * One term of the sum.
   *
   * @param reward the reward
   * @param weight its weight (any finite number; negative for a penalty)
   */
  public record Component(Reward reward, double weight) {
    /** Checks the weight. */
    public Component {
      Objects.requireNonNull(reward, "reward");
      if (!Double.isFinite(weight)) {
        throw new BadInputException("weight of " + reward.name() + " must be finite, got " + weight);
      }
    }
  }

  /** Copies the components; at least one. */
  public WeightedSum {
    components = List.copyOf(components);
    if (components.isEmpty()) {
      throw new BadInputException("weighted_sum needs at least one reward");
    }
  }

  @Override
  public String name() {
    return "weighted_sum";
  }

  /** Independent when every component is. */
  @Override
  public boolean scoresGroupsIndependently() {
    return components.stream().allMatch(c -> c.reward().scoresGroupsIndependently());
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<Reward> rewards = components.stream().map(Component::reward).toList();
    double[] weights = components.stream().mapToDouble(Component::weight).toArray();
    List<List<RewardResult>> results = new ArrayList<>();
    for (Reward r : rewards) {
      results.add(Components.score(r, groups, context));
    }
    List<String> names = Components.names(rewards);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      double[] total = Shaping.weightedSum(Components.matrix(results, g), weights);
      out.add(new RewardResult(total, Components.diagnostics(names, results, g)));
    }
    return out;
  }

  /** Closes the components. */
  @Override
  public void close() {
    Components.closeAll(components.stream().map(Component::reward).toList());
  }
}
