package dro4j.data.prompt;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the prompt of a task from an {@link Example}, the same way every time: an optional system
 * message, and a user message made from a template whose {@code {field}} placeholders are filled with
 * the example's prompt fields. A literal brace is written {@code {{} or {@code }}}.
 *
 * <p>The reasoning format (for example "think inside {@code <think>...</think>}, then give the answer")
 * is part of the text, and the rewards split rollouts with the matching rule, so the two stay
 * consistent: {@link #reasoningEnd()} names the marker that ends the reasoning.
 *
 * @param name the template's name (for logs and configs)
 * @param system the system message, or null for none (some chat templates, e.g. DeepSeek-R1's, advise
 *     against a system prompt and put everything in the user turn)
 * @param user the user message template with {@code {field}} placeholders
 * @param reasoningEnd the text that closes the reasoning in a well-formed response (e.g.
 *     {@code </think>}), or null when the task asks for no separate reasoning
 */
public record PromptTemplate(String name, String system, String user, String reasoningEnd) implements java.io.Serializable {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{|}}|\\{([A-Za-z_][A-Za-z0-9_]*)}");

  public PromptTemplate {
    if (user == null || user.isEmpty()) {
      throw new BadInputException("prompt template '" + name + "' has an empty user template");
    }
  }

  /** The user text for {@code example}; a placeholder naming a field the example lacks is an error. */
  public String userText(Example example) {
    return fill(user, example);
  }

  /** The chat messages for {@code example}: system (when set) and user. */
  public List<ChatMessage> messages(Example example) {
    List<ChatMessage> out = new ArrayList<>(2);
    if (system != null && !system.isEmpty()) {
      out.add(ChatMessage.system(fill(system, example)));
    }
    out.add(ChatMessage.user(userText(example)));
    return out;
  }

  /**
   * The prompt text for {@code example}: the messages rendered by {@code chatTemplate} with the
   * generation prompt, or, for a base model without a chat template (null), the system and user texts
   * joined by a blank line.
   */
  public String render(Example example, ChatTemplate chatTemplate) {
    return render(example, chatTemplate, Map.of());
  }

  /**
   * As {@link #render(Example, ChatTemplate)}, with extra chat template variables ({@code
   * chat_template_kwargs}, e.g. {@code enable_thinking}); they are ignored without a chat template.
   */
  public String render(Example example, ChatTemplate chatTemplate, Map<String, Object> chatTemplateKwargs) {
    if (chatTemplate != null) {
      return chatTemplate.render(messages(example), true, chatTemplateKwargs);
    }
    String text = userText(example);
    return system == null || system.isEmpty() ? text : fill(system, example) + "\n\n" + text;
  }

  private String fill(String template, Example example) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("{{")) {
        replacement = "{";
      } else if (m.group().equals("}}")) {
        replacement = "}";
      } else {
        String field = m.group(1);
        replacement = example.fields().get(field);
        if (replacement == null) {
          throw new BadInputException("prompt template '" + name + "' needs field '" + field
              + "' but example " + example.id() + " has only " + example.fields().keySet());
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
