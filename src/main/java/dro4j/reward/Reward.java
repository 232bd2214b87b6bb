package dro4j.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * A reward function over groups of rollouts.
 *
 * <p>A reward sees all G rollouts of a prompt together and returns one score per rollout, so rewards
 * that compare rollouts (R3's per-token variation across the group, group log-mean-exp, agreement) fit
 * the same interface as per-response rules. Rewards may batch work across the groups of a call (R3
 * scores every rollout of every group in one batched continuation of the generation's KV cache).
 *
 * <p>Implementations are stateless or keep only what their configuration says. A reward that holds
 * native memory (a {@code lagged} scoring policy's model copy) also implements {@link AutoCloseable};
 * whoever builds a reward closes it with {@link #closeIfNeeded} (the trainer closes the rewards it
 * created from the configuration; combinators close their components); several rewards are combined by {@code CompositeReward}-style combinators with weights, and
 * each is logged under its {@link #name()}.
 */
public interface Reward {

  /** The name this reward is logged and configured under, e.g. {@code r3} or {@code rouge1}. */
  String name();

  /** Scores every group; the result list is aligned with {@code groups}. */
  List<RewardResult> score(List<RolloutGroup> groups, RewardContext context);

  /**
   * Whether each group's scores depend on that group alone, so that scoring the groups one call at a
   * time gives what one call over all of them gives. True for every reward but those that compare
   * groups with each other (a batch normalisation); training scores each prompt's group where it was
   * sampled and refuses the others.
   */
  default boolean scoresGroupsIndependently() {
    return true;
  }

  /** Closes {@code reward} when it is {@link AutoCloseable}; a failure to close is rethrown unchecked. */
  static void closeIfNeeded(Reward reward) {
    if (reward instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("closing reward " + reward.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * A reward computed independently for each rollout from its text and its example, the common case
   * of rule-based rewards.
   */
  interface PerRollout extends Reward {
    /** Score of one rollout. */
    double score(Rollout rollout, RolloutGroup group);

    @Override
    default List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
      List<RewardResult> out = new ArrayList<>(groups.size());
      for (RolloutGroup g : groups) {
        double[] scores = new double[g.size()];
        for (int i = 0; i < scores.length; i++) {
          scores[i] = score(g.rollouts().get(i), g);
        }
        out.add(RewardResult.of(scores));
      }
      return out;
    }
  }
}
