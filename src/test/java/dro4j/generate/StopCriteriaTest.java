package dro4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class StopCriteriaTest {
  /** Decoded text of the first n tokens of a completion whose tokens spell these pieces. */
  private static IntFunction<String> textOf(String... pieces) {
    return n -> String.join("", List.of(pieces).subList(0, n));
  }

  private static final IntFunction<String> NEVER = n -> {
    throw new AssertionError("decoded text requested without stop strings");
  };

  @Test
  void stopTokenStopsWithoutDecoding() {
    StopCriteria c = new StopCriteria(List.of(2, 7), List.of(), 10);
    assertThat(c.check(5, 1, NEVER)).isNull();
    assertThat(c.check(7, 2, NEVER)).isEqualTo(FinishReason.STOP);
    assertThat(c.check(2, 3, NEVER)).isEqualTo(FinishReason.STOP);
  }

  @Test
  void stopStringSpanningTwoTokensIsFoundAndCutOff() {
    StopCriteria c = new StopCriteria(List.of(), List.of("answer"), 10);
    IntFunction<String> text = textOf("The an", "swer is", " 42");
    assertThat(c.check(11, 1, text)).isNull();
    assertThat(c.check(12, 2, text)).isEqualTo(FinishReason.STOP);
    assertThat(c.textEnd(text.apply(2))).isEqualTo(4);
    assertThat(text.apply(2).substring(0, c.textEnd(text.apply(2)))).isEqualTo("The ");
  }

  @Test
  void textIsCutAtTheEarliestOfSeveralStopStrings() {
    StopCriteria c = new StopCriteria(List.of(), List.of("world", "lo"), 10);
    assertThat(c.textEnd("hello world")).isEqualTo(3);
    assertThat(c.textEnd("nothing here")).isEqualTo(12);
  }

  @Test
  void lengthLimitEndsWithLengthButAStopTokenAtTheLimitIsAStop() {
    StopCriteria c = new StopCriteria(Set.of(0), List.of("zz"), 3);
    IntFunction<String> text = textOf("a", "b", "c");
    assertThat(c.check(5, 1, text)).isNull();
    assertThat(c.check(5, 2, text)).isNull();
    assertThat(c.check(5, 3, text)).isEqualTo(FinishReason.LENGTH);
    assertThat(c.check(0, 3, text)).isEqualTo(FinishReason.STOP);
  }

  @Test
  void ofCombinesRequestStopsWithTheTokenizersEos() {
    SamplingParams p = SamplingParams.defaults().withStopTokenIds(List.of(4))
        .withStopStrings(List.of("\n\n")).withMaxNewTokens(8);
    StopCriteria c = StopCriteria.of(p, List.of(151645));
    assertThat(c.stopTokenIds()).containsExactlyInAnyOrder(4, 151645);
    assertThat(c.stopStrings()).containsExactly("\n\n");
    assertThat(c.maxNewTokens()).isEqualTo(8);
    assertThat(c.check(151645, 1, NEVER)).isEqualTo(FinishReason.STOP);
  }

  @Test
  void badArgumentsAreRejected() {
    assertThatThrownBy(() -> new StopCriteria(List.of(), List.of(""), 3))
        .isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> new StopCriteria(List.of(), List.of(), -1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("max_new_tokens");
  }
}
