package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.data.finqa.FinQaAnswers;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.finqa.FinQaValue;
import dro4j.data.metrics.NumericAnswers;
import dro4j.data.prompt.PromptTemplates;
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
 * <p>A response whose outcome (the text after its last {@code </think>}, or all of it) starts with a
 * FinQA program is answered by the program's value executed over the example's table, exactly as the
 * {@code finqa} tasks' metric judges it ({@link FinQaAnswers}); other responses are answered by the
 * extraction. A gold value of 0 needs |answer| < 1e-6.
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
      String answer = answer(rollout.text(), group);
      boolean match = answer != null && FinQaAnswers.correct(answer, gold);
      return new PerRolloutScores.Scored(match ? 1.0 : 0.0, answer);
    });
  }

  private String answer(String response, RolloutGroup group) {
    int end = response.lastIndexOf(PromptTemplates.THINK_END);
    String outcome = end < 0 ? response : response.substring(end + PromptTemplates.THINK_END.length());
    if (FinQaAnswers.isProgram(outcome)) {
      return FinQaAnswers.programValue(outcome, FinQaAnswers.table(group.example())).orElse(null);
    }
    return extraction.extract(response).orElse(null);
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
