package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regular expression format rule: 1 when the response matches, else 0. With {@code full}
 * (default true) the whole response must match ({@link java.util.regex.Matcher#matches}); otherwise
 * a match anywhere counts ({@link java.util.regex.Matcher#find}). Patterns are Java regular
 * expressions compiled with {@link Pattern#DOTALL} so that {@code .} crosses lines, as reasoning
 * spans lines; use inline flags such as {@code (?i)} for more.
 *
 * @param pattern the compiled pattern
 * @param full whether the whole response must match
 */
public record RegexReward(Pattern pattern, boolean full) implements Reward {

  /** Compiles {@code regex} with {@link Pattern#DOTALL}; a clear error names a bad pattern. */
  public static RegexReward of(String regex, boolean full) {
    try {
      return new RegexReward(Pattern.compile(regex, Pattern.DOTALL), full);
    } catch (PatternSyntaxException e) {
      throw new BadInputException("regex: invalid pattern '" + regex + "': " + e.getDescription());
    }
  }

  @Override
  public String name() {
    return "regex";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "matched", (rollout, group) -> {
      var m = pattern.matcher(rollout.text());
      boolean matched = full ? m.matches() : m.find();
      return new PerRolloutScores.Scored(matched ? 1.0 : 0.0, matched);
    });
  }
}
