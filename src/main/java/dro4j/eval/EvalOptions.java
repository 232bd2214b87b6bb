package dro4j.eval;

import dro4j.BadInputException;
import dro4j.generate.SamplingParams;
import dro4j.task.PromptRenderer;

/**
 * How {@link Evaluator} samples: N completions per example, greedy when N is 1 and no temperature is
 * given, else at {@code temperature} (default 1.0) with nucleus {@code topP} (default 1.0).
 *
 * @param samples completions per example, N &gt;= 1
 * @param temperature sampling temperature, or null for the default (greedy for N = 1, else 1.0)
 * @param topP nucleus sampling, or null for 1.0 (off)
 * @param maxNewTokens most tokens per completion
 * @param seed the evaluation's seed; example {@code id} samples with {@link Evaluator#exampleSeed}
 * @param maxPromptLength prompts are cut to their last this many tokens, or null for none
 */
public record EvalOptions(int samples, Double temperature, Double topP, int maxNewTokens, long seed,
    Integer maxPromptLength) implements java.io.Serializable {
  /** Default completion budget in tokens. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;

  /** Checks the ranges. */
  public EvalOptions {
    if (samples < 1) throw new BadInputException("samples must be >= 1, got " + samples);
    if (maxNewTokens < 1) throw new BadInputException("max_new_tokens must be >= 1, got " + maxNewTokens);
    sampling(samples, temperature, topP, maxNewTokens); // validates temperature and top-p
  }

  /** One greedy completion of at most {@link #DEFAULT_MAX_NEW_TOKENS} tokens, seed 0. */
  public static EvalOptions defaults() {
    return new EvalOptions(1, null, null, DEFAULT_MAX_NEW_TOKENS, 0, PromptRenderer.DEFAULT_MAX_PROMPT_LENGTH);
  }

  /** A copy with {@code samples} replaced. */
  public EvalOptions withSamples(int v) {
    return new EvalOptions(v, temperature, topP, maxNewTokens, seed, maxPromptLength);
  }

  /** A copy with {@code temperature} and {@code topP} replaced. */
  public EvalOptions withSampling(Double t, Double p) {
    return new EvalOptions(samples, t, p, maxNewTokens, seed, maxPromptLength);
  }

  /** A copy with {@code maxNewTokens} replaced. */
  public EvalOptions withMaxNewTokens(int v) {
    return new EvalOptions(samples, temperature, topP, v, seed, maxPromptLength);
  }

  /** A copy with {@code seed} replaced. */
  public EvalOptions withSeed(long v) {
    return new EvalOptions(samples, temperature, topP, maxNewTokens, v, maxPromptLength);
  }

  /** A copy with {@code maxPromptLength} replaced. */
  public EvalOptions withMaxPromptLength(Integer v) {
    return new EvalOptions(samples, temperature, topP, maxNewTokens, seed, v);
  }

  /** Whether completions are decoded greedily. */
  public boolean greedy() {
    return samples == 1 && temperature == null;
  }

  /** The sampling parameters of one example (its seed is set by the evaluator). */
  public SamplingParams sampling() {
    return sampling(samples, temperature, topP, maxNewTokens);
  }

  private static SamplingParams sampling(int n, Double temperature, Double topP, int maxNewTokens) {
    SamplingParams p = SamplingParams.defaults().withMaxNewTokens(maxNewTokens).withNumReturnSequences(n);
    if (n == 1 && temperature == null) {
      return p.withGreedy(true).withTopP(topP == null ? 1.0 : topP);
    }
    return p.withTemperature(temperature == null ? 1.0 : temperature).withTopP(topP == null ? 1.0 : topP);
  }
}
