package dro4j.rl;

import java.util.List;
import java.util.Map;

/**
 * Receives the completions of each logged step when {@code log_completions} is on (TRL's
 * log_completions); the {@code train} command writes them to {@code completions.jsonl} and prints a
 * short table.
 */
@FunctionalInterface
public interface CompletionsListener {
  /**
   * One rollout of a logged step.
   *
   * @param step the step (1-based)
   * @param prompt the prompt text
   * @param completion the completion text
   * @param rewards each reward's value for this rollout, by logged name
   * @param advantage its advantage, or null when the step computed none (a non-finite reward)
   * @param turns a multi-turn trajectory turn by turn (null for a single completion): maps {@code
   *     {"role": "assistant", "text", "tool_calls": [{"name", "arguments"} or {"error"}], "reward"}},
   *     {@code {"role": "tool", "name", "text", "error"}} for each call's result and {@code {"role":
   *     "user", "text"}} for the environment's observation
   */
  record Row(long step, String prompt, String completion, Map<String, Double> rewards, Double advantage,
      List<Map<String, Object>> turns) {
    /** A single completion's row. */
    public Row(long step, String prompt, String completion, Map<String, Double> rewards, Double advantage) {
      this(step, prompt, completion, rewards, advantage, null);
    }
  }

  /** Called after the step's rewards and advantages, with every rollout in generation order. */
  void onCompletions(long step, List<Row> rows);
}
