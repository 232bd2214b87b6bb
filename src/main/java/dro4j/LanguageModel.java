package dro4j;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dro4j.generate.Generation;
import dro4j.generate.Generator;
import dro4j.generate.SamplingParams;
import dro4j.model.BundledModel;
import dro4j.model.GenerationConfig;
import dro4j.model.LoraAdapter;
import dro4j.model.LoraConfig;
import dro4j.model.ModelConfig;
import dro4j.model.TensorEngine;
import dro4j.model.Transformer;
import dro4j.score.Scorer;
import dro4j.score.TokenScores;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import dro4j.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model folder, loaded: weights, tokenizer, chat template and generation defaults, with
 * generation and scoring on top. The entry point of the library:
 *
 * <pre>{@code
 * try (LanguageModel lm = LanguageModel.load(Path.of("Qwen2.5-0.5B-Instruct"))) {
 *   int[] prompt = lm.tokenizer().encode("Once upon a time", true);
 *   Generation g = lm.generate(List.of(prompt), SamplingParams.greedy(32), false);
 *   System.out.println(g.completions().get(0).text());
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
  private final Path directory;
  private final NDManager manager;
  private final ModelConfig config;
  private final GenerationConfig generationConfig;
  private final Transformer transformer;
  private final Tokenizer tokenizer;
  private final Generator generator;
  private final Scorer scorer;

  private LanguageModel(Path directory, NDManager manager, ModelConfig config,
      GenerationConfig generationConfig, Transformer transformer, Tokenizer tokenizer) {
    this.directory = directory;
    this.manager = manager;
    this.config = config;
    this.generationConfig = generationConfig;
    this.transformer = transformer;
    this.tokenizer = tokenizer;
    this.generator = new Generator(transformer, tokenizer);
    this.scorer = new Scorer(transformer);
  }

  /**
   * Loads a model folder ({@code config.json}, {@code model.safetensors} or
   * {@code model.safetensors.index.json} with its shards, {@code tokenizer.json},
   * {@code tokenizer_config.json}, optional {@code generation_config.json}), or the bundled model that
   * {@code bundled:NAME} names ({@link BundledModel#resolve(Path)}).
   *
   * @throws BadInputException naming the file and the problem when anything is missing or malformed
   */
  public static LanguageModel load(Path model) {
    return load(model, Device.cpu());
  }

  /**
   * {@link #load(Path)} with weights (and so the KV caches and every step's tensors, which are made in
   * the model's managers) on {@code device}.
   */
  public static LanguageModel load(Path model, Device device) {
    Path directory = BundledModel.resolve(model);
    if (!Files.isDirectory(directory)) {
      throw new BadInputException(directory, "model folder does not exist");
    }
    ModelConfig config = ModelConfig.loadFromDir(directory);
    GenerationConfig generationConfig = GenerationConfig.loadOrDefault(directory);
    Tokenizer tokenizer = Tokenizer.load(directory);
    NDManager manager = TensorEngine.newManager(device);
    try {
      Transformer transformer = Transformer.load(directory, config, manager);
      return new LanguageModel(directory, manager, config, generationConfig, transformer, tokenizer);
    } catch (RuntimeException e) {
      manager.close();
      tokenizer.close();
      throw e;
    }
  }

  /**
   * Loads a model folder ({@link #load(Path)}) with the PEFT LoRA adapter of {@code adapter} attached
   * ({@code adapter_config.json}, {@code adapter_model.safetensors}); a null {@code adapter} loads the
   * base alone.
   *
   * @throws BadInputException naming the file when the adapter is missing, malformed or does not fit
   */
  public static LanguageModel load(Path model, Path adapter) {
    return load(model, adapter, Device.cpu());
  }

  /** {@link #load(Path, Path)} on {@code device}. */
  public static LanguageModel load(Path model, Path adapter, Device device) {
    LanguageModel lm = load(model, device);
    if (adapter == null) return lm;
    try {
      lm.attachAdapter(LoraAdapter.load(adapter, lm.config, lm.manager));
      return lm;
    } catch (RuntimeException e) {
      lm.close();
      throw e;
    }
  }

  /**
   * Attaches a LoRA adapter made for this model (see {@link Transformer#attachAdapter}); create it in
   * {@link #manager()} so that it is freed with the model.
   */
  public void attachAdapter(LoraAdapter adapter) {
    transformer.attachAdapter(adapter);
  }

  /**
   * Attaches a new adapter initialised as PEFT does ({@link LoraAdapter#create}) and returns it; it is
   * freed with the model.
   */
  public LoraAdapter attachNewAdapter(LoraConfig settings, long seed) {
    LoraAdapter a = LoraAdapter.create(config, settings, seed, manager);
    try {
      transformer.attachAdapter(a);
      return a;
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /** The attached LoRA adapter, or null. */
  public LoraAdapter adapter() {
    return transformer.adapter();
  }

  /**
   * This model with its adapter disabled: the same base weights (shared, not copied) in a model of
   * their own, for a LoRA run's reference policy. Close it before this model; it frees only its own
   * tokenizer.
   */
  public LanguageModel withoutAdapter() {
    Tokenizer tok = Tokenizer.load(directory);
    Transformer view = transformer.withoutAdapter();
    return new LanguageModel(directory, view.manager(), config, generationConfig, view, tok);
  }

  /**
   * For benchmarks only: a model of shape {@code config} with random weights ({@link Transformer#random})
   * paired with the tokenizer, chat template and generation defaults of another folder, for a shape no
   * bundled folder has (e.g. {@link ModelConfig#qwen2_5_0_5B()} with the bundled stories260K tokenizer).
   * Its outputs are meaningless: sampled ids the tokenizer does not know decode to nothing, and
   * {@link #directory()} is {@code tokenizerDirectory}, so do not save it as a checkpoint.
   *
   * @throws BadInputException when the tokenizer has ids outside the model's vocabulary
   */
  public static LanguageModel withRandomWeights(Path tokenizerDirectory, ModelConfig config, long seed, double initStd) {
    GenerationConfig generationConfig = GenerationConfig.loadOrDefault(tokenizerDirectory);
    Tokenizer tokenizer = Tokenizer.load(tokenizerDirectory);
    if (tokenizer.vocabSize() > config.vocabSize()) {
      tokenizer.close();
      throw new BadInputException(tokenizerDirectory, "tokenizer has " + tokenizer.vocabSize()
          + " ids, more than the model's vocabulary of " + config.vocabSize());
    }
    NDManager manager = TensorEngine.newManager();
    try {
      Transformer transformer = Transformer.random(config, seed, initStd, manager);
      return new LanguageModel(tokenizerDirectory, manager, config, generationConfig, transformer, tokenizer);
    } catch (RuntimeException e) {
      manager.close();
      tokenizer.close();
      throw e;
    }
  }

  /** Loads the bundled default model (stories260K), offline. */
  public static LanguageModel loadDefault() {
    return load(BundledModel.directory());
  }

  /** Loads {@code directory} ({@code bundled:NAME} for a bundled model), or the bundled default model when it is null. */
  public static LanguageModel loadOrDefault(Path directory) {
    return loadOrDefault(directory, Device.cpu());
  }

  /** {@link #loadOrDefault(Path)} on {@code device}. */
  public static LanguageModel loadOrDefault(Path directory, Device device) {
    return load(directory == null ? BundledModel.directory() : directory, device);
  }

  /** The device the weights live on. */
  public Device device() {
    return manager.getDevice();
  }

  /** The model folder. */
  public Path directory() {
    return directory;
  }

  /** Architecture settings from config.json. */
  public ModelConfig config() {
    return config;
  }

  /** Defaults from generation_config.json (all fields absent when the file is). */
  public GenerationConfig generationConfig() {
    return generationConfig;
  }

  /** The network. */
  public Transformer transformer() {
    return transformer;
  }

  /** The tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The batched sampler. */
  public Generator generator() {
    return generator;
  }

  /** The teacher-forced scorer. */
  public Scorer scorer() {
    return scorer;
  }

  /** The root tensor manager of this model. */
  public NDManager manager() {
    return manager;
  }

  /** The chat template of {@code tokenizer_config.json} (error naming the file when it has none). */
  public ChatTemplate chatTemplate() {
    return ChatTemplate.load(directory);
  }

  /** Renders messages with the chat template and tokenizes the result without adding special tokens again. */
  public int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return encodeChat(messages, addGenerationPrompt, Map.of());
  }

  /** {@link #encodeChat(List, boolean)} with extra template variables ({@code tools}, {@code enable_thinking}, ...). */
  public int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
    String rendered = chatTemplate().render(messages, addGenerationPrompt, variables);
    return tokenizer.encode(rendered, false);
  }

  /**
   * Every token id that ends a generation: {@code eos_token_id} of config.json and
   * generation_config.json (an id or a list) and the tokenizer's eos token.
   */
  public List<Integer> eosTokenIds() {
    Set<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
    ids.addAll(generationConfig.eosTokenIds());
    if (tokenizer.eosTokenId() != null) {
      ids.add(tokenizer.eosTokenId());
    }
    return new ArrayList<>(ids);
  }

  /**
   * Samples completions with the model's EOS ids added to the stop tokens of {@code params}.
   *
   * @see Generator#generate
   */
  public Generation generate(List<int[]> prompts, SamplingParams params, boolean keepCache) {
    return generator.generate(prompts, withEosStops(params), keepCache);
  }

  /**
   * One generation per prompt, each equal to {@code generate(List.of(prompts.get(g)),
   * params.withSeed(seeds[g]), keepCache)} and decoded in one batch where that changes nothing but the
   * time.
   *
   * @see Generator#generateGroups
   */
  public List<Generation> generateGroups(List<int[]> prompts, long[] seeds, SamplingParams params, boolean keepCache) {
    return generator.generateGroups(prompts, seeds, withEosStops(params), keepCache);
  }

  /** {@code params} with the model's EOS ids added to its stop tokens. */
  private SamplingParams withEosStops(SamplingParams params) {
    Set<Integer> stops = new LinkedHashSet<>(params.stopTokenIds());
    stops.addAll(eosTokenIds());
    return params.withStopTokenIds(new ArrayList<>(stops));
  }

  /**
   * An independent copy of this model: the same folder, configuration and tokenizer files, with the
   * current parameter values duplicated (not re-read from disk, so a copy of a model in training holds
   * its trained weights). Close it separately. Used for a lagged scoring policy. With a LoRA adapter
   * only the adapter is copied and the frozen base is shared (close the copy before this model).
   */
  public LanguageModel copy() {
    Tokenizer tok = Tokenizer.load(directory);
    NDManager m = TensorEngine.newManager(manager.getDevice());
    try {
      return new LanguageModel(directory, m, config, generationConfig, transformer.copy(m), tok);
    } catch (RuntimeException e) {
      m.close();
      tok.close();
      throw e;
    }
  }

  /**
   * Overwrites this model's parameters, in place, with those of {@code source} (same architecture): how
   * a lagged copy catches up with the policy.
   */
  public void copyWeightsFrom(LanguageModel source) {
    transformer.copyParametersFrom(source.transformer);
  }

  /** Teacher-forced scores of {@code target} after {@code context}, encoded from scratch. */
  public TokenScores score(int[] context, int[] target) {
    return scorer.score(List.of(context), List.of(target), 1.0, manager).get(0);
  }

  @Override
  public void close() {
    manager.close();
    tokenizer.close();
  }
}
