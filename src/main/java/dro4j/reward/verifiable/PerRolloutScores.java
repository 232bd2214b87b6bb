package dro4j.reward.verifiable;

import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs a per-rollout rule over groups and logs one detail per rollout (the extracted answer, ...). */
final class PerRolloutScores {
  private PerRolloutScores() {}

  /** One rollout's score and what to log about it (null logs as JSON null). */
  record Scored(double score, Object detail) {}

  /** A rule scoring one rollout of its group. */
  interface Rule {
    Scored score(Rollout rollout, RolloutGroup group);
  }

  /** Scores every rollout with {@code rule}; the details go to the diagnostic {@code detailName}. */
  static List<RewardResult> score(List<RolloutGroup> groups, String detailName, Rule rule) {
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (RolloutGroup g : groups) {
      double[] scores = new double[g.size()];
      List<Object> details = new ArrayList<>(g.size());
      for (int i = 0; i < scores.length; i++) {
        Scored s = rule.score(g.rollouts().get(i), g);
        scores[i] = s.score();
        details.add(s.detail());
      }
      out.add(new RewardResult(scores, Map.of(detailName, details)));
    }
    return out;
  }
}
