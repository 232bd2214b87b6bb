package dro4j.rollout;

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
 */
public record Turn(int start, int end, int observationEnd, String text, int toolCalls, int toolErrors, Double stepReward) {

  /** Tokens the policy wrote in this turn. */
  public int policyTokens() {
    return end - start;
  }
}
