package dro4j;

import java.nio.file.Path;

/**
 * A file or value given to dro4j cannot be used. The message always names the offending file (when
 * there is one) and the problem, so a user can fix the input without reading a stack trace.
 */
public class BadInputException extends RuntimeException {
  private final Path file;

  /** An input problem tied to a file. */
  public BadInputException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** An input problem tied to a file, with the underlying cause. */
  public BadInputException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** An input problem that is not tied to a file (a flag or an argument). */
  public BadInputException(String problem) {
    super(problem);
    this.file = null;
  }

  /** The offending file, or {@code null} when the problem is not tied to a file. */
  public Path file() {
    return file;
  }
}
