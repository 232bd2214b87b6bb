package dro4j.rollout;

import java.util.List;

/**
 * One policy turn of a trajectory and the observation that answered it. Offsets index {@link
 * Trajectory#tokens()} (the tokens after the prompt).
 *
 * @param start first token of the policy's turn
 * @param end one past its last token; {@code [start, end)} has mask 1
 * @param observationEnd one past the last token appended after the turn (template closing, tool or
 *     environment turn, next generation prompt); {@code [end, observationEnd)} has mask 0 and is empty
 *     for the final turn
 * @param text the turn's text (special tokens removed)
 * @param toolCalls tool calls the turn made (malformed ones included)
 * @param toolErrors calls that were malformed, named no known tool, or threw
 * @param stepReward the environment's reward for this turn, or null
 * @param tools each call of the turn with the tool's answer, in order (empty when it called none, or
 *     when its calls were not run because they would pass {@code max_tool_calling_iterations})
 * @param observation the environment's answer to a turn without tool calls (its next user turn), or
 *     null (the episode ended, or the turn called tools)
 */
public record Turn(int start, int end, int observationEnd, String text, int toolCalls, int toolErrors, Double stepReward,
    List<ToolOutcome> tools, String observation) {

  /**
   * One tool call and its result.
   *
   * @param call the parsed call (possibly malformed)
   * @param result the text the policy saw: the tool's result (cut at {@code max_tool_response_length}) or
   *     the error message
   * @param error whether the call failed (malformed, unknown tool, exception)
   */
  public record ToolOutcome(ToolCall call, String result, boolean error) {}

  /** Copies the list. */
  public Turn {
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  /** A turn without recorded tool results or observation. */
  public Turn(int start, int end, int observationEnd, String text, int toolCalls, int toolErrors, Double stepReward) {
    this(start, end, observationEnd, text, toolCalls, toolErrors, stepReward, List.of(), null);
  }

  /** Tokens the policy wrote in this turn. */
  public int policyTokens() {
    return end - start;
  }
}
