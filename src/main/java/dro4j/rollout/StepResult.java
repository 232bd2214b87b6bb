package dro4j.rollout;

/**
 * What an environment returns for one policy turn.
 *
 * @param observation the text appended as the next user turn (ignored when {@code done}); null counts as empty
 * @param reward the step's reward, or null when the environment rewards only at the end (or never);
 *     step rewards are a turn-level reward ({@link TurnRewards})
 * @param done whether the episode is over; the trajectory ends after this turn
 */
public record StepResult(String observation, Double reward, boolean done) {

  /** A non-final observation without reward. */
  public static StepResult of(String observation) {
    return new StepResult(observation, null, false);
  }

  /** The end of the episode with a final reward. */
  public static StepResult done(String observation, double reward) {
    return new StepResult(observation, reward, true);
  }
}
