package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;

/**
 * Required tags, each present exactly once. A tag counts when it occurs exactly once in the response
 * and, with {@code ordered} (default true), after every earlier counted tag of the list. The score
 * is 1 when every tag counts, else 0; with {@code partial} it is the fraction of tags that count
 * (the graded variant popular in GRPO recipes, e.g. {@code <think>}, {@code </think>}, {@code
 * <answer>}, {@code </answer>} each worth a quarter). Occurrences are counted without overlap.
 * Diagnostic {@code counted}: how many tags counted in each rollout.
 *
 * @param tags the required tags (non-empty strings), in their required order
 * @param ordered whether the tags must appear in list order
 * @param partial whether to give partial credit
 */
public record TagsReward(List<String> tags, boolean ordered, boolean partial) implements Reward {
  /** Copies the tags; at least one, none empty. */
  public TagsReward {
    tags = List.copyOf(tags);
    if (tags.isEmpty() || tags.stream().anyMatch(String::isEmpty)) {
      throw new BadInputException("tags: give at least one tag, and no empty tag");
    }
  }

  @Override
  public String name() {
    return "tags";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "counted", (rollout, group) -> {
      int counted = counted(rollout.text());
      double score = partial ? counted / (double) tags.size() : counted == tags.size() ? 1.0 : 0.0;
      return new PerRolloutScores.Scored(score, counted);
    });
  }

  /** How many tags count in {@code text} by the rule above. */
  public int counted(String text) {
    int counted = 0;
    int lastPosition = -1;
    for (String tag : tags) {
      if (count(text, tag) != 1) {
        continue;
      }
      int at = text.indexOf(tag);
      if (ordered && at <= lastPosition) {
        continue;
      }
      counted++;
      lastPosition = at;
    }
    return counted;
  }

  /** Non-overlapping occurrences of {@code needle} in {@code text}. */
  static int count(String text, String needle) {
    int n = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
      n++;
    }
    return n;
  }
}
