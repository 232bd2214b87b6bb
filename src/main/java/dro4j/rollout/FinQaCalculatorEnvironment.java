package dro4j.rollout;

import dro4j.data.Example;
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
 * the episode ends (reward 1 when the answer's last number matches the reference within FinQA's
 * 5-decimal rounding, else 0; the configured rewards, such as {@code finqa_match}, score it too).
 * Bundled as {@code environment: finqa_calculator}.
 */
public final class FinQaCalculatorEnvironment implements Environment {
  private static final String[] OPERATIONS = {"add", "subtract", "multiply", "divide", "exp", "greater"};
  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?\\d+(?:\\.\\d+)?");

  private String reference = "";

  @Override
  public String reset(Example example) {
    reference = example.reference();
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
    java.util.regex.Matcher m = NUMBER.matcher(action.replace(",", ""));
    String last = null;
    while (m.find()) last = m.group();
    double reward = 0;
    java.util.regex.Matcher ref = NUMBER.matcher(reference.replace(",", ""));
    if (last != null && ref.find()) {
      reward = FinQaProgram.round5(Double.parseDouble(last)) == FinQaProgram.round5(Double.parseDouble(ref.group())) ? 1 : 0;
    } else if (reference.trim().equalsIgnoreCase(action.trim())) {
      reward = 1;
    }
    return StepResult.done("", reward);
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
