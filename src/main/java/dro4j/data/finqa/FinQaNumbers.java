package dro4j.data.finqa;

import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * Number reading as FinQA's official evaluation script ({@code code/evaluate/evaluate.py},
 * {@code str_to_num} and {@code process_row}) does it, for program arguments and table cells.
 * Not for model answers in free text: see {@link dro4j.data.metrics.NumericAnswers} for those.
 */
public final class FinQaNumbers {
  // What Python's float() accepts, less "inf"/"nan" and digit underscores, which FinQA never uses.
  private static final Pattern DECIMAL = Pattern.compile("[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");

  private FinQaNumbers() {}

  /**
   * A program argument: commas are removed ({@code "1,234"} is 1234); a percent mark divides by 100
   * ({@code "12%"} is 0.12, as in the official scorer); {@code const_k} is k and {@code const_m1} is
   * -1. Empty when the text is none of these.
   */
  public static OptionalDouble argument(String text) {
    String s = text.replace(",", "").trim();
    if (DECIMAL.matcher(s).matches()) {
      return OptionalDouble.of(Double.parseDouble(s));
    }
    if (s.contains("%")) {
      String digits = s.replace("%", "").trim();
      return DECIMAL.matcher(digits).matches()
          ? OptionalDouble.of(Double.parseDouble(digits) / 100.0)
          : OptionalDouble.empty();
    }
    if (s.startsWith("const_")) {
      String k = s.substring("const_".length());
      if (k.equals("m1")) {
        return OptionalDouble.of(-1);
      }
      return DECIMAL.matcher(k).matches() ? OptionalDouble.of(Double.parseDouble(k)) : OptionalDouble.empty();
    }
    return OptionalDouble.empty();
  }

  /**
   * A cell of FinQA's processed {@code table}: "$" signs are removed and everything from the first
   * "(" on is dropped (FinQA writes negatives as {@code "$ -23158 ( 23158 )"}), then the rest is read
   * as an {@link #argument}. Empty when the cell is not a number.
   */
  public static OptionalDouble cell(String text) {
    String s = text.replace("$", "").trim();
    int paren = s.indexOf('(');
    if (paren >= 0) {
      s = s.substring(0, paren).trim();
    }
    return argument(s);
  }
}
