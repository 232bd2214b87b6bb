package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.List;

/**
 * DAPO's soft overlong punishment (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning
 * System at Scale", arXiv 2503.14476, "Overlong Reward Shaping"), on the number of generated tokens |y|:
 *
 * <pre>
 *   R_length(y) = 0                                   if |y| &lt;= L_max - L_cache
 *               = ((L_max - L_cache) - |y|) / L_cache if L_max - L_cache &lt; |y| &lt;= L_max
 *               = -1                                  if |y| &gt; L_max
 * </pre>
 *
 * a penalty that grows linearly over the last {@code L_cache} tokens before the length limit. DAPO
 * adds it to the correctness reward (here: a weighted sum, {@code dro4j.reward.compose}) with
 * L_max = 20480 and L_cache = 4096, the defaults.
 *
 * <p>|y| is the length of the rollout's token ids. A rollout known only by its text (read from a
 * file) is tokenized with the context's policy tokenizer; with neither ids nor a policy the reward
 * cannot be computed and says so. Diagnostic {@code length}: |y| of each rollout.
 *
 * @param maxLength L_max, in tokens
 * @param cache L_cache, in tokens, 1 to L_max
 */
public record OverlongPunishment(int maxLength, int cache) implements Reward {
  /** DAPO's L_max. */
  public static final int DAPO_MAX_LENGTH = 20480;
  /** DAPO's L_cache. */
  public static final int DAPO_CACHE = 4096;

  /** Checks 1 &lt;= cache &lt;= maxLength. */
  public OverlongPunishment {
    if (cache < 1 || maxLength < cache) {
      throw new BadInputException(
          "overlong: need 1 <= cache <= max_length, got max_length " + maxLength + ", cache " + cache);
    }
  }

  /** The DAPO formula above for a response of {@code length} tokens. */
  public static double penalty(int length, int maxLength, int cache) {
    int expected = maxLength - cache;
    if (length <= expected) {
      return 0.0;
    }
    if (length <= maxLength) {
      return (expected - length) / (double) cache;
    }
    return -1.0;
  }

  @Override
  public String name() {
    return "overlong";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "length", (rollout, group) -> {
      int length = tokenCount(rollout, context);
      return new PerRolloutScores.Scored(penalty(length, maxLength, cache), length);
    });
  }

  /** The rollout's generated token count: its ids, else its text tokenized by the policy. */
  static int tokenCount(Rollout rollout, RewardContext context) {
    if (rollout.ids().length > 0 || rollout.text().isEmpty()) {
      return rollout.ids().length;
    }
    if (context.policy() == null) {
      throw new BadInputException("overlong counts tokens, and these rollouts have only text:"
          + " load a model whose tokenizer counts them (reward --model DIR)");
    }
    return context.policy().tokenizer().encode(rollout.text(), false).length;
  }
}
