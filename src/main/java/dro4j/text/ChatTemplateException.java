package dro4j.text;

import dro4j.BadInputException;
import java.nio.file.Path;

/**
 * A chat template could not be rendered: it called {@code raise_exception} (for example because the
 * conversation breaks its rules), or it has a syntax error, an unknown filter or another Jinja
 * error. The message names the file the template came from and the problem.
 */
public class ChatTemplateException extends BadInputException {

  /** A template problem, tied to the file the template was read from. */
  public ChatTemplateException(Path file, String problem) {
    super(file, problem);
  }

  /** A template problem with its underlying cause. */
  public ChatTemplateException(Path file, String problem, Throwable cause) {
    super(file, problem, cause);
  }
}
