package dro4j.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dro4j.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template (Jinja), rendered the way transformers' {@code
 * apply_chat_template(..., tokenize=False)} renders it, byte for byte.
 *
 * <p>The template sees {@code messages}, {@code add_generation_prompt}, the special tokens of
 * tokenizer_config.json ({@code bos_token}, {@code eos_token}, {@code pad_token}, {@code
 * unk_token}, where set) and any extra variables ({@code tools}, {@code enable_thinking}, {@code
 * date_string}, ...); it may call {@code raise_exception(msg)}, {@code strftime_now(fmt)} and
 * {@code namespace(...)}, use {@code break}/{@code continue}, {@code {% generation %}}, the filter {@code tojson} (Python
 * {@code json.dumps}) and the common Python string methods ({@code strip}, {@code split}, {@code
 * startswith}, ...). Any Jinja error, unknown filter or test, and any {@code raise_exception}, is a
 * {@link ChatTemplateException} naming the template's file: a template never renders half right.
 *
 * <p>Templates come from downloaded model folders, so a render is bounded ({@link Limits}): its
 * output, any string it builds, its lists and its run time; past a bound it fails with a one-line
 * {@link ChatTemplateException}. Templates see only plain values (strings, numbers, booleans, lists,
 * maps): Java methods cannot be called on them, only the Python string methods and {@code
 * dict.items/get/keys/values}.
 *
 * <p>Before Jinjava parses a template, {@link JinjaRewriter} rewrites the Python syntax Jinjava lacks
 * (slices with a step, {@code x+1}, {@code not} precedence, keyword arguments holding operators).
 *
 * <p>Known difference from Python Jinja (Jinjava 2.8.3): printing a non-string value directly
 * ({@code {{ flag }}}, {@code {{ none }}}, {@code {{ list_of_dicts }}}) gives {@code true}, an
 * empty string and a slightly different list layout where Python gives {@code True}, {@code None}
 * and its repr. Real chat templates print strings and {@code tojson} output, which match.
 */
public final class ChatTemplate {
  /** The file in which newer transformers versions save a model's default chat template. */
  public static final String JINJA_FILE = "chat_template.jinja";

  /**
   * The bounds of one render.
   *
   * @param maxOutputChars the most characters the rendered text may have
   * @param maxStringLength the most characters of any string the template builds
   * @param maxItems the most items of a list, a map or a {@code range(...)}
   * @param maxRenderMillis the most wall-clock time of one render
   */
  public record Limits(long maxOutputChars, long maxStringLength, int maxItems, long maxRenderMillis) {
    /** 4 Mi characters of output and per string, 100,000 items, 10 s: far above any real prompt. */
    public static final Limits DEFAULT = new Limits(4L << 20, 4L << 20, 100_000, 10_000);
  }

  private final String source;
  private final Path file;
  private final Map<String, String> specialTokens;
  private final Limits limits;
  private final String rewritten;
  private final TemplateFunctions.Deadline deadline = new TemplateFunctions.Deadline();
  private final Jinjava jinjava;

  private ChatTemplate(String source, Path file, Map<String, String> specialTokens, Limits limits) {
    this.source = source;
    this.file = file;
    this.specialTokens = Map.copyOf(specialTokens);
    this.limits = limits;
    // Jinja drops one newline at the very end of a template (keep_trailing_newline=False).
    String body = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
        : source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
    this.rewritten = JinjaRewriter.rewrite(body);
    this.jinjava = newJinjava(limits, deadline);
  }

  private ChatTemplate(String source, Path file, Map<String, String> specialTokens) {
    this(source, file, specialTokens, Limits.DEFAULT);
  }

  /** This template under other bounds. */
  public ChatTemplate withLimits(Limits newLimits) {
    return new ChatTemplate(source, file, specialTokens, newLimits);
  }

  /** The bounds of each render. */
  public Limits limits() {
    return limits;
  }

  /**
   * The default chat template of a model folder: {@code chat_template.jinja} when present, else the
   * {@code chat_template} of {@code tokenizer_config.json}.
   *
   * @throws BadInputException when the folder has no chat template or a file is malformed
   */
  public static ChatTemplate load(Path modelDir) {
    Path jinjaFile = modelDir.resolve(JINJA_FILE);
    Path configFile = modelDir.resolve("tokenizer_config.json");
    if (Files.exists(jinjaFile)) {
      TokenizerConfig config = TokenizerConfig.read(configFile);
      return new ChatTemplate(JsonFiles.readText(jinjaFile), jinjaFile, config.specialTokenVariables());
    }
    if (!Files.exists(configFile)) {
      throw new BadInputException(configFile, "file not found (and no " + JINJA_FILE + " beside it)");
    }
    return fromTokenizerConfig(configFile);
  }

  /** The chat template called {@code name} in {@code modelDir/tokenizer_config.json}. */
  public static ChatTemplate load(Path modelDir, String name) {
    return fromTokenizerConfig(modelDir.resolve("tokenizer_config.json"), name);
  }

  /**
   * The default chat template of a tokenizer_config.json: its {@code chat_template} string, or the
   * entry named {@code "default"} when it holds a list of named templates.
   *
   * @throws BadInputException when the file has no chat_template or is malformed
   */
  public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) {
    return fromTokenizerConfig(tokenizerConfigJson, TokenizerConfig.DEFAULT_TEMPLATE);
  }

  /** The chat template called {@code name} in a tokenizer_config.json. */
  public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson, String name) {
    if (!Files.exists(tokenizerConfigJson)) {
      throw new BadInputException(tokenizerConfigJson, "file not found");
    }
    TokenizerConfig config = TokenizerConfig.read(tokenizerConfigJson);
    Map<String, String> templates = config.chatTemplates();
    if (templates.isEmpty()) {
      throw new BadInputException(tokenizerConfigJson, "has no chat_template");
    }
    String source = templates.get(name);
    if (source == null) {
      throw new BadInputException(
          tokenizerConfigJson,
          "has no chat template named \"" + name + "\" (it has: " + String.join(", ", templates.keySet()) + ")");
    }
    return new ChatTemplate(source, tokenizerConfigJson, config.specialTokenVariables());
  }

  /** The Jinja source of this template. */
  public String source() {
    return source;
  }

  /** The file this template was read from (named in every error). */
  public Path file() {
    return file;
  }

  /**
   * Renders a conversation.
   *
   * @param addGenerationPrompt end with the header that starts an assistant turn
   * @throws ChatTemplateException when the template raises or fails
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /**
   * Renders a conversation with extra template variables, such as {@code tools} (a list of JSON
   * schemas as maps), {@code enable_thinking} or {@code date_string}. Extra variables may override
   * the special tokens but not {@code messages} or {@code add_generation_prompt}.
   *
   * @throws ChatTemplateException when the template raises or fails
   */
  public String render(
      List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
    if (extraVariables.containsKey("messages") || extraVariables.containsKey("add_generation_prompt")) {
      throw new IllegalArgumentException(
          "extraVariables must not set messages or add_generation_prompt; pass them as arguments");
    }
    Map<String, Object> variables = new HashMap<>(specialTokens);
    variables.putAll(extraVariables);
    List<Map<String, Object>> messageMaps = new ArrayList<>(messages.size());
    for (ChatMessage message : messages) {
      messageMaps.add(message.toMap());
    }
    variables.put("messages", messageMaps);
    variables.put("add_generation_prompt", addGenerationPrompt);

    RenderResult result;
    // One render at a time per template: Jinjava resets its shared global context after each.
    synchronized (jinjava) {
      deadline.start(limits.maxRenderMillis());
      try {
        result = jinjava.renderForResult(rewritten, variables);
      } catch (OutOfMemoryError e) { // a bound missed it: still one clean error, not a dead JVM
        result = null;
      }
    }
    if (result == null) {
      throw new ChatTemplateException(file, "chat template ran out of memory (it builds too much text)");
    }
    throwIfFailed(result.getErrors());
    throwIfUnknownFilterOrTest(result);
    String output = result.getOutput();
    if (output.length() > limits.maxOutputChars()) {
      throw new ChatTemplateException(
          file, "chat template output exceeds " + limits.maxOutputChars() + " characters");
    }
    return output;
  }

  private void throwIfFailed(List<TemplateError> allErrors) {
    // An attribute a value lacks (a string's .content) is undefined in Python, not an error.
    List<TemplateError> errors =
        allErrors.stream()
            .filter(e -> !(e.getSeverity() == TemplateError.ErrorType.WARNING
                && e.getMessage() != null && e.getMessage().startsWith("Cannot resolve property")))
            .toList();
    for (TemplateError error : errors) {
      String raised = raisedMessage(error.getException());
      if (raised != null) {
        throw new ChatTemplateException(file, "chat template raised an exception: " + raised);
      }
      String limit = limitMessage(error);
      if (limit != null) {
        throw new ChatTemplateException(file, limit);
      }
    }
    if (!errors.isEmpty()) {
      String problems = oneLine(errors.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
      Exception cause = errors.get(0).getException();
      throw new ChatTemplateException(file, "chat template failed: " + problems, cause);
    }
  }

  // Jinjava renders an unknown filter or test as nothing, without any error; Jinja refuses the
  // template. Jinjava records every filter and test name it looked up, so check those.
  private void throwIfUnknownFilterOrTest(RenderResult result) {
    Context global = jinjava.getGlobalContext();
    for (String resolved : result.getContext().getResolvedValues()) {
      if (resolved.startsWith(ExtendedParser.FILTER_PREFIX)) {
        String name = resolved.substring(ExtendedParser.FILTER_PREFIX.length());
        if (global.getFilter(name) == null) {
          throw new ChatTemplateException(file, "chat template uses an unknown filter '" + name + "'");
        }
      } else if (resolved.startsWith(ExtendedParser.EXPTEST_PREFIX)) {
        String name = resolved.substring(ExtendedParser.EXPTEST_PREFIX.length());
        if (global.getExpTest(name) == null) {
          throw new ChatTemplateException(file, "chat template uses an unknown test '" + name + "'");
        }
      }
    }
  }

  // raise_exception's own exception, somewhere in the chain Jinjava wrapped it in.
  private static String raisedMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TemplateFunctions.RaisedException) {
        return t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  // A bound the render ran into, as one line; null for other errors.
  private String limitMessage(TemplateError error) {
    for (Throwable t = error.getException(); t != null; t = t.getCause()) {
      if (t instanceof TemplateFunctions.TimeLimitException) {
        return t.getMessage();
      }
      if (t instanceof OutputTooBigException || t instanceof CollectionTooBigException) {
        return "chat template went past its limits: " + oneLine(t.getMessage());
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  private static String describe(TemplateError error) {
    String where = error.getLineno() > 0 ? "line " + error.getLineno() + ": " : "";
    String text = where + error.getSeverity() + " " + error.getReason() + ": " + error.getMessage();
    // Jinjava's message often hides the real reason ("Error invoking function 'strftime_now'").
    Throwable root = error.getException();
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != null && root.getMessage() != null && !text.contains(root.getMessage())) {
      text += " (" + root.getMessage() + ")";
    }
    return text;
  }

  // The settings under which Jinjava 2.8.3 matches transformers' Jinja environment byte for byte
  // (see DESIGN.md). Natural operator precedence stays off: with it, `not x is defined` parses as
  // `(not x) is defined`, which drops DeepSeek-R1's generation prompt.
  private static Jinjava newJinjava(Limits limits, TemplateFunctions.Deadline deadline) {
    LegacyOverrides overrides =
        LegacyOverrides.newBuilder()
            .withParseWhitespaceControlStrictly(true)
            .withAllowAdjacentTextNodes(true)
            .withUseTrimmingForNotesAndExpressions(true)
            .withUsePyishObjectMapper(true)
            .withKeepNullableLoopValues(true)
            .withUseNaturalOperatorPrecedence(false)
            .build();
    // The deadline, Python str methods, the guard against Java methods and bean getters, then
    // Jinjava's usual (read-only) resolvers.
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(deadline);
    resolver.add(new PythonStringMethods(limits.maxStringLength()));
    resolver.add(new TemplateFunctions.PlainValuesOnly());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(false) // JinjaRewriter applies lstrip_blocks as Jinja does
            .withLegacyOverrides(overrides)
            // Jinja prints a value as text; Jinjava would render a value holding "{{ .. }}" again
            .withNestedInterpretationEnabled(false)
            .withElResolver(resolver)
            .withMaxOutputSize(limits.maxOutputChars())
            .withMaxStringLength(limits.maxStringLength())
            .withMaxListSize(limits.maxItems())
            .withMaxMapSize(limits.maxItems())
            .withRangeLimit(limits.maxItems())
            .build();
    Jinjava jinjava = new Jinjava(config);
    jinjava.registerFunction(
        new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
    jinjava.registerFunction(
        new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
    jinjava.registerFilter(new TemplateFunctions.ToJson());
    jinjava.registerTag(new TemplateFunctions.GenerationTag());
    jinjava.registerTag(new TemplateFunctions.DeadlineForTag(deadline));
    jinjava.registerFilter(new TemplateFunctions.PySlice());
    jinjava.registerFilter(new TemplateFunctions.Items());
    jinjava.registerFilter(new TemplateFunctions.PyLoopFilter());
    jinjava.registerFilter(new TemplateFunctions.Indent());
    jinjava.getGlobalContext().registerExpTest(new TemplateFunctions.IsIterable());
    return jinjava;
  }
}
