package dro4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {

  @Test
  void defaultsAreSamplingAtTemperatureOneWithNothingTruncated() {
    SamplingParams p = SamplingParams.defaults();
    assertThat(p.greedy()).isFalse();
    assertThat(p.temperature()).isEqualTo(1.0);
    assertThat(p.topP()).isEqualTo(1.0);
    assertThat(p.topK()).isZero();
    assertThat(p.minP()).isZero();
    assertThat(p.repetitionPenalty()).isEqualTo(1.0);
    assertThat(p.maxNewTokens()).isEqualTo(64);
    assertThat(p.seed()).isZero();
    assertThat(p.stopTokenIds()).isEmpty();
    assertThat(p.stopStrings()).isEmpty();
    assertThat(p.numReturnSequences()).isEqualTo(1);
  }

  @Test
  void greedyFactoryAndWithMethodsChangeOneField() {
    SamplingParams g = SamplingParams.greedy(12);
    assertThat(g.greedy()).isTrue();
    assertThat(g.maxNewTokens()).isEqualTo(12);
    assertThat(g.withTemperature(0.0).temperature()).isZero(); // allowed when greedy
    SamplingParams p = SamplingParams.defaults()
        .withTemperature(0.7).withTopP(0.95).withTopK(50).withMinP(0.05)
        .withRepetitionPenalty(1.1).withMaxNewTokens(100).withSeed(42)
        .withStopTokenIds(List.of(2)).withStopStrings(List.of("</answer>"))
        .withNumReturnSequences(16).withMinNewTokens(8);
    assertThat(p).isEqualTo(new SamplingParams(false, 0.7, 0.95, 50, 0.05, 1.1, 100, 42,
        List.of(2), List.of("</answer>"), 16, 8));
  }

  @Test
  void listsAreCopiedAndNullMeansEmpty() {
    List<String> stops = new ArrayList<>(List.of("x"));
    SamplingParams p = SamplingParams.defaults().withStopStrings(stops).withStopTokenIds(null);
    stops.add("y");
    assertThat(p.stopStrings()).containsExactly("x");
    assertThat(p.stopTokenIds()).isEmpty();
    assertThatThrownBy(() -> p.stopStrings().add("z"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  private static void rejected(Supplier<SamplingParams> make, String words) {
    assertThatThrownBy(make::get).isInstanceOf(BadInputException.class).hasMessageContaining(words);
  }

  @Test
  void invalidValuesAreRejectedWithClearMessages() {
    SamplingParams d = SamplingParams.defaults();
    rejected(() -> d.withTemperature(0), "temperature must be a finite number > 0");
    rejected(() -> d.withTemperature(0), "use greedy decoding");
    rejected(() -> d.withTemperature(-1), "temperature");
    rejected(() -> d.withTemperature(Double.NaN), "temperature");
    rejected(() -> d.withTemperature(Double.POSITIVE_INFINITY), "temperature");
    rejected(() -> SamplingParams.greedy(5).withTemperature(-0.5), "temperature");
    rejected(() -> d.withTopP(0), "top_p must be in (0, 1]");
    rejected(() -> d.withTopP(1.01), "top_p");
    rejected(() -> d.withTopP(Double.NaN), "top_p");
    rejected(() -> d.withTopK(-1), "top_k must be >= 0");
    rejected(() -> d.withMinP(-0.1), "min_p must be in [0, 1]");
    rejected(() -> d.withMinP(1.5), "min_p");
    rejected(() -> d.withRepetitionPenalty(0), "repetition_penalty must be a finite number > 0");
    rejected(() -> d.withMaxNewTokens(-1), "max_new_tokens must be >= 0");
    rejected(() -> d.withNumReturnSequences(0), "num_return_sequences must be >= 1");
    rejected(() -> d.withMinNewTokens(-1), "min_new_tokens must be >= 0");
    rejected(() -> d.withStopStrings(List.of("")), "stop_strings");
    rejected(() -> d.withStopStrings(Arrays.asList("a", null)), "stop_strings");
    rejected(() -> d.withStopTokenIds(List.of(-3)), "stop_token_ids");
  }

  @Test
  void boundaryValuesAreAccepted() {
    SamplingParams p = SamplingParams.defaults().withTopP(1.0).withMinP(1.0).withTopK(0)
        .withMaxNewTokens(0).withRepetitionPenalty(0.5).withTemperature(1e-3);
    assertThat(p.minP()).isEqualTo(1.0);
    assertThat(p.maxNewTokens()).isZero();
  }
}
