package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class FinQaNumbersTest {
  @Test
  void argumentsFollowOfficialStrToNum() {
    assertThat(FinQaNumbers.argument("1,234.5")).hasValue(1234.5);
    assertThat(FinQaNumbers.argument("12%")).hasValue(0.12);
    assertThat(FinQaNumbers.argument("12 %")).hasValue(0.12);
    assertThat(FinQaNumbers.argument("-3")).hasValue(-3);
    assertThat(FinQaNumbers.argument(".5")).hasValue(0.5);
    assertThat(FinQaNumbers.argument("const_100")).hasValue(100);
    assertThat(FinQaNumbers.argument("const_m1")).hasValue(-1);
    assertThat(FinQaNumbers.argument("none")).isEqualTo(OptionalDouble.empty());
    assertThat(FinQaNumbers.argument("$5")).isEqualTo(OptionalDouble.empty());
    assertThat(FinQaNumbers.argument("const_x")).isEqualTo(OptionalDouble.empty());
  }

  @Test
  void cellsDropDollarSignsAndTheParenthesisedPart() {
    assertThat(FinQaNumbers.cell("$ 6427")).hasValue(6427);
    assertThat(FinQaNumbers.cell("$ -23158 ( 23158 )")).hasValue(-23158);
    assertThat(FinQaNumbers.cell("4.5%")).hasValue(0.045);
    assertThat(FinQaNumbers.cell("1,030")).hasValue(1030);
    assertThat(FinQaNumbers.cell("")).isEqualTo(OptionalDouble.empty());
    assertThat(FinQaNumbers.cell("( 23158 )")).isEqualTo(OptionalDouble.empty());
  }
}
