package dro4j.rollout;

import dro4j.data.Example;
import dro4j.data.finqa.FinQaAnswers;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.finqa.FinQaProgram;
import dro4j.data.finqa.FinQaValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FinQA with a calculator: the question (with its text and table, as the example's {@code question}
 * field, or {@code pre_text}/{@code table}/{@code post_text} fields when present) is the first
 * observation, and the policy may call the six operations of FinQA's program language, {@code add},
 * {@code subtract}, {@code multiply}, {@code divide}, {@code exp} and {@code greater}, each executed by
 * {@link FinQaProgram} exactly as a gold program step. A turn without a tool call is the final answer:
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
  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?\\d+(?:\\.\\d+)?");

  private String reference = "";
  private FinQaValue gold;

  @Override
  public String reset(Example example) {
    reference = example.reference();
    gold = example.metadata().get("exe_ans") != null ? FinQaMetrics.gold(example) : null;
    StringBuilder s = new StringBuilder();
    for (String key : List.of("pre_text", "table", "post_text")) {
      String v = example.fields().get(key);
      if (v != null && !v.isBlank()) s.append(v).append("\n");
    }
    String q = example.fields().getOrDefault("question", "");
    s.append(q);
    s.append("\nUse the calculator tools for arithmetic, then reply with the answer only.");
    return s.toString();
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
}
