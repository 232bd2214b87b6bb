package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FinQaProgramTest {
  // header row, then rows in FinQA's processed format
  private static final List<List<String>> TABLE =
      List.of(
          List.of("", "2009", "2008", "2007"),
          List.of("net revenue", "$ 1,200", "$ 1000", "$ 800"),
          List.of("net income ( loss )", "$ -30 ( 30 )", "25", "5"),
          List.of("margin", "12%", "10%", "8%"),
          List.of("notes", "n/a", "1", "2"),
          List.of("empty"));

  private static double number(String program) {
    return ((FinQaValue.Numeric) FinQaProgram.run(program, TABLE)).value();
  }

  @Test
  void add() {
    assertThat(number("add(2.5, 4)")).isEqualTo(6.5);
  }

  @Test
  void subtract() {
    assertThat(number("subtract(5829, 5735)")).isEqualTo(94.0);
  }

  @Test
  void multiply() {
    assertThat(number("multiply(1.5, -4)")).isEqualTo(-6.0);
  }

  @Test
  void divideRoundsTheFinalResultToFiveDecimals() {
    assertThat(number("divide(1, 3)")).isEqualTo(0.33333);
    assertThat(number("divide(94, 5735)")).isEqualTo(0.01639);
  }

  @Test
  void exp() {
    assertThat(number("exp(1.1, 2)")).isEqualTo(1.21);
    assertThat(number("exp(2, 0.5)")).isEqualTo(1.41421);
  }

  @Test
  void greaterGivesYesOrNo() {
    assertThat(FinQaProgram.run("greater(3, 2)", TABLE)).isEqualTo(new FinQaValue.YesNo(true));
    assertThat(FinQaProgram.run("greater(2, 2)", TABLE)).isEqualTo(new FinQaValue.YesNo(false));
    assertThat(FinQaProgram.run("greater(2, 3)", TABLE).text()).isEqualTo("no");
  }

  @Test
  void tableMax() {
    assertThat(number("table_max(net revenue, none)")).isEqualTo(1200.0);
  }

  @Test
  void tableMinReadsFinQaNegativeCells() {
    // "$ -30 ( 30 )" is -30: the text from "(" on is dropped
    assertThat(number("table_min(net income ( loss ), none)")).isEqualTo(-30.0);
  }

  @Test
  void tableSum() {
    assertThat(number("table_sum(net revenue, none)")).isEqualTo(3000.0);
  }

  @Test
  void tableAverage() {
    assertThat(number("table_average(net income ( loss ), none)")).isEqualTo(0.0);
    // percent cells are fractions, as in the official process_row
    assertThat(number("table_average(margin, none)")).isEqualTo(0.1);
  }

  @Test
  void stepReferencesUseEarlierResults() {
    assertThat(number("subtract(1200, 1000), divide(#0, 1000)")).isEqualTo(0.2);
    assertThat(number("table_max(net revenue, none), table_min(net revenue, none), subtract(#0, #1), divide(#2, #1)"))
        .isEqualTo(0.5);
  }

  @Test
  void onlyTheFinalResultIsRounded() {
    // unrounded 1/3 times 3 is 1; rounding #0 first would give 0.99999
    assertThat(number("divide(1, 3), multiply(#0, 3)")).isEqualTo(1.0);
  }

  @Test
  void constants() {
    assertThat(number("multiply(0.25, const_100)")).isEqualTo(25.0);
    assertThat(number("divide(5000, const_1000)")).isEqualTo(5.0);
    assertThat(number("multiply(7, const_m1)")).isEqualTo(-7.0);
    assertThat(number("add(const_2, const_1000000)")).isEqualTo(1_000_002.0);
  }

  @Test
  void argumentsInFinQaNumberFormats() {
    assertThat(number("add(1,234, 1)")).isEqualTo(1235.0);
    assertThat(number("multiply(12%, 100)")).isEqualTo(12.0); // "12%" is 0.12 as in str_to_num
    assertThat(number("add(-3.5, 1)")).isEqualTo(-2.5);
  }

  @Test
  void roundingMatchesPythonRoundOnTheBinaryValue() {
    // values from Python 3: round(x, 5)
    assertThat(FinQaProgram.round5(1.000005)).isEqualTo(1.00001);
    assertThat(FinQaProgram.round5(2.000015)).isEqualTo(2.00001);
    assertThat(FinQaProgram.round5(0.123455)).isEqualTo(0.12345);
    assertThat(FinQaProgram.round5(10.000025)).isEqualTo(10.00003);
  }

  @Test
  void nestedAndFlatForms() {
    FinQaProgram p = FinQaProgram.parse("subtract(5829, 5735),divide(#0,  5735)");
    assertThat(p.steps()).hasSize(2);
    assertThat(p.toString()).isEqualTo("subtract(5829, 5735), divide(#0, 5735)");
    assertThat(p.nested()).isEqualTo("divide(subtract(5829, 5735), 5735)");
  }

  @Test
  void rowNamesMayContainCommaSpace() {
    List<List<String>> table = List.of(List.of("", "2019", "2018"), List.of("net income , as reported", "4", "6"));
    assertThat(((FinQaValue.Numeric) FinQaProgram.run("table_average(net income , as reported, none)", table)).value())
        .isEqualTo(5.0);
  }

  private static void rejects(String program, String message) {
    assertThatThrownBy(() -> FinQaProgram.run(program, TABLE))
        .isInstanceOf(FinQaProgramException.class)
        .hasMessage(message);
  }

  @Test
  void malformedProgramsGiveClearErrors() {
    rejects("", "empty program");
    rejects("sqrt(4, 2)", "step 0: unknown operation 'sqrt'");
    rejects("add(1, 2", "step 0 (add): missing ')'");
    rejects("add(1, 2, 3)", "step 0 (add): expected 2 arguments separated by ', ' but found 3 in '1, 2, 3'");
    rejects("add(1,2)", "step 0 (add): expected 2 arguments separated by ', ' but found 1 in '1,2'");
    rejects("add(1, 2) divide(#0, 2)", "after step 0: expected ',' or the end but found 'divide(#0, 2)'");
    rejects("add(1, 2), 7", "step 1: expected 'operation(' but found '7'");
    rejects("add(1, )", "step 0 (add): empty argument in '1, '");
    rejects("table_sum(net revenue)", "step 0 (table_sum): expected 2 arguments separated by ', ' in 'net revenue'");
  }

  @Test
  void unexecutableProgramsGiveClearErrors() {
    rejects("add(#0, 1)", "step 0 (add(#0, 1)): #0 does not refer to an earlier step");
    rejects("add(1, 2), add(#3, 1)", "step 1 (add(#3, 1)): #3 does not refer to an earlier step");
    rejects("add(one, 2)", "step 0 (add(one, 2)): 'one' is not a number, step reference or constant");
    rejects("add($5, 2)", "step 0 (add($5, 2)): '$5' is not a number, step reference or constant");
    rejects("divide(1, 0)", "step 0 (divide(1, 0)): division by zero");
    rejects("exp(-8, 0.5)", "step 0 (exp(-8, 0.5)): result is not a finite number (NaN)");
    rejects("greater(2, 1), add(#0, 1)", "step 1 (add(#0, 1)): #0 is yes, not a number");
    rejects("table_max(gross margin, none)", "step 0 (table_max(gross margin, none)): the table has no row named 'gross margin'");
    rejects("table_max(notes, none)", "step 0 (table_max(notes, none)): row 'notes' has a non-numeric cell 'n/a'");
    rejects("table_sum(empty, none)", "step 0 (table_sum(empty, none)): row 'empty' has no cells");
    rejects("add(1, 2), table_max(#0, none)", "step 1 (table_max(#0, none)): table_max needs a row name, not a step reference");
  }
}
