package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.data.metrics.NumericAnswers;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Objects;

/**
 * Numeric match: 1 when the first number of the response's answer is within a relative tolerance
 * of the gold value, {@code |x - gold| <= tolerance * |gold|}, else 0 ({@link
 * NumericAnswers#numericMatch}: numbers are read as answers are written, "1,234.5", "12%", "(45)"
 * for -45, "$", units; an answer written with a percent mark matches the gold value as written or
 * as a fraction, so "12%" matches 12 and 0.12).
 *
 * <p>The default tolerance is DRO's for FinQA, 2% ({@link
 * dro4j.data.finqa.FinQaMetrics#DRO_RELATIVE_TOLERANCE}, Xu et al. 2025, arXiv 2506.13351); use a
 * tiny tolerance such as 1e-6 for integer math answers. The gold value is the example's {@code
 * exe_ans} metadata when it is a number (FinQA examples), else the first number of the reference
 * text. Diagnostics: {@code extracted} (each rollout's answer, or null) and {@code gold}.
 *
 * @param extraction how the answer is taken out of the response
 * @param tolerance the relative tolerance, at least 0
 */
public record NumericMatchReward(AnswerExtraction extraction, double tolerance) implements Reward {
  /** Checks the tolerance. */
  public NumericMatchReward {
    Objects.requireNonNull(extraction, "extraction");
    if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
      throw new BadInputException("numeric_match: tolerance must be a finite number >= 0, got " + tolerance);
    }
  }

  @Override
  public String name() {
    return "numeric_match";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "extracted", (rollout, group) -> {
      double gold = gold(group);
      String answer = extraction.extract(rollout.text()).orElse(null);
      boolean match = answer != null && NumericAnswers.numericMatch(answer, gold, tolerance);
      return new PerRolloutScores.Scored(match ? 1.0 : 0.0, answer);
    });
  }

  /** The gold number of a group: numeric {@code exe_ans} metadata, else the reference's first number. */
  static double gold(RolloutGroup group) {
    if (group.example().metadata().get("exe_ans") instanceof Number n) {
      return n.doubleValue();
    }
    return NumericAnswers.parse(group.reference())
        .map(NumericAnswers.ParsedNumber::value)
        .orElseThrow(() -> new BadInputException("example " + group.example().id()
            + ": numeric_match needs a number in the reference answer, found '" + group.reference() + "'"
            + (group.reference().strip().matches("(?i)yes|no") ? " (finqa_match handles yes/no answers)" : "")));
  }
}
