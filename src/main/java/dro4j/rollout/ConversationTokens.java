package dro4j.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import dro4j.text.Tokenizer;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished conversation (system and user turns, assistant turns that may call tools, tool results)
 * laid out as the tokens {@link TrajectoryRollout} would have produced for it, with the mask of the
 * tokens the policy writes: the supervised warm start for tool use ({@code assistant_only_loss} of
 * {@code dro4j sft}) trains on exactly the sequence that GRPO later samples and continues.
 *
 * <p>As in the rollout: the prompt is the conversation up to the first assistant turn rendered with the
 * generation prompt (the model's chat template, or the plain {@code User:/Assistant:/Tool:} format of a
 * model without one); each assistant turn is its text as the template places it after the generation
 * prompt, then the EOS token that ends the template's assistant turn (the first EOS when the template
 * writes none; mask 1); the turns that follow it up to the next assistant
 * turn are appended as the template's delta ({@link TemplateDelta}, mask 0). An assistant message's
 * {@code tool_calls} (TRL's {@code {"type": "function", "function": {"name", "arguments"}}} or plain
 * {@code {"name", "arguments"}}) are written in the model's format after its content and a space: {@code
 * <tool_call>{"name":"add","arguments":{"a":1,"b":2}}</tool_call>} with the rollout's default (Hermes)
 * tags.
 */
public final class ConversationTokens {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPEN = "<tool_call>";
  private static final String CLOSE = "</tool_call>";

  private ConversationTokens() {}

  /**
   * The tokens of one conversation and which of them the policy wrote.
   *
   * @param ids every token, prompt first
   * @param policy per token: true for a token of an assistant turn (its EOS included)
   * @param promptLength tokens of the first prompt
   */
  public record Encoded(int[] ids, boolean[] policy, int promptLength) {}

  /**
   * Lays out {@code messages} for {@code model}.
   *
   * @param tools the tools' JSON schemas, passed to the template as {@code tools} when not empty
   * @param variables further template variables ({@code chat_template_kwargs})
   * @param where names the example in errors
   * @throws BadInputException when the conversation has no user turn before its first assistant turn,
   *     does not end with an assistant turn, or the template cannot append a turn
   */
  public static Encoded encode(LanguageModel model, List<ChatMessage> messages, List<Map<String, Object>> tools,
      Map<String, Object> variables, String where) {
    Tokenizer tokenizer = model.tokenizer();
    ChatTemplate template = tokenizer.hasChatTemplate() ? model.chatTemplate() : TrajectoryRollout.plainTemplate();
    Map<String, Object> vars = new LinkedHashMap<>(variables == null ? Map.of() : variables);
    if (tools != null && !tools.isEmpty()) vars.put("tools", tools);
    TemplateDelta delta = new TemplateDelta(template, vars);
    List<Integer> eos = model.eosTokenIds();
    if (eos.isEmpty()) throw new BadInputException(where + ": the model has no EOS token to end a turn with");
    ToolCallParser parser = ToolCallParser.hermes();

    int first = 0;
    while (first < messages.size() && !messages.get(first).role().equals("assistant")) first++;
    if (first == 0 || first == messages.size()) {
      throw new BadInputException(where + ": a tool-use conversation needs user turns and then assistant turns");
    }
    if (!messages.get(messages.size() - 1).role().equals("assistant")) {
      throw new BadInputException(where + ": the conversation must end with an assistant turn (the final answer)");
    }
    List<ChatMessage> conversation = new ArrayList<>(messages.subList(0, first));
    int[] prompt = tokenizer.encode(delta.prompt(conversation), false);
    Builder out = new Builder();
    out.add(prompt, false);
    int i = first;
    while (i < messages.size()) {
      ChatMessage m = messages.get(i);
      if (!m.role().equals("assistant")) {
        throw new BadInputException(where + ", message " + i + ": expected an assistant turn, found " + m.role());
      }
      String raw = rawText(m, where + ", message " + i);
      String[] placed = placed(template, vars, conversation, raw);
      int stop = stopToken(tokenizer, eos, placed[1]);
      String stopText = tokenizer.decode(new int[] {stop}, false);
      int[] ids = tokenizer.encode(placed[0], false);
      int[] turn = Arrays.copyOf(ids, ids.length + 1);
      turn[ids.length] = stop;
      out.add(turn, true);
      i++;
      if (i == messages.size()) break;
      // the assistant message as the rollout keeps it: content without the calls, calls as tool_calls
      String decoded = tokenizer.decode(ids, true);
      ToolCallParser.Parsed parsed = parser.parse(decoded);
      Map<String, Object> fields = new LinkedHashMap<>();
      String content = decoded;
      List<Map<String, Object>> calls = new ArrayList<>();
      for (ToolCall c : parsed.calls()) if (c.wellFormed()) calls.add(c.toTemplate());
      if (!calls.isEmpty()) {
        content = parsed.content();
        fields.put("tool_calls", calls);
      }
      conversation.add(new ChatMessage("assistant", content, fields));
      List<ChatMessage> observations = new ArrayList<>();
      while (i < messages.size() && !messages.get(i).role().equals("assistant")) observations.add(messages.get(i++));
      String d = delta.delta(conversation, observations, stopText);
      if (d == null) throw new BadInputException(where + ": the chat template cannot append the turns after message " + (i - 1));
      conversation.addAll(observations);
      out.add(tokenizer.encode(d, false), false);
    }
    return new Encoded(out.ids(), out.mask(), prompt.length);
  }

  /** The assistant message as the model writes it: its content, then each tool call between the tags. */
  static String rawText(ChatMessage m, String where) {
    StringBuilder s = new StringBuilder(m.content() == null ? "" : m.content());
    if (m.fields().get("tool_calls") instanceof List<?> calls) {
      for (Object c : calls) {
        if (!(c instanceof Map<?, ?> call)) throw new BadInputException(where + ": a tool call must be an object");
        Object fn = call.containsKey("function") ? call.get("function") : call;
        if (!(fn instanceof Map<?, ?> f) || !(f.get("name") instanceof String name)) {
          throw new BadInputException(where + ": a tool call needs a string \"name\"");
        }
        Object args = f.get("arguments");
        if (s.length() > 0) s.append(' ');
        s.append(OPEN).append("{\"name\":").append(quote(name)).append(",\"arguments\":")
            .append(args instanceof Map<?, ?> a ? object(a) : "{}").append('}').append(CLOSE);
      }
    }
    return s.toString();
  }

  /**
   * The text of an assistant turn as the template places it after the generation prompt (the plain
   * format's {@code "Assistant:"} is followed by a space), and what the template writes after it (its
   * end of turn, such as ChatML's {@code <|im_end|>\n}).
   */
  private static String[] placed(ChatTemplate template, Map<String, Object> vars, List<ChatMessage> conversation,
      String raw) {
    String prompt = template.render(conversation, true, vars);
    List<ChatMessage> with = new ArrayList<>(conversation);
    with.add(ChatMessage.assistant(raw));
    String rendered = template.render(with, false, vars);
    if (!rendered.startsWith(prompt)) return new String[] {raw, ""};
    String after = rendered.substring(prompt.length());
    int at = after.indexOf(raw);
    return at < 0 ? new String[] {raw, ""} : new String[] {after.substring(0, at + raw.length()), after.substring(at + raw.length())};
  }

  /** The EOS token the template ends an assistant turn with (ChatML's {@code <|im_end|>}), else the first EOS. */
  private static int stopToken(Tokenizer tokenizer, List<Integer> eos, String endOfTurn) {
    for (int id : eos) {
      String text = tokenizer.decode(new int[] {id}, false);
      if (!text.isEmpty() && endOfTurn.startsWith(text)) return id;
    }
    return eos.get(0);
  }

  /** A JSON object with numbers written as plain decimals (no exponent), as the tool parser reads them back. */
  private static String object(Map<?, ?> map) {
    StringBuilder s = new StringBuilder("{");
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (s.length() > 1) s.append(',');
      s.append(quote(String.valueOf(e.getKey()))).append(':');
      Object v = e.getValue();
      if (v instanceof Double || v instanceof Float) {
        s.append(BigDecimal.valueOf(((Number) v).doubleValue()).stripTrailingZeros().toPlainString());
      } else if (v instanceof BigDecimal b) {
        s.append(b.toPlainString());
      } else {
        try {
          s.append(JSON.writeValueAsString(v));
        } catch (JsonProcessingException ex) {
          throw new IllegalArgumentException("cannot write a tool argument as JSON: " + v, ex);
        }
      }
    }
    return s.append('}').toString();
  }

  private static String quote(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Builder {
    private int[] ids = new int[256];
    private boolean[] mask = new boolean[256];
    private int n;

    void add(int[] part, boolean policy) {
      if (n + part.length > ids.length) {
        int cap = Math.max(n + part.length, ids.length * 2);
        ids = Arrays.copyOf(ids, cap);
        mask = Arrays.copyOf(mask, cap);
      }
      System.arraycopy(part, 0, ids, n, part.length);
      Arrays.fill(mask, n, n + part.length, policy);
      n += part.length;
    }

    int[] ids() {
      return Arrays.copyOf(ids, n);
    }

    boolean[] mask() {
      return Arrays.copyOf(mask, n);
    }
  }
}
