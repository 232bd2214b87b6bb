package dro4j.reward.judge;

/** A judge could not produce a verdict: the API failed after its retries, or a verdict was unparseable under {@link ParseFailure#FAIL}. */
public class JudgeException extends RuntimeException {
  /** A failure described by {@code message}. */
  public JudgeException(String message) {
    super(message);
  }

  /** A failure with its cause. */
  public JudgeException(String message, Throwable cause) {
    super(message, cause);
  }
}
