package dro4j.reward.compose;

import dro4j.reward.RewardRegistry;

/** Registers the combinators. */
public final class CompositeRewards {
  private CompositeRewards() {}

  public static void register(RewardRegistry registry) {}
}
