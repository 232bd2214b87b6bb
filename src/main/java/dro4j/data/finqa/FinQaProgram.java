package dro4j.data.finqa;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A FinQA reasoning program such as {@code "subtract(5829, 5735), divide(#0, 5735)"}: a sequence of
 * steps {@code op(arg1, arg2)} separated by commas, executed in order, where {@code #k} is the result
 * of step k (0-based).
 *
 * <p>Semantics follow FinQA's official scorer ({@code code/evaluate/evaluate.py}, {@code
 * eval_program}):
 *
 * <ul>
 *   <li>{@code add, subtract, multiply, divide, exp} (arg1 to the power arg2) and {@code greater}
 *       ("yes" when arg1 &gt; arg2, else "no") take numbers, {@code #k} references or constants
 *       ({@code const_100}, {@code const_m1} = -1; see {@link FinQaNumbers#argument}).
 *   <li>{@code table_max, table_min, table_sum, table_average} take a row name as arg1 (arg2, usually
 *       {@code none}, is ignored) and reduce every cell of that row after the first (the row name);
 *       the row is looked up by exact name, the last row of that name winning as in the official
 *       dictionary. As in the official code, a row with any non-numeric cell is an error, not
 *       averaged over its numeric cells.
 *   <li>Only the final result is rounded, to 5 decimals (half-even on the exact binary value, as
 *       Python's {@code round}).
 * </ul>
 *
 * <p>Errors the official script catches with a bare {@code except} (and scores as wrong) throw
 * {@link FinQaProgramException} here: division by zero, a non-finite result, a yes/no used as a
 * number, references to the current or a later step. One deliberate difference: the official
 * tokenizer splits on {@code ", "} and {@code "("}, so it rejects row names containing parentheses
 * or ", " (common in FinQA tables: {@code "net income ( loss )"}); this parser matches parentheses
 * and splits a table operation's arguments at the last comma, so such rows work.
 */
public record FinQaProgram(List<Step> steps) {

  /** The ten FinQA operations. */
  public enum Operation {
    ADD, SUBTRACT, MULTIPLY, DIVIDE, EXP, GREATER, TABLE_MAX, TABLE_MIN, TABLE_SUM, TABLE_AVERAGE;

    /** The name used in programs, e.g. "table_max". */
    public String programName() {
      return name().toLowerCase();
    }

    /** Whether the operation reduces a table row rather than combining two numbers. */
    public boolean isTable() {
      return programName().startsWith("table_");
    }

    /** The operation called {@code name} in programs, or null. */
    static Operation byName(String name) {
      for (Operation op : values()) {
        if (op.programName().equals(name)) {
          return op;
        }
      }
      return null;
    }
  }

  /** One step: an operation and its two arguments as written. */
  public record Step(Operation op, String arg1, String arg2) {
    @Override
    public String toString() {
      return op.programName() + "(" + arg1 + ", " + arg2 + ")";
    }
  }

  private static final Pattern OP_NAME = Pattern.compile("\\s*([A-Za-z_]+)\\s*\\(");
  private static final Pattern STEP_REF = Pattern.compile("#(\\d+)");
  private static final Pattern ARG_SEPARATOR = Pattern.compile(",\\s+");

  /** Copies the steps; a program has at least one. */
  public FinQaProgram {
    steps = List.copyOf(steps);
    if (steps.isEmpty()) {
      throw new FinQaProgramException("empty program");
    }
  }

  /**
   * Parses a program string.
   *
   * @throws FinQaProgramException describing the first syntax problem and the step it is in
   */
  public static FinQaProgram parse(String program) {
    List<Step> steps = new ArrayList<>();
    int pos = 0;
    while (true) {
      int stepNo = steps.size();
      Matcher name = OP_NAME.matcher(program).region(pos, program.length());
      if (!name.lookingAt()) {
        String rest = program.substring(pos).trim();
        throw new FinQaProgramException(
            rest.isEmpty() && stepNo == 0
                ? "empty program"
                : "step " + stepNo + ": expected 'operation(' but found '" + abbreviate(rest) + "'");
      }
      Operation op = Operation.byName(name.group(1));
      if (op == null) {
        throw new FinQaProgramException("step " + stepNo + ": unknown operation '" + name.group(1) + "'");
      }
      int open = name.end() - 1;
      int close = matchingParenthesis(program, open);
      if (close < 0) {
        throw new FinQaProgramException("step " + stepNo + " (" + op.programName() + "): missing ')'");
      }
      steps.add(splitArguments(op, program.substring(open + 1, close), stepNo));
      pos = close + 1;
      while (pos < program.length() && Character.isWhitespace(program.charAt(pos))) {
        pos++;
      }
      if (pos == program.length()) {
        return new FinQaProgram(steps);
      }
      if (program.charAt(pos) != ',') {
        throw new FinQaProgramException(
            "after step " + stepNo + ": expected ',' or the end but found '" + abbreviate(program.substring(pos)) + "'");
      }
      pos++;
    }
  }

  /**
   * Executes the program over a FinQA table (first row the header, first cell of each row its name).
   *
   * @return the final step's value, rounded to 5 decimals when numeric
   * @throws FinQaProgramException when a step cannot be executed
   */
  public FinQaValue execute(List<List<String>> table) {
    List<FinQaValue> results = executeSteps(table);
    FinQaValue last = results.get(results.size() - 1);
    return last instanceof FinQaValue.Numeric n ? new FinQaValue.Numeric(round5(n.value())) : last;
  }

  /**
   * Executes the program and returns every step's value, unrounded (the official scorer rounds
   * only the final value; see {@link #execute}).
   *
   * @throws FinQaProgramException when a step cannot be executed
   */
  public List<FinQaValue> executeSteps(List<List<String>> table) {
    List<FinQaValue> results = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      results.add(executeStep(i, steps.get(i), results, table));
    }
    return results;
  }

  /** Parses and executes {@code program} over {@code table}. */
  public static FinQaValue run(String program, List<List<String>> table) {
    return parse(program).execute(table);
  }

  /**
   * The program in FinQA's nested form ({@code program_re}): each {@code #k} replaced by step k, e.g.
   * {@code "divide(subtract(5829, 5735), 5735)"}.
   */
  public String nested() {
    List<String> rendered = new ArrayList<>();
    for (Step step : steps) {
      rendered.add(
          step.op().programName() + "(" + inline(step.arg1(), rendered) + ", " + inline(step.arg2(), rendered) + ")");
    }
    return rendered.get(rendered.size() - 1);
  }

  /** The program in FinQA's flat form, steps joined by ", ". */
  @Override
  public String toString() {
    return steps.stream().map(Step::toString).collect(Collectors.joining(", "));
  }

  /** Rounds to 5 decimals like Python's {@code round(x, 5)}: half-even on the exact binary value. */
  public static double round5(double value) {
    if (!Double.isFinite(value)) {
      return value;
    }
    return new BigDecimal(value).setScale(5, RoundingMode.HALF_EVEN).doubleValue();
  }

  private static String inline(String arg, List<String> rendered) {
    Matcher ref = STEP_REF.matcher(arg.trim());
    if (ref.matches()) {
      int k = Integer.parseInt(ref.group(1));
      if (k < rendered.size()) {
        return rendered.get(k);
      }
    }
    return arg;
  }

  private static FinQaValue executeStep(int i, Step step, List<FinQaValue> results, List<List<String>> table) {
    String where = "step " + i + " (" + step + ")";
    if (step.op().isTable()) {
      return new FinQaValue.Numeric(reduceRow(where, step, table));
    }
    double a = operand(where, step.arg1(), i, results);
    double b = operand(where, step.arg2(), i, results);
    double result;
    switch (step.op()) {
      case ADD -> result = a + b;
      case SUBTRACT -> result = a - b;
      case MULTIPLY -> result = a * b;
      case DIVIDE -> {
        if (b == 0) {
          throw new FinQaProgramException(where + ": division by zero");
        }
        result = a / b;
      }
      case EXP -> result = Math.pow(a, b);
      case GREATER -> {
        return new FinQaValue.YesNo(a > b);
      }
      default -> throw new IllegalStateException("not an arithmetic operation: " + step.op());
    }
    if (!Double.isFinite(result)) {
      throw new FinQaProgramException(where + ": result is not a finite number (" + result + ")");
    }
    return new FinQaValue.Numeric(result);
  }

  private static double operand(String where, String arg, int i, List<FinQaValue> results) {
    String text = arg.trim();
    Matcher ref = STEP_REF.matcher(text);
    if (ref.matches()) {
      int k = Integer.parseInt(ref.group(1));
      if (k >= i) {
        throw new FinQaProgramException(where + ": " + text + " does not refer to an earlier step");
      }
      if (!(results.get(k) instanceof FinQaValue.Numeric n)) {
        throw new FinQaProgramException(where + ": " + text + " is " + results.get(k).text() + ", not a number");
      }
      return n.value();
    }
    OptionalDouble value = FinQaNumbers.argument(text);
    if (value.isEmpty()) {
      throw new FinQaProgramException(where + ": '" + text + "' is not a number, step reference or constant");
    }
    return value.getAsDouble();
  }

  private static double reduceRow(String where, Step step, List<List<String>> table) {
    String rowName = step.arg1().trim();
    if (STEP_REF.matcher(rowName).matches()) {
      throw new FinQaProgramException(where + ": " + step.op().programName() + " needs a row name, not a step reference");
    }
    Map<String, List<String>> rows = new HashMap<>();
    for (List<String> row : table) {
      if (!row.isEmpty()) {
        rows.put(row.get(0), row.subList(1, row.size())); // later rows of the same name win
      }
    }
    List<String> cells = rows.get(rowName);
    if (cells == null) {
      throw new FinQaProgramException(where + ": the table has no row named '" + rowName + "'");
    }
    if (cells.isEmpty()) {
      throw new FinQaProgramException(where + ": row '" + rowName + "' has no cells");
    }
    double[] values = new double[cells.size()];
    for (int c = 0; c < cells.size(); c++) {
      OptionalDouble v = FinQaNumbers.cell(cells.get(c));
      if (v.isEmpty()) {
        throw new FinQaProgramException(
            where + ": row '" + rowName + "' has a non-numeric cell '" + cells.get(c) + "'");
      }
      values[c] = v.getAsDouble();
    }
    double sum = 0;
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (double v : values) {
      sum += v;
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    return switch (step.op()) {
      case TABLE_MAX -> max;
      case TABLE_MIN -> min;
      case TABLE_SUM -> sum;
      case TABLE_AVERAGE -> sum / values.length;
      default -> throw new IllegalStateException("not a table operation: " + step.op());
    };
  }

  private static Step splitArguments(Operation op, String args, int stepNo) {
    String where = "step " + stepNo + " (" + op.programName() + ")";
    String arg1;
    String arg2;
    if (op.isTable()) {
      // the row name may itself contain ", ": split at the last separator
      Matcher sep = ARG_SEPARATOR.matcher(args);
      int start = -1;
      int end = -1;
      while (sep.find()) {
        start = sep.start();
        end = sep.end();
      }
      if (start < 0) {
        throw new FinQaProgramException(where + ": expected 2 arguments separated by ', ' in '" + args + "'");
      }
      arg1 = args.substring(0, start);
      arg2 = args.substring(end);
    } else {
      String[] parts = ARG_SEPARATOR.split(args, -1);
      if (parts.length != 2) {
        throw new FinQaProgramException(
            where + ": expected 2 arguments separated by ', ' but found " + parts.length + " in '" + args + "'");
      }
      arg1 = parts[0];
      arg2 = parts[1];
    }
    arg1 = arg1.trim();
    arg2 = arg2.trim();
    if (arg1.isEmpty() || arg2.isEmpty()) {
      throw new FinQaProgramException(where + ": empty argument in '" + args + "'");
    }
    return new Step(op, arg1, arg2);
  }

  private static int matchingParenthesis(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
