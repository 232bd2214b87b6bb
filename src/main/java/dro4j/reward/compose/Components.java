package dro4j.reward.compose;

import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores several rewards over the same groups and logs each under its own name. */
final class Components {
  private Components() {}

  /** The checked results of {@code reward} over {@code groups}. */
  static List<RewardResult> score(Reward reward, List<RolloutGroup> groups, RewardContext context) {
    List<RewardResult> results = reward.score(groups, context);
    if (results.size() != groups.size()) {
      throw new IllegalStateException("reward " + reward.name() + " returned " + results.size()
          + " results for " + groups.size() + " groups");
    }
    for (int g = 0; g < groups.size(); g++) {
      if (results.get(g).scores().length != groups.get(g).size()) {
        throw new IllegalStateException("reward " + reward.name() + " returned " + results.get(g).scores().length
            + " scores for " + groups.get(g).size() + " rollouts");
      }
    }
    return results;
  }

  /** Closes every reward, the last first, each even when an earlier one failed. */
  static void closeAll(List<? extends Reward> rewards) {
    RuntimeException first = null;
    for (int i = rewards.size() - 1; i >= 0; i--) {
      try {
        Reward.closeIfNeeded(rewards.get(i));
      } catch (RuntimeException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  /** Unique log names: the reward names, a repeated name suffixed #2, #3, ... */
  static List<String> names(List<Reward> rewards) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (Reward r : rewards) {
      int n = seen.merge(r.name(), 1, Integer::sum);
      names.add(n == 1 ? r.name() : r.name() + "#" + n);
    }
    return names;
  }

  /**
   * Diagnostics of one group: each component's scores under its name and its own diagnostics under
   * {@code name/key}.
   */
  static Map<String, Object> diagnostics(List<String> names, List<List<RewardResult>> results, int group) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int k = 0; k < names.size(); k++) {
      RewardResult r = results.get(k).get(group);
      out.put(names.get(k), r.scores().clone());
      for (var e : r.diagnostics().entrySet()) {
        out.put(names.get(k) + "/" + e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** {@code [component][rollout]} scores of one group. */
  static double[][] matrix(List<List<RewardResult>> results, int group) {
    double[][] m = new double[results.size()][];
    for (int k = 0; k < m.length; k++) {
      m[k] = results.get(k).get(group).scores();
    }
    return m;
  }
}
