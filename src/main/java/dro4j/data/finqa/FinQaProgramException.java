package dro4j.data.finqa;

/**
 * A FinQA program cannot be parsed or executed: unknown operation, wrong argument count, a step
 * reference to a later step, an argument that is not a number, a row the table lacks, division by
 * zero. The message says which step and why. The official scorer counts such programs as wrong;
 * {@link FinQaMetrics#executionMatch} does the same.
 */
public class FinQaProgramException extends RuntimeException {
  /** A problem described in full by {@code message}. */
  public FinQaProgramException(String message) {
    super(message);
  }
}
