package dro4j.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Which PyTorch CPU natives this build carries and whether they fit the machine. The jar holds the
 * natives of one platform, chosen at build time by OS and architecture (Maven profiles in {@code
 * pom.xml}, or {@code -Dpytorch.native.classifier=...}); without this check a mismatch surfaces as a
 * native-library failure deep inside DJL.
 */
public final class NativePlatform {
  /** The platforms for which Maven Central has {@code pytorch-native-cpu} 2.7.1 (and DJL's JNI has a library). */
  public static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64", "osx-aarch64", "win-x86_64");

  /** The only platform the project's own machines can test. */
  public static final String TESTED = "linux-x86_64";

  private NativePlatform() {}

  /** This machine as DJL names platforms: {@code linux-x86_64}, {@code osx-aarch64}, ... */
  public static String current() {
    return name(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
  }

  /** The platform name of an {@code os.name} / {@code os.arch} pair. */
  static String name(String osName, String osArch) {
    String os = osName.toLowerCase(Locale.ROOT);
    String family = os.startsWith("mac") || os.startsWith("darwin") ? "osx"
        : os.startsWith("windows") ? "win"
        : os.startsWith("linux") ? "linux"
        : os.replaceAll("[^a-z0-9]", "");
    String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64", "x64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> osArch.toLowerCase(Locale.ROOT);
    };
    return family + "-" + arch;
  }

  /** The classifier of the PyTorch natives on the class path, if any. */
  public static Optional<String> bundled() {
    try (InputStream in = NativePlatform.class.getResourceAsStream("/native/lib/pytorch.properties")) {
      if (in == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      p.load(in);
      return Optional.ofNullable(p.getProperty("classifier"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Fails with one line naming the platform and what is supported when the natives on the class path
   * cannot run here. A user-provided libtorch ({@code PYTORCH_LIBRARY_PATH}) is not checked.
   */
  public static void check() {
    boolean custom = System.getenv("PYTORCH_LIBRARY_PATH") != null || System.getProperty("PYTORCH_LIBRARY_PATH") != null;
    problem(current(), bundled().orElse(null), custom).ifPresent(message -> {
      throw new UnsupportedPlatformException(message);
    });
  }

  /** What is wrong with running the {@code bundled} natives (null: none) on {@code current}, if anything. */
  static Optional<String> problem(String current, String bundled, boolean customLibrary) {
    if (customLibrary || current.equals(bundled)) {
      return Optional.empty();
    }
    String supported = String.join(", ", SUPPORTED) + " (only " + TESTED + " is tested)";
    if (!SUPPORTED.contains(current)) {
      return Optional.of("this machine is " + current + ", for which PyTorch 2.7.1 has no CPU natives; dro4j runs on "
          + supported + ", or on a libtorch 2.7.1 of your own named by PYTORCH_LIBRARY_PATH");
    }
    if (bundled == null) {
      return Optional.of("no PyTorch natives on the class path (pytorch-native-cpu " + current
          + "); build the jar with Maven on this machine, which adds them");
    }
    return Optional.of("this build of dro4j carries PyTorch natives for " + bundled + " but this machine is " + current
        + "; rebuild it here (mvn package picks the natives by OS and architecture) or with"
        + " -Dpytorch.native.classifier=" + current + ". Natives exist for " + supported);
  }

  /** The natives cannot run on this machine. */
  public static final class UnsupportedPlatformException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    UnsupportedPlatformException(String message) {
      super(message);
    }
  }
}
