package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.reward.ReasoningSplit;
import java.util.Objects;

/**
 * Settings every likelihood reward shares: how a rollout's reasoning is found, what comes between the
 * reasoning and the reference, the scoring temperature and the scoring model.
 *
 * <p>The context of reference token j for rollout i is {@code prompt + reasoning_i + answerPrefix +
 * reference_<j}. {@code answerPrefix} and the reference are tokenized together, without special tokens
 * ({@code tokenizer.encode(answerPrefix + reference, false)}), so the tokens at their junction are the
 * ones the tokenizer itself produces; the leading tokens equal to {@code encode(answerPrefix)} are
 * context and the rest is the scored target (a token merging the end of the prefix with the reference
 * counts as reference). Leading space: the reference is tokenized as text on its own, so a SentencePiece
 * tokenizer with a dummy prefix (Llama 2, stories260K) starts it with "▁" (a space) and a byte-level BPE
 * (Qwen2, Llama 3) does not; put the separator you want (space, newline) at the end of {@code
 * answerPrefix} or the start of the reference.
 *
 * @param split how rollouts split into reasoning and outcome; default {@link ReasoningSplit#defaults()}
 *     (the last {@code </think>}, whole rollout as reasoning when absent)
 * @param answerPrefix fixed text between the reasoning and the reference, for example {@code "\nAnswer: "}
 *     when the reasoning does not end with a marker; default {@code ""}
 * @param temperature divides the scoring logits; default 1.0 (the policy's own distribution, as in DRO)
 * @param policy the scoring model; default {@link ScoringPolicy#current()} (reuses the KV cache)
 */
public record ScoringOptions(ReasoningSplit split, String answerPrefix, double temperature, ScoringPolicy policy) {

  /** Validates the settings. */
  public ScoringOptions {
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(answerPrefix, "answerPrefix");
    Objects.requireNonNull(policy, "policy");
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new BadInputException("scoring temperature must be a finite number > 0, got " + temperature);
    }
  }

  /** {@code </think>} split, no answer prefix, temperature 1, current policy. */
  public static ScoringOptions defaults() {
    return new ScoringOptions(ReasoningSplit.defaults(), "", 1.0, ScoringPolicy.current());
  }

  /** A copy with {@code split} replaced. */
  public ScoringOptions withSplit(ReasoningSplit v) {
    return new ScoringOptions(v, answerPrefix, temperature, policy);
  }

  /** A copy with {@code answerPrefix} replaced. */
  public ScoringOptions withAnswerPrefix(String v) {
    return new ScoringOptions(split, v, temperature, policy);
  }

  /** A copy with {@code temperature} replaced. */
  public ScoringOptions withTemperature(double v) {
    return new ScoringOptions(split, answerPrefix, v, policy);
  }

  /** A copy with {@code policy} replaced. */
  public ScoringOptions withPolicy(ScoringPolicy v) {
    return new ScoringOptions(split, answerPrefix, temperature, v);
  }
}
