package dro4j;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the reference fixtures and test data that live in the repository, under
 * {@code src/test/resources/fixtures} and {@code src/test/resources/data}.
 *
 * <p>Paths are resolved from the test classpath (Maven copies the test resources to
 * {@code target/test-classes}), so they do not depend on the working directory. Where the
 * resources are not on the classpath as plain files (an unusual IDE set-up), the source folders
 * are found from the {@code basedir} system property that surefire sets, or from the working
 * directory as a last resort.
 */
public final class Fixtures {
  private Fixtures() {}

  private static volatile Path fixtures;
  private static volatile Path data;

  /** The fixture folder ({@code src/test/resources/fixtures}): models, reference outputs, chat templates. */
  public static Path fixturesRoot() {
    Path p = fixtures;
    if (p == null) {
      fixtures = p = locate("fixtures", "README.md");
    }
    return p;
  }

  /** The test data folder ({@code src/test/resources/data}): FinQA, GSM8K and SVAMP files. */
  public static Path dataRoot() {
    Path p = data;
    if (p == null) {
      data = p = locate("data", "README.md");
    }
    return p;
  }

  /** {@code fixtures/<first>/<more...>}, for example {@code fixture("stories260K")}. */
  public static Path fixture(String first, String... more) {
    return fixturesRoot().resolve(Path.of(first, more));
  }

  /** {@code data/<first>/<more...>}, for example {@code data("gsm8k", "test.jsonl")}. */
  public static Path data(String first, String... more) {
    return dataRoot().resolve(Path.of(first, more));
  }

  /**
   * The ParaReval file bundled with the library itself
   * ({@code src/main/resources/dro4j/data/pararev/parareval_second_annotation.jsonl}); the tests
   * read that copy rather than keeping a second one.
   */
  public static Path paraReval() {
    return resource("dro4j/data/pararev/parareval_second_annotation.jsonl", "src/main/resources");
  }

  /** The folder that holds {@code folder/marker} on the test classpath. */
  private static Path locate(String folder, String marker) {
    return resource(folder + "/" + marker, "src/test/resources").getParent();
  }

  /** A classpath resource as a file path, falling back to {@code <basedir>/<sourceFolder>/<name>}. */
  private static Path resource(String name, String sourceFolder) {
    URL url = Fixtures.class.getClassLoader().getResource(name);
    if (url != null && "file".equals(url.getProtocol())) {
      try {
        return Path.of(url.toURI()).toAbsolutePath().normalize();
      } catch (URISyntaxException | IllegalArgumentException e) {
        // fall through to the source tree
      }
    }
    String basedir = System.getProperty("basedir");
    Path base = basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
    Path p = base.resolve(sourceFolder).resolve(name);
    if (Files.isRegularFile(p)) {
      return p.toAbsolutePath().normalize();
    }
    throw new IllegalStateException("test resource " + name + " is neither on the classpath nor at " + p.toAbsolutePath());
  }
}
