package dro4j.rollout;

import dro4j.data.Example;
import dro4j.data.finqa.FinQaProgram;
import dro4j.data.finqa.FinQaRecord;
import dro4j.data.finqa.FinQaSftData;
import dro4j.data.finqa.SyntheticFinQa;
import dro4j.text.ChatMessage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tool-use conversations for the warm start of {@code environment: finqa_calculator} ({@code dro4j
 * synthetic-finqa --format finqa-tools}): what a policy that solves a FinQA question with the
 * calculator says, turn by turn. The first user turn is the environment's own first observation
 * ({@link FinQaCalculatorEnvironment#reset}); each step of the gold program is one assistant turn with
 * one tool call (operands from the program, a previous step's result as the calculator returned it),
 * answered by a {@code tool} turn holding the calculator's result; the last assistant turn is the
 * final result alone. A table operation is one call naming the row ({@code {"row": "net revenue"}});
 * {@code const_N} is N.
 *
 * <p>With a {@code directShare} &gt; 0 ({@code --direct-share}) that share of the conversations answers
 * without the calculator: one assistant turn with the reasoning and the final number, as a model that
 * has seen the tools but does not rely on them yet. Which ones is drawn per example from (seed, index),
 * so example i of a seed is the same whatever the count. A warm start on such a mix calls the tools on
 * some questions only, which leaves GRPO something it can learn on any question: that calling pays.
 *
 * <p>With a {@code malformedShare} &gt; 0 ({@code --malformed-call-share}) that share of the conversations
 * that call the calculator first writes one of its calls malformed ({@link #malformedCallText}), gets
 * the environment's error for it as the tool turn, and then writes the same call well-formed: the slips
 * and their corrections that tool-use SFT data distilled from a larger model holds. A warm start on such
 * data copies as well as one on clean data but makes malformed calls some of the time, which GRPO can
 * learn to avoid. Which conversations, which of their calls and which slip are drawn per example from
 * (seed, index), apart from the direct-answer draw.
 *
 * <p>Each example keeps the FinQA fields and metadata of {@link FinQaRecord#toExample}, {@code prompt}
 * (the first observation), the final answer as reference, {@code messages} (TRL's conversational
 * format, assistant tool calls as {@code tool_calls}) and {@code tools} (the calculator's JSON schemas):
 * what {@code sft} with {@code assistant_only_loss} trains on.
 */
public final class FinQaToolUseData {
  private FinQaToolUseData() {}

  /** The conversations of {@link SyntheticFinQa#generate}{@code (seed, count, settings)}, without reasoning. */
  public static List<Example> synthetic(long seed, int count, SyntheticFinQa.Settings settings) {
    return synthetic(seed, count, settings, false);
  }

  /**
   * The conversations of {@link SyntheticFinQa#generate}{@code (seed, count, settings)}.
   *
   * @param reasoning start the first assistant turn with finqa-tiny's own reasoning, {@code <think>} the
   *     cells the program reads and its steps {@code </think>} ({@link FinQaSftData#completion} without
   *     the program), before its tool call
   */
  public static List<Example> synthetic(long seed, int count, SyntheticFinQa.Settings settings, boolean reasoning) {
    return synthetic(seed, count, settings, reasoning, 0);
  }

  /**
   * The conversations of {@link SyntheticFinQa#generate}{@code (seed, count, settings)}, {@code
   * directShare} of them answering without the calculator ({@link #directExample}).
   *
   * @param directShare in [0, 1]: the probability that an example answers directly, drawn per example
   *     from (seed, index)
   */
  public static List<Example> synthetic(long seed, int count, SyntheticFinQa.Settings settings, boolean reasoning,
      double directShare) {
    return synthetic(seed, count, settings, reasoning, directShare, 0);
  }

  /**
   * The conversations of {@link SyntheticFinQa#generate}{@code (seed, count, settings)}, {@code
   * directShare} of them answering without the calculator ({@link #directExample}) and {@code
   * malformedShare} of the others with one call first written malformed, then corrected.
   *
   * @param directShare in [0, 1]: the probability that an example answers directly, drawn per example
   *     from (seed, index)
   * @param malformedShare in [0, 1]: the probability that a conversation with calls has one slip, drawn per
   *     example from (seed, index) on a stream of its own
   */
  public static List<Example> synthetic(long seed, int count, SyntheticFinQa.Settings settings, boolean reasoning,
      double directShare, double malformedShare) {
    if (!(directShare >= 0 && directShare <= 1)) {
      throw new IllegalArgumentException("the direct-answer share must be in [0, 1], got " + directShare);
    }
    if (!(malformedShare >= 0 && malformedShare <= 1)) {
      throw new IllegalArgumentException("the malformed-call share must be in [0, 1], got " + malformedShare);
    }
    List<Example> out = new ArrayList<>(count);
    List<FinQaRecord> records = SyntheticFinQa.generate(seed, count, settings);
    for (int i = 0; i < records.size(); i++) {
      // its own stream per (seed, index), apart from the generator's (SplittableRandom mixes its seed)
      boolean direct = directShare > 0
          && new java.util.SplittableRandom(~seed * 0x9E3779B97F4A7C15L + i).nextDouble() < directShare;
      if (direct) {
        out.add(directExample(records.get(i)));
        continue;
      }
      java.util.SplittableRandom slips = new java.util.SplittableRandom((seed ^ 0x6A09E667F3BCC909L) * 0xBF58476D1CE4E5B9L + i);
      int slipAt = -1;
      int slipKind = 0;
      if (malformedShare > 0 && slips.nextDouble() < malformedShare) {
        slipAt = slips.nextInt(calls(records.get(i)).size());
        slipKind = slips.nextInt(MALFORMED_KINDS);
      }
      out.add(example(records.get(i), reasoning, slipAt, slipKind));
    }
    return out;
  }

  /** How many kinds of slip {@link #malformedCallText} writes. */
  static final int MALFORMED_KINDS = 3;

  /**
   * A call written with one of the slips small models make (by {@code kind}): the JSON object's last brace
   * left out, the arguments as a list of the values, or the closing tag left out. The text is laid out as
   * {@link ConversationTokens} writes a well-formed call, so that only the slip differs, and {@link
   * ToolCallParser#hermes()} reads each as malformed.
   */
  static String malformedCallText(String name, Map<String, Object> arguments, int kind) {
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("name", name);
    call.put("arguments", arguments);
    String good = ConversationTokens.rawText(new ChatMessage("assistant", "", Map.of("tool_calls", List.of(call))), "a slip");
    String body = good.substring("<tool_call>".length(), good.length() - "</tool_call>".length());
    String head = body.substring(0, body.indexOf("\"arguments\":") + "\"arguments\":".length());
    List<String> values = new ArrayList<>();
    for (Object v : arguments.values()) values.add(v instanceof String t ? "\"" + t + "\"" : String.valueOf(v));
    return switch (kind) {
      case 0 -> "<tool_call>" + body.substring(0, body.length() - 1) + "</tool_call>";
      case 1 -> "<tool_call>" + head + "[" + String.join(",", values) + "]}</tool_call>";
      case 2 -> "<tool_call>" + body;
      default -> throw new IllegalArgumentException("no slip of kind " + kind);
    };
  }

  /**
   * The conversation of one record answered without the calculator: the environment's first observation,
   * then one assistant turn with finqa-tiny's reasoning ({@code <think>} the cells and steps {@code
   * </think>}) and the final number as the calculator would have printed it.
   */
  public static Example directExample(FinQaRecord record) {
    Example withTools = example(record, true);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> messages = (List<Map<String, Object>>) withTools.metadata().get("messages");
    String think = String.valueOf(messages.get(1).get("content"));
    List<Map<String, Object>> direct = new ArrayList<>();
    direct.add(messages.get(0));
    direct.add(message("assistant", think + " " + withTools.reference()));
    Map<String, Object> metadata = new LinkedHashMap<>(withTools.metadata());
    metadata.put("messages", direct);
    return new Example(withTools.id(), withTools.fields(), withTools.reference(), metadata);
  }

  /** The conversation of one record (see {@link #synthetic(long, int, SyntheticFinQa.Settings, boolean)}). */
  public static Example example(FinQaRecord record, boolean reasoning) {
    return example(record, reasoning, -1, 0);
  }

  /** The conversation of one record, call {@code slipAt} (-1: none) first written with slip {@code slipKind}. */
  private static Example example(FinQaRecord record, boolean reasoning, int slipAt, int slipKind) {
    Example base = record.toExample();
    FinQaCalculatorEnvironment env = new FinQaCalculatorEnvironment();
    String first = env.reset(base);
    List<Map<String, Object>> messages = new ArrayList<>();
    messages.add(message("user", first));
    List<String> results = new ArrayList<>();
    for (String[] call : calls(record)) {
      Map<String, Object> args = new LinkedHashMap<>();
      String result;
      if (call.length == 2) {
        args.put("row", call[1]);
        result = FinQaCalculatorEnvironment.calculateOverRow(call[0], args, record.table());
      } else {
        args.put("a", number(operand(call[1], results)));
        args.put("b", number(operand(call[2], results)));
        result = FinQaCalculatorEnvironment.calculate(call[0], args);
      }
      Map<String, Object> fn = new LinkedHashMap<>();
      fn.put("name", call[0]);
      fn.put("arguments", args);
      Map<String, Object> toolCall = new LinkedHashMap<>();
      toolCall.put("type", "function");
      toolCall.put("function", fn);
      String think = "";
      if (reasoning && results.isEmpty()) {
        String c = FinQaSftData.completion(record);
        think = c.substring(0, c.indexOf("</think>") + "</think>".length());
      }
      if (results.size() == slipAt) {
        String slip = malformedCallText(call[0], args, slipKind);
        messages.add(message("assistant", think.isEmpty() ? slip : think + " " + slip));
        ToolCall parsed = ToolCallParser.hermes().parse(slip).calls().get(0);
        messages.add(message("tool", TrajectoryRollout.malformedCallResult(parsed)));
        think = "";
      }
      Map<String, Object> assistant = message("assistant", think);
      assistant.put("tool_calls", List.of(toolCall));
      messages.add(assistant);
      Map<String, Object> tool = message("tool", result);
      tool.put("name", call[0]);
      messages.add(tool);
      results.add(result);
    }
    String answer = results.get(results.size() - 1);
    messages.add(message("assistant", answer));
    Map<String, String> fields = new LinkedHashMap<>(base.fields());
    fields.put("prompt", first);
    Map<String, Object> metadata = new LinkedHashMap<>(base.metadata());
    metadata.put("messages", messages);
    List<Map<String, Object>> tools = new ArrayList<>();
    for (Tool t : env.tools()) tools.add(t.schema());
    metadata.put("tools", tools);
    return new Example(base.id(), fields, answer, metadata);
  }

  /** The program as calculator calls: {op, a, b} (operands are numbers, constants or {@code #k}) or {op, row}. */
  static List<String[]> calls(FinQaRecord record) {
    FinQaProgram program = FinQaProgram.parse(record.program());
    List<String[]> out = new ArrayList<>();
    List<String> stepResult = new ArrayList<>(); // #k of the program -> #j of the calls
    for (FinQaProgram.Step s : program.steps()) {
      if (s.op().isTable()) {
        out.add(new String[] {s.op().programName(), s.arg1().trim()});
      } else {
        out.add(new String[] {s.op().programName(), step(s.arg1(), stepResult), step(s.arg2(), stepResult)});
      }
      stepResult.add("#" + (out.size() - 1));
    }
    return out;
  }

  private static String step(String arg, List<String> stepResult) {
    String a = arg.trim();
    if (a.startsWith("#")) return stepResult.get(Integer.parseInt(a.substring(1)));
    if (a.startsWith("const_")) return a.substring("const_".length()).replace("m1", "-1");
    return a;
  }

  private static String operand(String arg, List<String> results) {
    return arg.startsWith("#") ? results.get(Integer.parseInt(arg.substring(1))) : arg;
  }

  /** A number as written (no exponent, no trailing ".0"), so the call's JSON shows the digits the model copies. */
  private static BigDecimal number(String text) {
    return new BigDecimal(text.replace(",", "").replace("$", "").replace("%", "").trim());
  }

  private static Map<String, Object> message(String role, String content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }
}
