package dro4j.rollout;

import dro4j.data.Example;
import dro4j.data.finqa.FinQaAnswers;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.finqa.FinQaProgram;
import dro4j.data.finqa.FinQaValue;
import dro4j.data.prompt.PromptTemplates;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FinQA with a calculator: the first observation is the {@code finqa} task's prompt (the text
 * before the table, the table, the text after it and the question: {@link PromptTemplates#FINQA})
 * after one sentence asking for the calculator, and the policy may call the ten operations of FinQA's
 * program language: {@code add}, {@code subtract}, {@code multiply}, {@code divide}, {@code exp} and
 * {@code greater} on two numbers, {@code table_sum}, {@code table_average}, {@code table_max} and
 * {@code table_min} on a row of the example's table named by {@code row}; each is executed by
 * {@link FinQaProgram} exactly as a gold program step. The table operations spare a small model copying
 * every cell's digits, which bundled finqa-tiny rarely gets right (its FinQA answers are right mostly
 * where its program names a row instead). A turn without a tool call is the final answer:
 * the episode ends with reward 1 when the answer's last number is right by DRO's FinQA metric (within 2%
 * of the gold {@code exe_ans}, at the scale written, /100 or x100: {@link FinQaAnswers#correct}, the
 * rule of the {@code finqa} tasks and the {@code finqa_match} reward), else 0; an example without {@code exe_ans}
 * is compared with its reference as a number. The tolerance matters for chained calls: the calculator
 * rounds each result to 5 decimals, so a chain can differ from the gold program's unrounded chain in
 * the last digits. The configured rewards, such as {@code finqa_match}, score the final turn too.
 * Bundled as {@code environment: finqa_calculator}; {@link FinQaToolUseData} writes the conversations
 * that warm-start a model for it.
 */
public final class FinQaCalculatorEnvironment implements Environment {
  private static final String[] OPERATIONS = {"add", "subtract", "multiply", "divide", "exp", "greater"};
  private static final String[] TABLE_OPERATIONS = {"table_sum", "table_average", "table_max", "table_min"};
  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?\\d+(?:\\.\\d+)?");

  /**
   * Put before the {@code finqa} prompt's own text, so that the question ends the observation exactly
   * as in the {@code finqa} task: a model that learnt FinQA there (bundled finqa-tiny) reads the table
   * in the context it learnt to copy cells from.
   */
  static final String INSTRUCTION = "Use the calculator tools for arithmetic, then reply with the answer only. ";

  private String reference = "";
  private FinQaValue gold;
  private List<List<String>> table = List.of();

  @Override
  public String reset(Example example) {
    reference = example.reference();
    gold = example.metadata().get("exe_ans") != null ? FinQaMetrics.gold(example) : null;
    table = FinQaAnswers.table(example);
    return INSTRUCTION + PromptTemplates.FINQA.userText(example);
  }

  @Override
  public StepResult step(String action) {
    return StepResult.done("", correct(action) ? 1 : 0);
  }

  /** Whether {@code answer}'s last number (or yes/no) is the episode's gold answer by DRO's metric. */
  boolean correct(String answer) {
    java.util.regex.Matcher m = NUMBER.matcher(answer.replace(",", ""));
    String last = null;
    while (m.find()) last = m.group();
    FinQaValue g = gold;
    if (g == null) {
      java.util.regex.Matcher ref = NUMBER.matcher(reference.replace(",", ""));
      if (!ref.find()) return reference.trim().equalsIgnoreCase(answer.trim());
      g = new FinQaValue.Numeric(Double.parseDouble(ref.group()));
    }
    if (g instanceof FinQaValue.YesNo) return FinQaAnswers.correct(answer, g);
    return last != null && FinQaAnswers.correct(last, g);
  }

  @Override
  public List<Tool> tools() {
    Map<String, Object> number = Map.of("type", "number", "description", "an operand");
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("a", number);
    args.put("b", number);
    List<Tool> tools = new java.util.ArrayList<>();
    for (String op : OPERATIONS) {
      tools.add(Tool.of(op, "FinQA's " + op + "(a, b).", args, a -> calculate(op, a)));
    }
    Map<String, Object> row = Map.of("row", Map.of("type", "string", "description", "the name of a table row"));
    for (String op : TABLE_OPERATIONS) {
      // read the episode's table when called: tools() may be asked for before reset
      tools.add(Tool.of(op, "FinQA's " + op + "(row, none): over the cells of a row of the table.", row,
          a -> calculateOverRow(op, a, table)));
    }
    return tools;
  }

  /** Executes {@code op(a, b)} as a one-step FinQA program. */
  static String calculate(String op, Map<String, Object> arguments) {
    Object a = arguments.get("a");
    Object b = arguments.get("b");
    if (a == null || b == null) throw new IllegalArgumentException(op + " needs arguments a and b");
    FinQaValue v = FinQaProgram.run(op + "(" + a + ", " + b + ")", List.of());
    return v.text();
  }

  /** Executes the table operation {@code op(row, none)} over {@code table} as a one-step FinQA program. */
  static String calculateOverRow(String op, Map<String, Object> arguments, List<List<String>> table) {
    if (!(arguments.get("row") instanceof String row) || row.isBlank()) {
      throw new IllegalArgumentException(op + " needs argument row, the name of a table row");
    }
    return FinQaProgram.run(op + "(" + row.trim() + ", none)", table).text();
  }
}
