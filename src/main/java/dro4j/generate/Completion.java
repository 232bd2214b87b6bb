package dro4j.generate;

/**
 * One sampled continuation of a prompt.
 *
 * @param promptIndex which prompt of the request it continues
 * @param ids the new tokens only, including a final stop token when one ended it
 * @param text the decoded new tokens (special tokens skipped), cut before a stop string that ended it
 * @param logprobs for each new token, its log-prob under softmax(logits / temperature) of the policy's
 *     raw logits (temperature 1 for greedy), before repetition penalty and top-k/top-p/min-p
 *     truncation: the policy log-prob a trainer needs
 * @param finishReason {@code STOP} (stop token or stop string) or {@code LENGTH} (max_new_tokens)
 */
public record Completion(int promptIndex, int[] ids, String text, double[] logprobs, FinishReason finishReason)
    implements java.io.Serializable {

  /** Sum of the token log-probs. */
  public double sumLogprob() {
    double s = 0;
    for (double lp : logprobs) {
      s += lp;
    }
    return s;
  }
}
