package dro4j.score;

/**
 * Teacher-forced statistics of a target span after a context, one entry per target token.
 *
 * @param targetIds the scored tokens
 * @param logprobs log pi(target_j | context, target_{<j}) under softmax(logits / temperature)
 * @param ranks 1 + the number of vocabulary tokens whose logit is strictly greater than the target's
 *     (1 means the target was the most likely token)
 * @param entropies entropy (nats) of the predicted distribution at each target position
 */
public record TokenScores(int[] targetIds, float[] logprobs, int[] ranks, float[] entropies) {

  /** Sum of the target log-probs: log pi(target | context). */
  public double sum() {
    double s = 0;
    for (float lp : logprobs) {
      s += lp;
    }
    return s;
  }

  /** Number of scored tokens. */
  public int length() {
    return targetIds.length;
  }
}
