package dro4j.data.finqa;

import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Supervised examples for a model that answers FinQA questions the way FinQA's own models do: a short
 * reasoning inside {@code <think>...</think>} that names the table cells it uses and the steps, then the
 * FinQA program ({@code subtract(5829, 5735), divide(#0, 5735)}), which dro4j executes and scores
 * ({@link FinQaAnswers}). A tiny model cannot do multi-digit arithmetic token by token, but it can
 * copy cells.
 *
 * <p>Each example keeps every field of {@link FinQaRecord#toExample} (so the {@code finqa} template can
 * render it again), adds {@code prompt}: the {@code finqa} template's rendering, the prompt SFT trains on
 * and evaluation uses; its {@code reference} is the completion. Its metadata keeps FinQA's gold values
 * and {@code messages}, the conversation as a list of turns ({@code [{"role": "user", "content":
 * prompt}, {"role": "assistant", "content": completion}]}), so that tool-call turns can be added later
 * (an assistant turn with {@code tool_calls}, then a {@code tool} turn) without changing the format.
 */
public final class FinQaSftData {
  /** Metadata key of the conversation turns. */
  public static final String MESSAGES = "messages";

  private FinQaSftData() {}

  /** SFT examples of {@link SyntheticFinQa#generate}{@code (seed, count, settings)}. */
  public static List<Example> synthetic(long seed, int count, SyntheticFinQa.Settings settings) {
    List<Example> out = new ArrayList<>(count);
    for (FinQaRecord r : SyntheticFinQa.generate(seed, count, settings)) {
      out.add(example(r));
    }
    return out;
  }

  /** The SFT example of one record whose program uses only numbers, steps, constants and row names. */
  public static Example example(FinQaRecord record) {
    Example base = record.toExample();
    String prompt = PromptTemplates.FINQA.userText(base);
    String completion = completion(record);
    Map<String, String> fields = new LinkedHashMap<>(base.fields());
    fields.put("prompt", prompt);
    Map<String, Object> metadata = new LinkedHashMap<>(base.metadata());
    List<Map<String, Object>> messages = new ArrayList<>();
    messages.add(turn("user", prompt));
    messages.add(turn("assistant", completion));
    metadata.put(MESSAGES, messages);
    return new Example(base.id(), fields, completion, metadata);
  }

  private static Map<String, Object> turn(String role, String content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  /**
   * The completion: {@code <think>} the cells the program reads (as FinQA's supporting facts word them:
   * "the net revenue of 2019 is 5829 .") and one clause per step {@code </think>} the program.
   */
  public static String completion(FinQaRecord record) {
    FinQaProgram program = FinQaProgram.parse(record.program());
    List<List<String>> table = record.table();
    StringBuilder think = new StringBuilder("<think>");
    List<String> named = new ArrayList<>();
    for (FinQaProgram.Step step : program.steps()) {
      if (step.op().isTable()) {
        if (named.add(step.arg1())) {
          think.append(" the ").append(step.arg1()).append(" row is ").append(String.join(" , ", rowValues(table, step.arg1())))
              .append(" .");
        }
        continue;
      }
      for (String arg : List.of(step.arg1(), step.arg2())) {
        String cell = cellName(table, arg);
        if (cell != null && !named.contains(arg)) {
          named.add(arg);
          think.append(" the ").append(cell).append(" is ").append(arg).append(" .");
        }
      }
    }
    List<String> clauses = new ArrayList<>();
    for (FinQaProgram.Step step : program.steps()) {
      clauses.add(clause(step));
    }
    think.append(' ').append(String.join(" , then ", clauses)).append(" . </think> ");
    return think + record.program();
  }

  private static String clause(FinQaProgram.Step s) {
    String a = operand(s.arg1());
    String b = operand(s.arg2());
    return switch (s.op()) {
      case ADD -> "add " + a + " and " + b;
      case SUBTRACT -> "subtract " + b + " from " + a;
      case MULTIPLY -> "multiply " + a + " by " + b;
      case DIVIDE -> "divide " + a + " by " + b;
      case EXP -> "raise " + a + " to the power " + b;
      case GREATER -> "compare " + a + " with " + b;
      default -> s.op().programName().substring("table_".length()) + " the " + s.arg1() + " row";
    };
  }

  private static String operand(String arg) {
    if (arg.startsWith("#")) return "the result";
    if (arg.startsWith("const_")) return arg.substring("const_".length()).replace("m1", "-1");
    return arg;
  }

  /** "net revenue of 2019" for the cell whose value is {@code number}, or null when no cell holds it. */
  static String cellName(List<List<String>> table, String number) {
    if (table.isEmpty()) return null;
    List<String> header = table.get(0);
    for (int r = 1; r < table.size(); r++) {
      List<String> row = table.get(r);
      for (int c = 1; c < row.size(); c++) {
        if (plain(row.get(c)).equals(number)) {
          String column = c < header.size() ? header.get(c).trim() : "";
          return row.get(0).toLowerCase(Locale.ROOT) + (column.isEmpty() ? "" : " of " + column);
        }
      }
    }
    return null;
  }

  private static List<String> rowValues(List<List<String>> table, String label) {
    for (List<String> row : table) {
      if (!row.isEmpty() && row.get(0).equalsIgnoreCase(label)) {
        return row.subList(1, row.size()).stream().map(FinQaSftData::plain).toList();
      }
    }
    return List.of();
  }

  /** A cell without its currency mark: "$ 5829" gives "5829". */
  private static String plain(String cell) {
    return cell.replace("$", "").trim();
  }
}
