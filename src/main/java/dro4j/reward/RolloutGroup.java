package dro4j.reward;

import dro4j.data.Example;
import java.util.List;

/**
 * All rollouts of one prompt, the unit a reward scores: group-relative rewards (R3's per-token sigma,
 * JEPO, co-rewards) need every rollout of a prompt at once.
 *
 * @param example the data example (its reference answer and metadata); its reference may be empty
 *     when the data set has none
 * @param promptIds the prompt exactly as the policy saw it (chat template applied)
 * @param rollouts the G sampled responses
 */
public record RolloutGroup(Example example, int[] promptIds, List<Rollout> rollouts) {

  public RolloutGroup {
    rollouts = List.copyOf(rollouts);
  }

  /** The reference answer text of the example. */
  public String reference() {
    return example.reference();
  }

  /** Number of rollouts G. */
  public int size() {
    return rollouts.size();
  }
}
