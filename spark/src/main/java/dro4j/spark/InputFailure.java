package dro4j.spark;

import dro4j.BadInputException;
import java.nio.file.Path;

/**
 * A {@link BadInputException} raised on an executor (an example its template cannot fill, a model
 * folder that does not exist there), carried back to the driver: Spark sends a failed task's exception
 * to the driver by Java serialization, which {@code BadInputException}'s {@link Path} does not support.
 */
public final class InputFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean tiedToFile;

  InputFailure(BadInputException e) {
    super(e.getMessage());
    this.tiedToFile = e.file() != null;
  }

  /**
   * The exception the in-process command would throw: one that names no file is about the examples, so
   * it names {@code data}, as {@code dro4j eval} and {@code dro4j filter} do.
   */
  public BadInputException toBadInput(Path data) {
    return tiedToFile ? new BadInputException(getMessage()) : new BadInputException(data, getMessage(), this);
  }

  /** The input failure that made a Spark job fail, or null when {@code e} has another cause. */
  static InputFailure in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InputFailure f) return f;
    }
    return null;
  }
}
