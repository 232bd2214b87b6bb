package dro4j.rl;

import dro4j.BadInputException;
import dro4j.reward.KeywordReward;
import dro4j.reward.Reward;
import java.util.Map;

/**
 * Creates the configured rewards ({@code rewards: [{name: ..., <params>}]}) by name. The trainer
 * depends only on this interface; the full catalogue of rewards plugs in here (for example {@code
 * RewardRegistry.standard()::build}, whose {@code build(name, params)} has this shape).
 */
@FunctionalInterface
public interface RewardFactory {

  /**
   * The reward called {@code name} with {@code params}.
   *
   * @throws BadInputException for an unknown name or bad parameters
   */
  Reward create(String name, Map<String, Object> params);

  /** The rewards built into the trainer: {@code keyword} ({@link KeywordReward}). */
  static RewardFactory builtIn() {
    return (name, params) -> {
      if (name.equals("keyword")) {
        return KeywordReward.fromParams(params);
      }
      throw new BadInputException("unknown reward '" + name + "' (built in: keyword)");
    };
  }
}
