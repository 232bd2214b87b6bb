package dro4j.data.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.data.metrics.NumericAnswers.ParsedNumber;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NumericAnswersTest {
  private static double value(String text) {
    return NumericAnswers.parse(text).orElseThrow().value();
  }

  @Test
  void readsWrittenNumberForms() {
    assertThat(value("1,234.5")).isEqualTo(1234.5);
    assertThat(value("-3")).isEqualTo(-3);
    assertThat(value("\u22123")).isEqualTo(-3); // Unicode minus
    assertThat(value("$1.2")).isEqualTo(1.2);
    assertThat(value("-$1.2")).isEqualTo(-1.2);
    assertThat(value("$ -23158")).isEqualTo(-23158);
    assertThat(value(".5")).isEqualTo(0.5);
    assertThat(value("about 12 km")).isEqualTo(12);
  }

  @Test
  void parenthesesMeanNegative() {
    assertThat(value("(45)")).isEqualTo(-45);
    assertThat(value("$(1.2)")).isEqualTo(-1.2);
    assertThat(value("($ 1,000)")).isEqualTo(-1000);
    assertThat(value("(45 units")).isEqualTo(45); // unclosed: not an accounting negative
  }

  @Test
  void percentIsRecordedButNotApplied() {
    assertThat(NumericAnswers.parse("12%")).contains(new ParsedNumber(12, true, "12%"));
    assertThat(NumericAnswers.parse("12.5 percent").orElseThrow().fraction()).isEqualTo(0.125);
    assertThat(NumericAnswers.parse("12 %").orElseThrow().percent()).isTrue();
    assertThat(NumericAnswers.parse("\\boxed{7\\%}").orElseThrow().percent()).isTrue();
    assertThat(NumericAnswers.parse("(4.5%)").orElseThrow().fraction()).isEqualTo(-0.045);
    assertThat(NumericAnswers.parse("12").orElseThrow().percent()).isFalse();
  }

  @Test
  void scaleWordsAreIgnored() {
    assertThat(value("1.2 million")).isEqualTo(1.2);
    assertThat(value("$3.8 billion")).isEqualTo(3.8);
  }

  @Test
  void hyphenAfterAWordIsNotASign() {
    assertThat(value("covid-19")).isEqualTo(19);
    assertThat(value("2019-2020")).isEqualTo(2019);
  }

  @Test
  void noNumber() {
    assertThat(NumericAnswers.parse("no idea")).isEqualTo(Optional.empty());
    assertThat(NumericAnswers.numericMatch("no idea", 0, 0.02)).isFalse();
  }

  @Test
  void parseAllFindsEveryNumberInOrder() {
    assertThat(NumericAnswers.parseAll("from 1,000 to (200), i.e. 5%"))
        .extracting(ParsedNumber::value)
        .containsExactly(1000.0, -200.0, 5.0);
  }

  @Test
  void numericMatchWithRelativeTolerance() {
    assertThat(NumericAnswers.numericMatch("102", 100, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("98", 100, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("102.1", 100, 0.02)).isFalse();
    assertThat(NumericAnswers.numericMatch("-100", -101, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("0", 0, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("0.001", 0, 0.02)).isFalse();
    assertThat(NumericAnswers.numericMatch("18", 18, 0)).isTrue();
  }

  @Test
  void percentMatchesAsWrittenOrAsFraction() {
    assertThat(NumericAnswers.numericMatch("12.3%", 0.123, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("12.3%", 12.3, 0.02)).isTrue();
    assertThat(NumericAnswers.numericMatch("12.3", 0.123, 0.02)).isFalse(); // no mark: as written only
  }

  @Test
  void formatsPlainNumbers() {
    assertThat(NumericAnswers.format(51.0)).isEqualTo("51");
    assertThat(NumericAnswers.format(3.8)).isEqualTo("3.8");
    assertThat(NumericAnswers.format(-0.0)).isEqualTo("0");
    assertThat(NumericAnswers.format(1e-7)).isEqualTo("0.0000001");
    assertThat(NumericAnswers.format(1.5e10)).isEqualTo("15000000000");
  }
}
