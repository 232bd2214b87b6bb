package dro4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PassAtKTest {
  @Test
  void handComputedValues() {
    // 1 - C(3,2)/C(4,2) = 1 - 3/6
    assertThat(PassAtK.estimate(4, 1, 2)).isCloseTo(0.5, within(1e-12));
    // pass@1 is the fraction correct
    assertThat(PassAtK.estimate(5, 2, 1)).isCloseTo(0.4, within(1e-12));
    // 1 - C(7,4)/C(10,4) = 1 - 35/210
    assertThat(PassAtK.estimate(10, 3, 4)).isCloseTo(1 - 35.0 / 210, within(1e-12));
    // 1 - C(12,8)/C(16,8) = 1 - 495/12870
    assertThat(PassAtK.estimate(16, 4, 8)).isCloseTo(1 - 495.0 / 12870, within(1e-12));
    // 1 - C(15,16)/C(16,16): fewer wrong samples than k, so certain
    assertThat(PassAtK.estimate(16, 1, 16)).isEqualTo(1.0);
  }

  @Test
  void noCorrectGivesZeroAllCorrectGivesOne() {
    for (int k : PassAtK.STANDARD_KS) {
      assertThat(PassAtK.estimate(16, 0, k)).isEqualTo(0.0);
      assertThat(PassAtK.estimate(16, 16, k)).isEqualTo(1.0);
    }
  }

  @Test
  void stableForManySamples() {
    // C(1000, 16) overflows a long; the product form does not need it. 1 - prod (1 - 1/i), i=991..1000 = 10/1000
    assertThat(PassAtK.estimate(1000, 10, 1)).isCloseTo(0.01, within(1e-12));
    assertThat(PassAtK.estimate(1000, 500, 16)).isBetween(0.99998, 1.0);
  }

  @Test
  void invalidArgumentsAreRejected() {
    assertThatThrownBy(() -> PassAtK.estimate(4, 1, 8)).hasMessageContaining("1 <= k <= n");
    assertThatThrownBy(() -> PassAtK.estimate(4, 1, 0)).hasMessageContaining("1 <= k <= n");
    assertThatThrownBy(() -> PassAtK.estimate(4, 5, 1)).hasMessageContaining("correct <= samples");
    assertThatThrownBy(() -> PassAtK.estimate(0, 0, 1)).hasMessageContaining("samples >= 1");
  }

  @Test
  void reportAveragesOverProblemsForEachFeasibleK() {
    List<PassAtK.Counts> problems = List.of(new PassAtK.Counts(4, 1), new PassAtK.Counts(4, 0), new PassAtK.Counts(8, 8));
    Map<Integer, Double> report = PassAtK.report(problems);
    assertThat(report).containsOnlyKeys(1, 2, 4);
    assertThat(report.get(1)).isCloseTo((0.25 + 0 + 1) / 3, within(1e-12));
    assertThat(report.get(2)).isCloseTo((0.5 + 0 + 1) / 3, within(1e-12));
    assertThat(report.get(4)).isCloseTo((1.0 + 0 + 1) / 3, within(1e-12));
  }

  @Test
  void reportGoesUpToTheLargestPowerOfTwoOfTheSamples() {
    assertThat(PassAtK.powersOfTwo(1)).containsExactly(1);
    assertThat(PassAtK.powersOfTwo(12)).containsExactly(1, 2, 4, 8);
    assertThat(PassAtK.powersOfTwo(0)).isEmpty();
    // 40 samples, 2 correct: pass@32 = 1 - C(38,32)/C(40,32) = 1 - (8*7)/(40*39)
    Map<Integer, Double> report = PassAtK.report(List.of(new PassAtK.Counts(40, 2)));
    assertThat(report).containsOnlyKeys(1, 2, 4, 8, 16, 32);
    assertThat(report.get(32)).isCloseTo(1 - 56.0 / 1560, within(1e-12));
    assertThat(report.get(1)).isCloseTo(0.05, within(1e-12));
  }
}
