package dro4j.data.finqa;

import dro4j.data.metrics.NumericAnswers;

/**
 * A value of a FinQA program, and the type of {@code qa.exe_ans}: a number, or "yes"/"no" from the
 * {@code greater} operation.
 */
public sealed interface FinQaValue permits FinQaValue.Numeric, FinQaValue.YesNo {

  /** The value as FinQA writes it: plain number text, or "yes"/"no". */
  String text();

  /** The value as a plain Java object for JSON: a {@code Double} or the string "yes"/"no". */
  Object toPlain();

  /** A number. */
  record Numeric(double value) implements FinQaValue {
    @Override
    public String text() {
      return NumericAnswers.format(value);
    }

    @Override
    public Object toPlain() {
      return value;
    }
  }

  /** The result of {@code greater}. */
  record YesNo(boolean yes) implements FinQaValue {
    @Override
    public String text() {
      return yes ? "yes" : "no";
    }

    @Override
    public Object toPlain() {
      return text();
    }
  }
}
