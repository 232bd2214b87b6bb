package dro4j.generate;

/**
 * One sampled token.
 *
 * @param tokenId the chosen token id
 * @param logprob the policy's log-probability of the token: log softmax(raw logits / temperature) at
 *     {@code tokenId}, taken before repetition penalty and before top-k/top-p/min-p truncation
 *     (temperature 1 for greedy decoding). This is the behaviour-policy log-prob that RL losses need.
 */
public record TokenChoice(int tokenId, double logprob) {}
