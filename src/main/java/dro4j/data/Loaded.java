package dro4j.data;

import java.nio.file.Path;
import java.util.List;

/**
 * What a loader read from one file: the items it kept and the records it skipped (only ever
 * non-empty under {@link OnInvalid#SKIP}).
 *
 * @param file the file read
 * @param items the items in file order
 * @param skipped the malformed records left out, in file order
 */
public record Loaded<T>(Path file, List<T> items, List<Skipped> skipped) {

  /** A record left out: where it starts and what was wrong with it. */
  public record Skipped(int line, String problem) {
    @Override
    public String toString() {
      return "line " + line + ": " + problem;
    }
  }

  /** Copies the lists so the result is immutable. */
  public Loaded {
    items = List.copyOf(items);
    skipped = List.copyOf(skipped);
  }
}
