package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FinQaMetricsTest {
  private static final FinQaValue.Numeric FRACTION = new FinQaValue.Numeric(0.123);
  private static final FinQaValue.Numeric AMOUNT = new FinQaValue.Numeric(380.0);

  @Test
  void droCorrectWithinTwoPercentRelative() {
    assertThat(FinQaMetrics.droCorrect("$380", AMOUNT)).isTrue();
    assertThat(FinQaMetrics.droCorrect("387.5 million", AMOUNT)).isTrue(); // 1.97% off
    assertThat(FinQaMetrics.droCorrect("388", AMOUNT)).isFalse(); // 2.1% off
    assertThat(FinQaMetrics.droCorrect("-380", AMOUNT)).isFalse();
    assertThat(FinQaMetrics.droCorrect("no number here", AMOUNT)).isFalse();
  }

  @Test
  void droCorrectAcceptsPercentOrFractionScale() {
    assertThat(FinQaMetrics.droCorrect("12.3%", FRACTION)).isTrue();
    assertThat(FinQaMetrics.droCorrect("12.3", FRACTION)).isTrue();
    assertThat(FinQaMetrics.droCorrect("0.123", FRACTION)).isTrue();
    assertThat(FinQaMetrics.droCorrect("0.123", new FinQaValue.Numeric(12.3))).isTrue();
    assertThat(FinQaMetrics.droCorrect("1.23", FRACTION)).isFalse();
  }

  @Test
  void droCorrectForYesNo() {
    FinQaValue yes = new FinQaValue.YesNo(true);
    assertThat(FinQaMetrics.droCorrect("Yes.", yes)).isTrue();
    assertThat(FinQaMetrics.droCorrect("yes, it was greater", yes)).isTrue();
    assertThat(FinQaMetrics.droCorrect("no", yes)).isFalse();
    assertThat(FinQaMetrics.droCorrect("yesterday", yes)).isFalse();
    assertThat(FinQaMetrics.droCorrect("1", yes)).isFalse();
  }

  @Test
  void executionMatchComparesRoundedResults() {
    List<List<String>> table = List.of(List.of("", "2019"));
    assertThat(FinQaMetrics.executionMatch("divide(1, 3)", table, new FinQaValue.Numeric(0.33333))).isTrue();
    assertThat(FinQaMetrics.executionMatch("divide(1, 3)", table, new FinQaValue.Numeric(0.3333333333))).isTrue();
    assertThat(FinQaMetrics.executionMatch("divide(1, 3)", table, new FinQaValue.Numeric(0.3334))).isFalse();
    assertThat(FinQaMetrics.executionMatch("greater(1, 3)", table, new FinQaValue.YesNo(false))).isTrue();
    assertThat(FinQaMetrics.executionMatch("greater(1, 3)", table, new FinQaValue.Numeric(0))).isFalse();
  }

  @Test
  void invalidProgramsCountAsWrong() {
    List<List<String>> table = List.of(List.of("", "2019"));
    assertThat(FinQaMetrics.executionMatch("divide(1, 0)", table, new FinQaValue.Numeric(0))).isFalse();
    assertThat(FinQaMetrics.executionMatch("the answer is 3", table, new FinQaValue.Numeric(3))).isFalse();
  }
}
