package dro4j.generate;

/** Why a generated sequence ended (the names follow vLLM and OpenAI's {@code finish_reason}). */
public enum FinishReason {
  /** A stop token or a stop string was produced. */
  STOP,
  /** The sequence reached {@link SamplingParams#maxNewTokens()} without stopping. */
  LENGTH
}
