package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.List;

/**
 * Reasoning format reward in the style of DeepSeek-R1's format reward (DeepSeek-AI 2025, arXiv
 * 2501.12948): 1 when the response is a non-empty thinking block followed by a non-empty answer,
 * else 0. Precisely:
 *
 * <ol>
 *   <li>{@code close} (default {@code </think>}) occurs exactly once;
 *   <li>with {@code requireOpen} (default true), the response starts with {@code open} (default
 *       {@code <think>}, leading whitespace allowed) and contains it exactly once; without it (chat
 *       templates such as DeepSeek-R1's and Qwen3's put {@code <think>} in the prompt), {@code open}
 *       may be absent, and if present it must be at the start and occur once;
 *   <li>the thinking text between them is not blank;
 *   <li>the text after {@code close} is not blank; when {@code answerOpen}/{@code answerClose} are
 *       given (e.g. {@code <answer>}, {@code </answer>}), that text must be exactly one such element
 *       with non-blank content and nothing but whitespace around it.
 * </ol>
 *
 * Diagnostic {@code problem}: the first rule each rollout breaks, or null.
 *
 * @param open the opening thinking tag
 * @param close the closing thinking tag
 * @param requireOpen whether the response itself must open the thinking block
 * @param answerOpen the opening answer tag, or null for a free-form answer
 * @param answerClose the closing answer tag, or null
 */
public record ThinkFormatReward(String open, String close, boolean requireOpen, String answerOpen, String answerClose)
    implements Reward {

  /** Checks the tags; give both answer tags or neither (an empty pair means none). */
  public ThinkFormatReward {
    if (open == null || open.isEmpty() || close == null || close.isEmpty()) {
      throw new BadInputException("think_format: the thinking tags must be non-empty");
    }
    if ((answerOpen == null || answerOpen.isEmpty()) != (answerClose == null || answerClose.isEmpty())) {
      throw new BadInputException("think_format: give both answer tags or neither");
    }
    if (answerOpen != null && answerOpen.isEmpty()) {
      answerOpen = null;
      answerClose = null;
    }
  }

  /** {@code <think>...</think>} then a free-form answer, the response opening the block itself. */
  public static ThinkFormatReward standard() {
    return new ThinkFormatReward("<think>", "</think>", true, null, null);
  }

  @Override
  public String name() {
    return "think_format";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    return PerRolloutScores.score(groups, "problem", (rollout, group) -> {
      String problem = problem(rollout.text());
      return new PerRolloutScores.Scored(problem == null ? 1.0 : 0.0, problem);
    });
  }

  /** The first format rule {@code response} breaks, or null when it has the format. */
  public String problem(String response) {
    String text = response.strip();
    if (TagsReward.count(text, close) != 1) {
      return "'" + close + "' must occur exactly once";
    }
    int opens = TagsReward.count(text, open);
    if (requireOpen ? opens != 1 : opens > 1) {
      return "'" + open + "' must occur " + (requireOpen ? "exactly once" : "at most once");
    }
    if (opens == 1 && !text.startsWith(open)) {
      return "the response must start with '" + open + "'";
    }
    int thinkStart = opens == 1 ? open.length() : 0;
    int closeAt = text.indexOf(close);
    if (closeAt < thinkStart || text.substring(thinkStart, closeAt).isBlank()) {
      return "the thinking block is empty";
    }
    String answer = text.substring(closeAt + close.length()).strip();
    if (answer.isEmpty()) {
      return "no answer after '" + close + "'";
    }
    if (answerOpen != null) {
      if (TagsReward.count(answer, answerOpen) != 1 || TagsReward.count(answer, answerClose) != 1
          || !answer.startsWith(answerOpen) || !answer.endsWith(answerClose)
          || answer.length() < answerOpen.length() + answerClose.length()) {
        return "the answer must be exactly one " + answerOpen + "..." + answerClose + " element";
      }
      if (answer.substring(answerOpen.length(), answer.length() - answerClose.length()).isBlank()) {
        return "the " + answerOpen + " element is empty";
      }
    }
    return null;
  }
}
