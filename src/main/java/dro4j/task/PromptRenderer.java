package dro4j.task;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import dro4j.text.ChatTemplate;
import dro4j.text.Tokenizer;
import dro4j.text.TokenizerConfig;
import java.nio.file.Files;
import dro4j.data.PromptRecords;
import dro4j.text.ChatMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where an example becomes the prompt token ids a model sees, used by {@code filter},
 * {@code train}, {@code sft} and {@code eval} alike, so the same example gives the same ids
 * everywhere.
 *
 * <ol>
 *   <li>The template ({@link #template(Task, String, String)}: the task's, a built-in one by name or
 *       a template text) fills in the example's fields.
 *   <li>A model with a chat template gets the system message (when set) and the user message,
 *       rendered with the generation prompt and tokenized without added special tokens (the template
 *       writes them), as TRL's {@code maybe_apply_chat_template}; a base model gets the system and
 *       user texts joined by a blank line, tokenized with its special tokens (Llama's BOS).
 *   <li>A prompt longer than {@code maxPromptLength} tokens keeps its last {@code maxPromptLength}
 *       tokens (left truncation, as TRL: the question usually comes last). Each cut is counted
 *       ({@link #truncated()}); the first one is logged as a warning and the commands report the count.
 * </ol>
 *
 * <p>A conversational example (TRL's {@code {"prompt": [messages]}}, {@link PromptRecords}) skips the
 * template: its own messages are rendered.
 *
 * <p>The {@code plain} template ({@code {prompt}}) also accepts an example whose only field has
 * another name, and uses that field.
 */
public final class PromptRenderer {
  /** The default {@code max_prompt_length} of every command, TRL's GRPOConfig default. */
  public static final int DEFAULT_MAX_PROMPT_LENGTH = 512;

  private static final Logger LOG = LoggerFactory.getLogger(PromptRenderer.class);

  private final Tokenizer tokenizer;
  private final ChatTemplate chatTemplate;
  private final PromptTemplate template;
  private final Integer maxPromptLength;
  private final Map<String, Object> chatTemplateKwargs;
  private final AtomicLong rendered = new AtomicLong();
  private final AtomicLong truncated = new AtomicLong();

  /**
   * @param model supplies the tokenizer and, when it has one, the chat template
   * @param template builds the prompt text
   * @param maxPromptLength left-truncation length in tokens, or null for none
   */
  public PromptRenderer(LanguageModel model, PromptTemplate template, Integer maxPromptLength) {
    this(model, template, maxPromptLength, null);
  }

  /**
   * As {@link #PromptRenderer(LanguageModel, PromptTemplate, Integer)}, with extra chat template
   * variables ({@code chat_template_kwargs}, e.g. {@code enable_thinking}), or null for none.
   */
  public PromptRenderer(LanguageModel model, PromptTemplate template, Integer maxPromptLength,
      Map<String, Object> chatTemplateKwargs) {
    if (maxPromptLength != null && maxPromptLength < 1) {
      throw new BadInputException("max_prompt_length must be >= 1 or none, got " + maxPromptLength);
    }
    this.tokenizer = model.tokenizer();
    this.chatTemplate = chatTemplateOrNull(model);
    this.template = template;
    this.maxPromptLength = maxPromptLength;
    this.chatTemplateKwargs = chatTemplateKwargs == null ? Map.of()
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(chatTemplateKwargs));
  }

  /**
   * The renderer of a task's prompts as a command or configuration sets them up: {@link
   * #template(Task, String, String) template(task, templateOrName, systemPrompt)}, cut to {@code
   * maxPromptLength} (null: never).
   */
  public static PromptRenderer forTask(LanguageModel model, Task task, String templateOrName, String systemPrompt,
      Integer maxPromptLength) {
    return forTask(model, task, templateOrName, systemPrompt, maxPromptLength, null);
  }

  /** As {@link #forTask(LanguageModel, Task, String, String, Integer)}, with chat template variables (or null). */
  public static PromptRenderer forTask(LanguageModel model, Task task, String templateOrName, String systemPrompt,
      Integer maxPromptLength, Map<String, Object> chatTemplateKwargs) {
    return new PromptRenderer(model, template(task, templateOrName, systemPrompt), maxPromptLength, chatTemplateKwargs);
  }

  /**
   * The template of a task as the user configured it: {@code templateOrName} null uses the task's
   * own; the name of a built-in template ({@link PromptTemplates#names()}) uses that one; any other
   * text is a user template with {@code {field}} placeholders (with the task's reasoning end). A
   * non-null {@code systemPrompt} replaces the template's system message.
   */
  public static PromptTemplate template(Task task, String templateOrName, String systemPrompt) {
    PromptTemplate base = task.template();
    if (templateOrName != null) {
      base = PromptTemplates.names().contains(templateOrName)
          ? PromptTemplates.byName(templateOrName)
          : new PromptTemplate("custom", base.system(), templateOrName, task.reasoningEnd());
    }
    return systemPrompt == null ? base : new PromptTemplate(base.name(), systemPrompt, base.user(), base.reasoningEnd());
  }

  /** The template in use. */
  public PromptTemplate template() {
    return template;
  }

  /** The truncation length, or null for none. */
  public Integer maxPromptLength() {
    return maxPromptLength;
  }

  /** Whether prompts go through the model's chat template. */
  public boolean usesChatTemplate() {
    return chatTemplate != null;
  }

  /** The prompt text of {@code example}, before tokenization and truncation. */
  public String text(Example example) {
    if (example.metadata().get(PromptRecords.PROMPT_MESSAGES) instanceof List<?> messages) {
      return conversation(example, messages);
    }
    return template.render(adapt(example), chatTemplate, chatTemplateKwargs);
  }

  /**
   * A conversational prompt (TRL's {@code {"prompt": [messages]}}): its messages, after the template's
   * system message when set and the conversation has none, rendered with the chat template and the
   * generation prompt; for a base model, their contents joined by blank lines.
   */
  private String conversation(Example example, List<?> raw) {
    List<ChatMessage> messages = new ArrayList<>();
    for (Object o : raw) {
      String where = "example " + example.id() + ", message " + messages.size();
      if (!(o instanceof Map<?, ?> m)) throw new BadInputException(where + " must be an object with a role and content");
      messages.add(ChatMessage.fromMap(m, where));
    }
    boolean hasSystem = !messages.isEmpty() && messages.get(0).role().equals("system");
    if (template.system() != null && !template.system().isEmpty() && !hasSystem) {
      messages.add(0, ChatMessage.system(template.system()));
    }
    if (messages.isEmpty()) throw new BadInputException("example " + example.id() + ": empty conversation");
    if (chatTemplate != null) return chatTemplate.render(messages, true, chatTemplateKwargs);
    List<String> texts = new ArrayList<>();
    for (ChatMessage m : messages) if (m.content() != null) texts.add(m.content());
    return String.join("\n\n", texts);
  }

  /**
   * The prompt ids of {@code example}, truncated on the left to {@code maxPromptLength}.
   *
   * @throws BadInputException naming the example when the prompt is empty or a field is missing
   */
  public int[] ids(Example example) {
    int[] ids = tokenizer.encode(text(example), chatTemplate == null);
    if (ids.length == 0) {
      throw new BadInputException("example " + example.id() + ": empty prompt (template '" + template.name()
          + "' rendered no tokens and the tokenizer adds no BOS)");
    }
    rendered.incrementAndGet();
    if (maxPromptLength != null && ids.length > maxPromptLength) {
      if (truncated.incrementAndGet() == 1) {
        LOG.warn("example {}: prompt of {} tokens cut to its last {} (max_prompt_length); later cuts are counted",
            example.id(), ids.length, maxPromptLength);
      }
      return truncateLeft(ids, maxPromptLength);
    }
    return ids;
  }

  /** Prompts built so far. */
  public long rendered() {
    return rendered.get();
  }

  /** Prompts cut to {@code maxPromptLength} so far. */
  public long truncated() {
    return truncated.get();
  }

  /** The last {@code max} ids, or all of them when there are not more (or {@code max} is null). */
  public static int[] truncateLeft(int[] ids, Integer max) {
    if (max == null || ids.length <= max) {
      return ids;
    }
    return Arrays.copyOfRange(ids, ids.length - max, ids.length);
  }

  /**
   * The model's default chat template, or null when it has none (a base model): the same files
   * {@link ChatTemplate#load} reads.
   */
  public static ChatTemplate chatTemplateOrNull(LanguageModel lm) {
    boolean has = Files.exists(lm.directory().resolve(ChatTemplate.JINJA_FILE))
        || TokenizerConfig.read(lm.directory().resolve("tokenizer_config.json"))
            .chatTemplates().containsKey(TokenizerConfig.DEFAULT_TEMPLATE);
    return has ? lm.chatTemplate() : null;
  }

  /** For {@code plain}: an example whose only field is not called {@code prompt} uses that field. */
  private Example adapt(Example e) {
    if (template.user().equals(PromptTemplates.PLAIN.user()) && !e.fields().containsKey("prompt")
        && e.fields().size() == 1) {
      return new Example(e.id(), Map.of("prompt", e.fields().values().iterator().next()), e.reference(), e.metadata());
    }
    return e;
  }
}
