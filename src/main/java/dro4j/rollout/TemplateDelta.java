package dro4j.rollout;

import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The text a chat template adds for new turns, so that a rollout appends tokens instead of
 * re-rendering the conversation.
 *
 * <p>After a policy turn, the conversation {@code C} (ending with the assistant message) and the
 * observation turns {@code O} (tool results or the environment's user turn) are rendered twice:
 * {@code before = render(C, false)} and {@code after = render(C + O, true)}. When {@code before} is a
 * prefix of {@code after}, the delta is {@code after} minus {@code before}: the tokens the template
 * adds for the new turns plus the next generation prompt. The template's own end of the assistant
 * turn after the policy's stop token (ChatML's {@code "\n"} after {@code <|im_end|>}) is also appended:
 * it is the part of {@code before} after the last occurrence of the stop token's text.
 *
 * <p><b>Fallback.</b> Some templates re-render earlier turns differently once more turns follow
 * (Qwen3 drops the {@code <think>} of assistant turns before the last user query; others number or
 * date turns). When {@code before} is not a prefix of {@code after}, the delta is taken from a fixed
 * stand-in history instead, {@code [user "."]} rendered without and with {@code O} and the same
 * template variables (verl's way: a history that ends with a user turn has no assistant turn to
 * re-render), after the closing taken from the real {@code before}; if even that is not an append, the
 * trajectory ends with {@link StopReason#TEMPLATE}, as it does when the template raises on what the
 * policy wrote ({@link TrajectoryRollout}). Either way the trajectory's earlier tokens are never changed.
 */
final class TemplateDelta {
  /** The stand-in history of the fallback: it ends with a user turn, so no assistant turn is re-rendered. */
  private static final List<ChatMessage> STAND_IN = List.of(ChatMessage.user("."));

  private final ChatTemplate template;
  private final Map<String, Object> variables;

  TemplateDelta(ChatTemplate template, Map<String, Object> variables) {
    this.template = template;
    this.variables = variables;
  }

  /** The first prompt: the conversation rendered with the generation prompt. */
  String prompt(List<ChatMessage> conversation) {
    return template.render(conversation, true, variables);
  }

  /**
   * The text to append after a policy turn that ended with {@code stopText} (the stop token's text,
   * "" when the turn ended otherwise), or null when the template cannot append.
   *
   * @param conversation the messages so far, ending with the policy's assistant message
   * @param observations the new turns
   */
  String delta(List<ChatMessage> conversation, List<ChatMessage> observations, String stopText) {
    String before = template.render(conversation, false, variables);
    int at = stopText.isEmpty() ? -1 : before.lastIndexOf(stopText);
    String closing = at >= 0 ? before.substring(at + stopText.length()) : "";
    String d = appended(before, conversation, observations);
    if (d == null) d = appended(null, STAND_IN, observations);
    return d == null ? null : closing + d;
  }

  /** What rendering {@code conversation + observations} with the generation prompt appends, or null. */
  private String appended(String before, List<ChatMessage> conversation, List<ChatMessage> observations) {
    if (before == null) before = template.render(conversation, false, variables);
    List<ChatMessage> all = new ArrayList<>(conversation);
    all.addAll(observations);
    String after = template.render(all, true, variables);
    return after.startsWith(before) ? after.substring(before.length()) : null;
  }
}
