package dro4j.data.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.data.filter.DynamicFilter.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class DynamicFilterTest {
  static Example ex(String id) {
    return new Example(id, Map.of("question", id), "ref", Map.of());
  }

  @Test
  void worstRankAverageTakesTheLargestRhoShare() {
    // 10 ranks, rho 0.2 -> the two largest (40, 100) -> 70
    int[] ranks = {1, 2, 1, 3, 40, 1, 100, 2, 1, 1};
    assertThat(PromptStatistics.worstAverage(ranks, 0.2)).isEqualTo(70.0);
    // rho 0.1 of 10 -> exactly one token
    assertThat(PromptStatistics.worstAverage(ranks, 0.1)).isEqualTo(100.0);
    // tiny rho still takes at least one token
    assertThat(PromptStatistics.worstAverage(new int[] {5, 7}, 0.01)).isEqualTo(7.0);
    assertThat(PromptStatistics.worstAverage(new int[0], 0.1)).isInfinite();
  }

  @Test
  void sigmaIsThePopulationStdPerToken() {
    float[][] lp = {{-1f, -2f, -5f}, {-3f, -2f, -5f}};
    PromptStatistics s = PromptStatistics.of("p", new int[][] {{1, 1, 1}, {1, 1, 1}}, lp, 0.5);
    assertThat(s.sigma()[0]).isCloseTo(1.0, Offset.offset(1e-9));
    assertThat(s.sigma()[1]).isZero();
    assertThat(s.sigma()[2]).isZero();
    assertThat(s.maxSigma()).isCloseTo(1.0, Offset.offset(1e-9));
  }

  @Test
  void stageOneDropsPromptsNoSampleCanReach() {
    FilterConfig config = new FilterConfig(2, 0.5, 10, 0.0, 0.0, 0, 1);
    float[][] lp = {{-1f, -2f}, {-2f, -1f}};
    // reach: sample 2 has worst-half average 4 <= 10; out of reach: best sample averages 50
    PromptStatistics reach = PromptStatistics.of("reach", new int[][] {{100, 300}, {4, 1}}, lp, 0.5);
    PromptStatistics far = PromptStatistics.of("far", new int[][] {{60, 1}, {50, 2}}, lp, 0.5);
    DynamicFilter.Round round = DynamicFilter.apply(List.of(ex("reach"), ex("far")), List.of(reach, far), List.of(), config);
    assertThat(round.trainingSet()).extracting(Example::id).containsExactly("reach");
    assertThat(round.outcomes().get(1).decision()).isEqualTo(Decision.DROPPED_OUT_OF_REACH);
    assertThat(round.outcomes().get(1).statistics().bestWorstRankAverage()).isEqualTo(50.0);
  }

  @Test
  void stageTwoDropsTheLowestVariationShareOfSurvivors() {
    FilterConfig config = new FilterConfig(2, 1.0, 10, 0.5, 0.0, 0, 1);
    int[][] ranks = {{1, 1}, {1, 1}};
    List<Example> examples = new ArrayList<>();
    List<PromptStatistics> stats = new ArrayList<>();
    double[] spreads = {0.1, 2.0, 0.0, 1.0}; // sigma of token 0 = spread / 2
    for (int i = 0; i < spreads.length; i++) {
      float d = (float) spreads[i];
      stats.add(PromptStatistics.of("p" + i, ranks, new float[][] {{-1f, -1f}, {-1f - d, -1f}}, 1.0));
      examples.add(ex("p" + i));
    }
    DynamicFilter.Round round = DynamicFilter.apply(examples, stats, List.of(), config);
    // half of 4 survivors dropped: the two lowest max-sigma (p2 = 0, p0 = 0.05)
    assertThat(round.trainingSet()).extracting(Example::id).containsExactly("p1", "p3");
    assertThat(round.count(Decision.DROPPED_LOW_VARIATION)).isEqualTo(2);
    assertThat(round.outcomes().get(2).decision()).isEqualTo(Decision.DROPPED_LOW_VARIATION);
    assertThat(round.outcomes().get(0).decision()).isEqualTo(Decision.DROPPED_LOW_VARIATION);
  }

  @Test
  void carryForwardKeepsAShareOfThePreviousSetWithoutDuplicates() {
    FilterConfig config = new FilterConfig(2, 1.0, 10, 0.0, 0.3, 0, 42);
    List<Example> previous = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      previous.add(ex("old" + i));
    }
    previous.add(ex("new"));
    PromptStatistics s = PromptStatistics.of("new", new int[][] {{1}, {1}}, new float[][] {{-1f}, {-2f}}, 1.0);
    DynamicFilter.Round round = DynamicFilter.apply(List.of(ex("new")), List.of(s), previous, config);
    // round(0.3 * 11) = 3 carried, none of them the already-kept "new"
    assertThat(round.count(Decision.CARRIED_FORWARD)).isEqualTo(3);
    assertThat(round.trainingSet()).hasSize(4);
    assertThat(round.trainingSet()).extracting(Example::id).doesNotHaveDuplicates().startsWith("new");
    // deterministic by seed
    DynamicFilter.Round again = DynamicFilter.apply(List.of(ex("new")), List.of(s), previous, config);
    assertThat(again.trainingSet()).extracting(Example::id)
        .containsExactlyElementsOf(round.trainingSet().stream().map(Example::id).toList());
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThatThrownBy(() -> new FilterConfig(1, 0.1, 10, 0.2, 0.1, 0, 0))
        .isInstanceOf(BadInputException.class).hasMessageContaining("samples_per_prompt");
    assertThatThrownBy(() -> new FilterConfig(16, 0, 10, 0.2, 0.1, 0, 0)).hasMessageContaining("worst_rank_fraction");
    assertThatThrownBy(() -> new FilterConfig(16, 0.1, 10, 1.0, 0.1, 0, 0)).hasMessageContaining("low_variation");
  }
}
