package dro4j.reward.judge;

import dro4j.reward.RewardRegistry;

/** Registers the judge rewards. */
public final class JudgeRewards {
  private JudgeRewards() {}

  public static void register(RewardRegistry registry) {}
}
