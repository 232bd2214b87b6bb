package dro4j.reward;

import dro4j.data.Example;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Rollout groups made of text, for reward tests. */
public final class TextGroups {
  private TextGroups() {}

  /** One group: an example with {@code reference} and a prompt field, rollouts known by text only. */
  public static RolloutGroup group(String reference, String... rollouts) {
    return group(new Example("ex", Map.of("prompt", "What is it?"), reference, Map.of()), rollouts);
  }

  /** One group of {@code example} with text-only rollouts. */
  public static RolloutGroup group(Example example, String... rollouts) {
    return new RolloutGroup(example, new int[0], Arrays.stream(rollouts).map(Rollout::ofText).toList());
  }

  /** The scores of one group under {@code reward} with no model. */
  public static double[] scores(Reward reward, RolloutGroup group) {
    return result(reward, group).scores();
  }

  /** A per-rollout diagnostic list of {@code result}. */
  @SuppressWarnings("unchecked")
  public static List<Object> diag(RewardResult result, String name) {
    Object value = result.diagnostics().get(name);
    if (!(value instanceof List<?>)) {
      throw new AssertionError("no list diagnostic '" + name + "' in " + result.diagnostics().keySet());
    }
    return (List<Object>) value;
  }

  /** The result of one group under {@code reward} with no model. */
  public static RewardResult result(Reward reward, RolloutGroup group) {
    List<RewardResult> results = reward.score(List.of(group), RewardContext.textOnly());
    if (results.size() != 1) {
      throw new AssertionError("expected one result, got " + results.size());
    }
    if (results.get(0).scores().length != group.size()) {
      throw new AssertionError("expected " + group.size() + " scores, got " + results.get(0).scores().length);
    }
    return results.get(0);
  }
}
