package dro4j.rollout;

/** Why a trajectory ended. */
public enum StopReason {
  /** The environment said the episode is over. */
  DONE,
  /** {@code max_turns} policy turns were taken. */
  MAX_TURNS,
  /** A turn called tools beyond {@code max_tool_calling_iterations}; those calls were not run. */
  MAX_TOOL_CALLS,
  /** The policy's tokens over all turns reached {@code max_completion_length}. */
  MAX_COMPLETION_LENGTH,
  /** The environment threw; the message is in the trajectory's last turn. */
  ENVIRONMENT_ERROR,
  /** The chat template could not render the next turn as an append, or raised on it (see {@link TemplateDelta}). */
  TEMPLATE;

  /** The name used in logs: lower case. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
