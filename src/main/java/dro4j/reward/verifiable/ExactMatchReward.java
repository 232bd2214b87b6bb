package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Objects;

/**
 * Exact match: 1 when the response's answer equals the reference after SQuAD's normalisation
 * ({@link TextNormalization#squad}: case, punctuation, the articles a/an/the, whitespace), else 0.
 * The answer is found by an {@link AnswerExtraction} (default {@link AnswerExtraction.Mode#AUTO});
 * a response with no answer scores 0. Diagnostic {@code extracted}: the answer of each rollout, or
 * null.
 *
 * @param extraction how the answer is taken out of the response
 */
public record ExactMatchReward(AnswerExtraction extraction) implements Reward {
  /** Checks the extraction. */
  public ExactMatchReward {
    Objects.requireNonNull(extraction, "extraction");
  }

  @Override
  public String name() {
    return "exact_match";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "extracted", (rollout, group) -> {
      String gold = TextNormalization.squad(group.reference());
      if (gold.isEmpty()) {
        throw new BadInputException("example " + group.example().id()
            + ": exact_match needs a reference answer, and this one is empty after normalisation ('"
            + group.reference() + "')");
      }
      String answer = extraction.extract(rollout.text()).orElse(null);
      boolean match = answer != null && TextNormalization.squad(answer).equals(gold);
      return new PerRolloutScores.Scored(match ? 1.0 : 0.0, answer);
    });
  }
}
