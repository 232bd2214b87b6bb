package dro4j.rl;

import dro4j.BadInputException;
import dro4j.reward.RewardRegistry;
import dro4j.reward.Reward;
import java.util.Map;

/**
 * Creates the configured rewards ({@code rewards: [{name: ..., <params>}]}) by name. The trainer
 * depends only on this interface; by default every reward of {@link RewardRegistry#standard()} is
 * available ({@code dro4j reward --list} documents them).
 */
@FunctionalInterface
public interface RewardFactory {

  /**
   * The reward called {@code name} with {@code params}.
   *
   * @throws BadInputException for an unknown name or bad parameters
   */
  Reward create(String name, Map<String, Object> params);

  /** Every reward of the standard registry: r3 and the likelihood family, verifiable, judges, combinators, keyword. */
  static RewardFactory builtIn() {
    RewardRegistry registry = RewardRegistry.standard();
    return registry::build;
  }
}
