package dro4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared reference fixtures ({@code ../shared/fixtures}) from tests. */
public final class Fixtures {
  private Fixtures() {}

  /** The {@code shared} folder beside the repository (override with -Ddro4j.shared=DIR). */
  public static Path shared() {
    String prop = System.getProperty("dro4j.shared");
    Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("shared fixtures not found at " + p.toAbsolutePath());
    }
    return p.toAbsolutePath().normalize();
  }

  /** {@code shared/fixtures/<first>/<more...>}. */
  public static Path fixture(String first, String... more) {
    return shared().resolve("fixtures").resolve(Path.of(first, more));
  }
}
