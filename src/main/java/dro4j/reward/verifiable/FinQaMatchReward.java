package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.finqa.FinQaValue;
import dro4j.data.metrics.NumericAnswers;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * DRO's binary FinQA correctness reward (Xu et al. 2025, arXiv 2506.13351, the "correctness"
 * baseline): 1 when {@link FinQaMetrics#droCorrect} accepts the response's answer, else 0. That is
 * a relative tolerance of 2% at any of three scales (as written, /100, x100, because FinQA mixes
 * percentages and fractions) and a first-word match for yes/no golds.
 *
 * <p>The gold value is the example's {@code exe_ans} metadata when it has one (FinQA examples),
 * else the reference text read as "yes"/"no" or as its first number. Diagnostic {@code extracted}:
 * each rollout's answer, or null.
 *
 * @param extraction how the answer is taken out of the response
 */
public record FinQaMatchReward(AnswerExtraction extraction) implements Reward {
  /** Checks the extraction. */
  public FinQaMatchReward {
    Objects.requireNonNull(extraction, "extraction");
  }

  @Override
  public String name() {
    return "finqa_match";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "extracted", (rollout, group) -> {
      FinQaValue gold = gold(group);
      String answer = extraction.extract(rollout.text()).orElse(null);
      boolean match = answer != null && FinQaMetrics.droCorrect(answer, gold);
      return new PerRolloutScores.Scored(match ? 1.0 : 0.0, answer);
    });
  }

  private static FinQaValue gold(RolloutGroup group) {
    if (group.example().metadata().get("exe_ans") != null) {
      return FinQaMetrics.gold(group.example());
    }
    String ref = group.reference().trim().toLowerCase(Locale.ROOT);
    if (ref.equals("yes") || ref.equals("no")) {
      return new FinQaValue.YesNo(ref.equals("yes"));
    }
    return NumericAnswers.parse(ref)
        .<FinQaValue>map(p -> new FinQaValue.Numeric(p.value()))
        .orElseThrow(() -> new BadInputException("example " + group.example().id()
            + ": finqa_match needs a number or yes/no as the reference answer, found '" + group.reference() + "'"));
  }
}
