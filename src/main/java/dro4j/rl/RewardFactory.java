package dro4j.rl;

import dro4j.BadInputException;
import dro4j.reward.RewardRegistry;
import dro4j.reward.Reward;
import java.util.Map;

/**
 * Creates the configured rewards ({@code rewards: [{name: ..., <params>}]}) by name. The trainer
 * depends only on this interface; by default every reward of {@link RewardRegistry#standard()} is
 * available ({@code dro4j reward --list} documents them), and a name with a dot that is not one of them
 * is a class name: a public class implementing {@link Reward} with a public constructor taking the
 * entry's parameters ({@code Map<String, Object>}) or a public no-argument one.
 */
@FunctionalInterface
public interface RewardFactory {

  /**
   * The reward called {@code name} with {@code params}.
   *
   * @throws BadInputException for an unknown name or bad parameters
   */
  Reward create(String name, Map<String, Object> params);

  /**
   * Every reward of the standard registry (r3 and the likelihood family, verifiable, judges, combinators,
   * keyword), and reward classes by name.
   */
  static RewardFactory builtIn() {
    RewardRegistry registry = RewardRegistry.standard();
    return (name, params) -> registry.entry(name).isEmpty() && RewardClasses.looksLikeClassName(name)
        ? RewardClasses.create(name, params)
        : registry.build(name, params);
  }
}
