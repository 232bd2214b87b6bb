package dro4j.rollout;

import dro4j.data.Example;
import java.util.List;

/**
 * An environment a policy acts in over several turns (a game, a task with feedback, a tool sandbox):
 * the multi-turn counterpart of a prompt. One instance plays one trajectory, so it may keep state;
 * {@link Environments} creates a fresh instance for every trajectory.
 *
 * <p>The rollout loop ({@link TrajectoryRollout}) calls {@link #reset} once, renders the returned
 * observation as the first user turn, and after every policy turn either answers the turn's tool calls
 * with {@link #tools()} or, when the turn calls no tool, passes the turn's text to {@link #step}. An
 * exception from {@code reset} or {@code step} ends that trajectory cleanly (stop reason {@code
 * environment_error}); it never fails the batch.
 */
public interface Environment {

  /** Starts a new episode for {@code example}; returns the first observation (the user's first message). */
  String reset(Example example);

  /**
   * Answers one policy turn that called no tool.
   *
   * @param action the text of the policy's turn (special tokens removed)
   */
  StepResult step(String action);

  /** The tools the policy may call in this environment, passed to the chat template as {@code tools}; default none. */
  default List<Tool> tools() {
    return List.of();
  }

  /** A system message placed before the first observation, or null for none (default). */
  default String systemPrompt() {
    return null;
  }
}
