package dro4j.reward;

import dro4j.LanguageModel;
import dro4j.generate.Generation;

/**
 * What a reward may use besides the rollouts: the policy (rewards the model computes itself score with
 * it), an optional frozen reference policy, the generation whose KV cache holds the rollouts (so a
 * reference answer can be scored after each rollout without re-encoding it), and the training step.
 *
 * @param policy the current policy; may be null for rewards that need no model (verifiable, judges)
 * @param referencePolicy a frozen reference policy, or null when none is loaded
 * @param generation the generation the rollouts came from, with its cache kept, or null; rows are
 *     addressed by {@link Rollout#cacheRow()}
 * @param step the training step (0 before training; rewards with schedules, such as a lagged scoring
 *     policy, read it)
 */
public record RewardContext(LanguageModel policy, LanguageModel referencePolicy, Generation generation, long step) {

  /** A context with no model at all, for rewards computed from text. */
  public static RewardContext textOnly() {
    return new RewardContext(null, null, null, 0);
  }

  /** A context with only a policy and no cache (rewards re-encode what they score). */
  public static RewardContext of(LanguageModel policy) {
    return new RewardContext(policy, null, null, 0);
  }
}
