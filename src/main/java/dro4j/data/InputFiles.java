package dro4j.data;

import dro4j.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How dro4j finds an input file named in a job or on the command line. A relative path resolves
 * against the working directory (as transformers and TRL resolve paths in their configs), never
 * against the job file's folder; {@code bundled:NAME} names a file inside the jar ({@link Bundled}).
 * A file that cannot be read is reported with the absolute path that was tried and why.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * The file to read for {@code path} ({@link Bundled#data} for a bundled name), checked to be a
   * readable regular file.
   *
   * @param what what the file is, for the message ("data file", "job file")
   * @throws BadInputException naming the absolute path and the reason: no such file (and whether the
   *     folder exists), a directory, not readable
   */
  public static Path readable(Path path, String what) {
    Path file = Bundled.data(path);
    Path absolute = file.toAbsolutePath().normalize();
    String problem = null;
    if (Files.isDirectory(absolute)) {
      problem = "is a directory, not a " + what;
    } else if (!Files.exists(absolute)) {
      Path parent = absolute.getParent();
      problem = "no such " + what + (parent != null && !Files.isDirectory(parent) ? " (its folder " + parent
          + " does not exist either)" : "");
    } else if (!Files.isReadable(absolute)) {
      problem = "not readable (permission denied)";
    }
    if (problem != null) {
      if (!path.isAbsolute() && !Bundled.isBundled(path)) {
        problem += " (" + path + " is resolved against the working directory)";
      }
      throw new BadInputException(absolute, problem);
    }
    return file;
  }
}
