package dro4j.rollout;

import java.util.List;

/**
 * One multi-turn rollout, tokens in and tokens out: {@link #tokens()} is exactly the sequence that was
 * generated and appended after the prompt, turn after turn, never a re-rendering of the conversation
 * (templates such as Qwen3's drop earlier {@code <think>} blocks when re-rendered). It is what is
 * scored and trained.
 *
 * @param promptIds the first prompt (system and first observation, rendered with the chat template)
 * @param tokens every token after the prompt: the policy's turns and the appended observations
 * @param mask per token of {@code tokens}: 1 for a token the policy sampled, 0 for a token of the
 *     environment, a tool or the template; only mask-1 tokens get loss
 * @param logprobs per token of {@code tokens}: the sampling log-prob of policy tokens, 0 elsewhere
 * @param turns the policy turns in order, with their boundaries
 * @param stopReason why the trajectory ended
 * @param cacheRow the row of the rollout's KV cache that holds this trajectory
 */
public record Trajectory(
    int[] promptIds, int[] tokens, int[] mask, double[] logprobs, List<Turn> turns, StopReason stopReason, int cacheRow) {

  /** Copies the turn list. */
  public Trajectory {
    turns = List.copyOf(turns);
  }

  /** Tokens the policy sampled, over all turns. */
  public int policyTokens() {
    int n = 0;
    for (int m : mask) n += m;
    return n;
  }

  /** The mask as the trainer's float loss mask. */
  public float[] lossMask() {
    float[] out = new float[mask.length];
    for (int i = 0; i < mask.length; i++) out[i] = mask[i];
    return out;
  }

  /** Tool calls over all turns. */
  public int toolCalls() {
    int n = 0;
    for (Turn t : turns) n += t.toolCalls();
    return n;
  }

  /** Failed tool calls over all turns. */
  public int toolErrors() {
    int n = 0;
    for (Turn t : turns) n += t.toolErrors();
    return n;
  }

  /** The last policy turn's text (the final answer), or "" when there is none. */
  public String finalText() {
    return turns.isEmpty() ? "" : turns.get(turns.size() - 1).text();
  }

  /**
   * The token offsets after which each turn's observation has been appended, prompt included as 0:
   * entry 0 is 0 (the prompt alone) and entry t is {@code turns.get(t - 1).observationEnd()}; a prefix
   * {@code promptIds + tokens[0, boundary)} is the context IGPO scores the reference after.
   */
  public int[] turnBoundaries() {
    int[] out = new int[turns.size() + 1];
    for (int t = 0; t < turns.size(); t++) {
      Turn turn = turns.get(t);
      out[t + 1] = turn.observationEnd() > turn.end() ? turn.observationEnd() : turn.end();
    }
    return out;
  }
}
