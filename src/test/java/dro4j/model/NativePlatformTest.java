package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Platform names and the one-line errors for natives that cannot run on the machine. */
class NativePlatformTest {

  @Test
  void namesPlatformsAsDjlDoes() {
    assertThat(NativePlatform.name("Linux", "amd64")).isEqualTo("linux-x86_64");
    assertThat(NativePlatform.name("Linux", "aarch64")).isEqualTo("linux-aarch64");
    assertThat(NativePlatform.name("Mac OS X", "aarch64")).isEqualTo("osx-aarch64");
    assertThat(NativePlatform.name("Mac OS X", "x86_64")).isEqualTo("osx-x86_64");
    assertThat(NativePlatform.name("Windows 11", "amd64")).isEqualTo("win-x86_64");
  }

  @Test
  void theNativesOnTheTestClassPathFitThisMachine() {
    assertThat(NativePlatform.bundled()).contains(NativePlatform.current());
    assertThat(NativePlatform.problem(NativePlatform.current(), NativePlatform.bundled().orElseThrow(), false)).isEmpty();
  }

  @Test
  void aMismatchIsOneLineNamingBothPlatforms() {
    String m = NativePlatform.problem("osx-aarch64", "linux-x86_64", false).orElseThrow();
    assertThat(m).contains("linux-x86_64").contains("osx-aarch64").contains("-Dpytorch.native.classifier=osx-aarch64")
        .doesNotContain("\n");
    String unsupported = NativePlatform.problem("osx-x86_64", "linux-x86_64", false).orElseThrow();
    assertThat(unsupported).contains("osx-x86_64").contains("no CPU natives").contains("win-x86_64")
        .contains("PYTORCH_LIBRARY_PATH");
    assertThat(NativePlatform.problem("linux-aarch64", null, false).orElseThrow()).contains("no PyTorch natives");
    // a libtorch of the user's own is not second-guessed
    assertThat(NativePlatform.problem("osx-x86_64", "linux-x86_64", true)).isEmpty();
  }
}
