package dro4j.generate;

import dro4j.BadInputException;
import java.util.List;

/**
 * How to pick tokens and when to stop, for one request. Immutable; change fields with the {@code
 * with...} methods. Defaults come from {@link #defaults()}; note that they differ from Hugging Face's
 * {@code GenerationConfig}, whose top-k is 50 by default: here every truncation is off by default.
 *
 * <p>The order of operations follows transformers' {@code generate}: repetition penalty on the raw
 * logits, then (only when sampling) temperature, top-k, top-p, min-p. Greedy decoding applies the
 * repetition penalty and ignores the other knobs.
 *
 * @param greedy pick the highest-scoring token instead of drawing one; default {@code false}
 * @param temperature divides the logits before sampling; must be &gt; 0 unless {@code greedy} (then it
 *     is ignored and may be 0); default 1.0
 * @param topP nucleus sampling: keep the smallest set of most likely tokens whose probability sums to
 *     at least {@code topP}; in (0, 1], default 1.0 (off)
 * @param topK keep only the {@code topK} most likely tokens (and tokens tied with the k-th); 0 means
 *     off, default 0
 * @param minP keep only tokens whose probability is at least {@code minP} times the top token's; in
 *     [0, 1], default 0 (off)
 * @param repetitionPenalty CTRL penalty for tokens already in the prompt or completion: positive
 *     logits are divided by it, negative ones multiplied; must be &gt; 0, default 1.0 (off)
 * @param maxNewTokens most tokens to generate per sequence; &gt;= 0, default 64
 * @param seed seed of the random streams; sequence i of a request draws from {@link
 *     LogitsProcessing#rngFor(long, int) rngFor(seed, i)}; default 0
 * @param stopTokenIds token ids that end a sequence (the tokenizer's EOS is usually added by the
 *     caller); default empty
 * @param stopStrings texts that end a sequence; the returned text is cut before the first one (see
 *     {@link StopCriteria}); default empty
 * @param numReturnSequences completions to generate per prompt; &gt;= 1, default 1
 * @param minNewTokens the stop token ids cannot be drawn (their logits are -infinity, as transformers'
 *     {@code min_new_tokens} does to EOS) until a sequence has this many new tokens; stop strings and
 *     {@code maxNewTokens} still end it; &gt;= 0, default 0 (off)
 */
public record SamplingParams(
    boolean greedy,
    double temperature,
    double topP,
    int topK,
    double minP,
    double repetitionPenalty,
    int maxNewTokens,
    long seed,
    List<Integer> stopTokenIds,
    List<String> stopStrings,
    int numReturnSequences,
    int minNewTokens) implements java.io.Serializable {

  /** Validates every field and copies the lists (null lists count as empty). */
  public SamplingParams {
    if (greedy) {
      // transformers accepts temperature 0 with do_sample=False; it is unused either way
      if (!(temperature >= 0) || Double.isInfinite(temperature)) {
        throw new BadInputException(
            "temperature must be a finite number >= 0 with greedy decoding, got " + temperature);
      }
    } else {
      checkTemperature(temperature);
    }
    checkTopP(topP);
    checkTopK(topK);
    checkMinP(minP);
    checkRepetitionPenalty(repetitionPenalty);
    if (maxNewTokens < 0) {
      throw new BadInputException("max_new_tokens must be >= 0, got " + maxNewTokens);
    }
    if (minNewTokens < 0) {
      throw new BadInputException("min_new_tokens must be >= 0, got " + minNewTokens);
    }
    if (numReturnSequences < 1) {
      throw new BadInputException("num_return_sequences must be >= 1, got " + numReturnSequences);
    }
    stopTokenIds = stopTokenIds == null ? List.of() : stopTokenIds;
    for (Integer id : stopTokenIds) {
      if (id == null || id < 0) {
        throw new BadInputException("stop_token_ids must be token ids >= 0, got " + stopTokenIds);
      }
    }
    stopTokenIds = List.copyOf(stopTokenIds);
    stopStrings = stopStrings == null ? List.of() : stopStrings;
    for (String s : stopStrings) {
      if (s == null || s.isEmpty()) {
        throw new BadInputException("stop_strings must not contain empty or null strings");
      }
    }
    stopStrings = List.copyOf(stopStrings);
  }

  /** Sampling at temperature 1 with no truncation, no penalty, 64 new tokens, seed 0, one sequence. */
  public static SamplingParams defaults() {
    return new SamplingParams(false, 1.0, 1.0, 0, 0.0, 1.0, 64, 0L, List.of(), List.of(), 1, 0);
  }

  /** Greedy decoding of at most {@code maxNewTokens} tokens; other fields as in {@link #defaults()}. */
  public static SamplingParams greedy(int maxNewTokens) {
    return defaults().withGreedy(true).withMaxNewTokens(maxNewTokens);
  }

  /** A copy with {@link #greedy()} changed. */
  public SamplingParams withGreedy(boolean v) {
    return new SamplingParams(v, temperature, topP, topK, minP, repetitionPenalty, maxNewTokens,
        seed, stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #temperature()} changed. */
  public SamplingParams withTemperature(double v) {
    return new SamplingParams(greedy, v, topP, topK, minP, repetitionPenalty, maxNewTokens, seed,
        stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #topP()} changed. */
  public SamplingParams withTopP(double v) {
    return new SamplingParams(greedy, temperature, v, topK, minP, repetitionPenalty, maxNewTokens,
        seed, stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #topK()} changed. */
  public SamplingParams withTopK(int v) {
    return new SamplingParams(greedy, temperature, topP, v, minP, repetitionPenalty, maxNewTokens,
        seed, stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #minP()} changed. */
  public SamplingParams withMinP(double v) {
    return new SamplingParams(greedy, temperature, topP, topK, v, repetitionPenalty, maxNewTokens,
        seed, stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #repetitionPenalty()} changed. */
  public SamplingParams withRepetitionPenalty(double v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, v, maxNewTokens, seed,
        stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #maxNewTokens()} changed. */
  public SamplingParams withMaxNewTokens(int v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty, v, seed,
        stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #seed()} changed. */
  public SamplingParams withSeed(long v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty,
        maxNewTokens, v, stopTokenIds, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #stopTokenIds()} changed. */
  public SamplingParams withStopTokenIds(List<Integer> v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty,
        maxNewTokens, seed, v, stopStrings, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #stopStrings()} changed. */
  public SamplingParams withStopStrings(List<String> v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty,
        maxNewTokens, seed, stopTokenIds, v, numReturnSequences, minNewTokens);
  }

  /** A copy with {@link #numReturnSequences()} changed. */
  public SamplingParams withNumReturnSequences(int v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty,
        maxNewTokens, seed, stopTokenIds, stopStrings, v, minNewTokens);
  }

  /** A copy with {@link #minNewTokens()} changed. */
  public SamplingParams withMinNewTokens(int v) {
    return new SamplingParams(greedy, temperature, topP, topK, minP, repetitionPenalty, maxNewTokens, seed,
        stopTokenIds, stopStrings, numReturnSequences, v);
  }

  // Shared with LogitsProcessing so both reject the same values with the same words.

  static void checkTemperature(double t) {
    if (!(t > 0) || Double.isInfinite(t)) {
      throw new BadInputException("temperature must be a finite number > 0 when sampling, got " + t
          + (t == 0 ? " (for temperature 0 use greedy decoding)" : ""));
    }
  }

  static void checkTopP(double p) {
    if (!(p > 0 && p <= 1)) {
      throw new BadInputException("top_p must be in (0, 1] (1 = off), got " + p);
    }
  }

  static void checkTopK(int k) {
    if (k < 0) {
      throw new BadInputException("top_k must be >= 0 (0 = off), got " + k);
    }
  }

  static void checkMinP(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new BadInputException("min_p must be in [0, 1] (0 = off), got " + p);
    }
  }

  static void checkRepetitionPenalty(double penalty) {
    if (!(penalty > 0) || Double.isInfinite(penalty)) {
      throw new BadInputException(
          "repetition_penalty must be a finite number > 0 (1 = off), got " + penalty);
    }
  }
}
