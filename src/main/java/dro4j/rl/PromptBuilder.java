package dro4j.rl;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import dro4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns examples into the prompt token ids the policy sees. The prompt text comes from the example's
 * fields through {@code prompt_template} ({@link #fill}); models with a chat template get it as the
 * user message (after an optional system message) with the generation prompt, as TRL's {@code
 * maybe_apply_chat_template} does; others get the plain text with the tokenizer's special tokens
 * (Llama's BOS). Prompts longer than {@code max_prompt_length} keep their last tokens.
 */
public final class PromptBuilder {
  private final Tokenizer tokenizer;
  private final ChatTemplate chatTemplate;
  private final String template;
  private final String systemPrompt;
  private final Integer maxPromptLength;
  private final Map<String, Object> chatTemplateKwargs;

  /** A builder without extra chat template variables. */
  public PromptBuilder(LanguageModel model, String template, String systemPrompt, Integer maxPromptLength) {
    this(model, template, systemPrompt, maxPromptLength, null);
  }

  /**
   * @param model supplies the tokenizer and, when it has one, the chat template
   * @param template {@code prompt_template}, or null (see {@link #text})
   * @param systemPrompt system message for chat templates, or null
   * @param maxPromptLength left-truncation length, or null for none
   * @param chatTemplateKwargs extra chat template variables ({@code chat_template_kwargs}), or null
   */
  public PromptBuilder(
      LanguageModel model, String template, String systemPrompt, Integer maxPromptLength,
      Map<String, Object> chatTemplateKwargs) {
    this.tokenizer = model.tokenizer();
    this.chatTemplate = tokenizer.hasChatTemplate() ? model.chatTemplate() : null;
    this.template = template;
    this.systemPrompt = systemPrompt;
    this.maxPromptLength = maxPromptLength;
    this.chatTemplateKwargs = chatTemplateKwargs == null ? Map.of() : chatTemplateKwargs;
  }

  /** Whether prompts go through the model's chat template. */
  public boolean usesChatTemplate() {
    return chatTemplate != null;
  }

  /**
   * The prompt text of an example: {@code prompt_template} filled with its fields, or without a
   * template its field {@code prompt}, or its only field.
   */
  public String text(Example example) {
    if (template != null) {
      return fill(template, example);
    }
    Map<String, String> fields = example.fields();
    if (fields.containsKey("prompt")) return fields.get("prompt");
    if (fields.size() == 1) return fields.values().iterator().next();
    throw new BadInputException(
        "example " + example.id() + " has fields " + fields.keySet()
            + ": set prompt_template (e.g. '{" + fields.keySet().iterator().next() + "}') to say how they form the prompt");
  }

  /** The prompt token ids of an example, truncated on the left to {@code max_prompt_length}. */
  public int[] ids(Example example) {
    String text = text(example);
    int[] ids;
    if (chatTemplate != null) {
      List<ChatMessage> messages = new ArrayList<>();
      if (systemPrompt != null) messages.add(ChatMessage.system(systemPrompt));
      messages.add(ChatMessage.user(text));
      ids = tokenizer.encode(chatTemplate.render(messages, true, chatTemplateKwargs), false);
    } else {
      ids = tokenizer.encode(text, true);
    }
    if (ids.length == 0) {
      throw new BadInputException("example " + example.id() + " gives an empty prompt (this tokenizer adds no BOS)");
    }
    return truncateLeft(ids, maxPromptLength);
  }

  /** The last {@code max} ids (TRL keeps the end of a prompt: the question usually comes last). */
  public static int[] truncateLeft(int[] ids, Integer max) {
    if (max == null || ids.length <= max) return ids;
    return Arrays.copyOfRange(ids, ids.length - max, ids.length);
  }

  /**
   * Replaces each {@code {name}} of {@code template} by the example's field {@code name}; {@code {{}
   * and {@code }}} stand for literal braces.
   *
   * @throws BadInputException naming the example when a placeholder has no field
   */
  public static String fill(String template, Example example) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
        out.append('{');
        i += 2;
      } else if (c == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
        out.append('}');
        i += 2;
      } else if (c == '{') {
        int end = template.indexOf('}', i);
        if (end < 0) throw new BadInputException("prompt_template has an unclosed '{': " + template);
        String name = template.substring(i + 1, end);
        String value = example.fields().get(name);
        if (value == null) {
          throw new BadInputException(
              "prompt_template uses {" + name + "} but example " + example.id() + " has only " + example.fields().keySet());
        }
        out.append(value);
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
