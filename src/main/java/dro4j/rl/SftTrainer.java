package dro4j.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.model.TensorEngine;
import dro4j.rl.config.SftConfig;
import dro4j.rollout.ConversationTokens;
import dro4j.text.ChatMessage;
import dro4j.rl.config.TrainingArguments;
import dro4j.task.PromptRenderer;
import dro4j.task.Tasks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning on prompt-completion examples (TRL's SFTTrainer for prompt-completion data):
 * the cold start before RL and the supervised baseline. The prompt comes from the example's fields as
 * for GRPO (the task path, {@link PromptRenderer}), the completion is its {@code reference} (plus EOS); the loss is the
 * cross-entropy of the completion tokens ({@link SftObjective}). With {@code assistant_only_loss} an
 * example is a conversation instead (its metadata {@code messages}, tool calls and tool results included)
 * laid out as the multi-turn rollout lays it out, and the loss covers the assistant's tokens only: the
 * tool-use warm start before GRPO on an environment. It shares the optimizer, schedule,
 * gradient accumulation, non-finite guard, data order and step loop with {@link GrpoTrainer}.
 *
 * <pre>{@code
 * try (SftTrainer trainer = SftTrainer.builder(config).build()) {
 *   double before = trainer.evaluate(heldOut);
 *   trainer.train();
 *   double after = trainer.evaluate(heldOut);
 * }
 * }</pre>
 */
public final class SftTrainer implements AutoCloseable, TrainingLoop.Trainer {
  /** The metadata key of a conversational example's messages ({@code assistant_only_loss}). */
  public static final String MESSAGES = "messages";
  private final SftConfig config;
  private final TrainingArguments args;
  private final LanguageModel policy;
  private final boolean ownsPolicy;
  private final List<Example> dataset;
  private final DataOrder order;
  private final PromptRenderer prompts;
  private final Optimization optimization;
  private final List<StepListener> listeners;
  private final CheckpointSink checkpoints;
  private final long totalSteps;
  private final List<Map<String, Object>> resumedHistory;
  private long completedSteps;
  private long skippedUpdates;

  private SftTrainer(Builder b, LanguageModel policy, boolean ownsPolicy, List<Example> dataset) {
    this.config = b.config;
    this.args = config.training();
    this.policy = policy;
    this.ownsPolicy = ownsPolicy;
    this.dataset = List.copyOf(dataset);
    this.order = new DataOrder(dataset.size(), args.seed(), args.shuffleDataset());
    this.prompts = PromptRenderer.forTask(policy, Tasks.byName(args.task()), args.promptTemplate(), args.systemPrompt(), null,
        args.chatTemplateKwargs());
    this.totalSteps = args.totalSteps(dataset.size(), config.examplesPerStep());
    this.optimization = new Optimization(policy.transformer(), args, totalSteps);
    this.listeners = List.copyOf(b.listeners);
    this.checkpoints = b.checkpoints;
    this.resumedHistory = b.resume == null ? List.of() : b.resume.logHistory();
    if (b.resume != null) {
      optimization.restore(b.resume);
      this.completedSteps = b.resume.step();
      this.skippedUpdates = b.resume.skippedUpdates();
    }
  }

  /** A builder for a run with {@code config}. */
  public static Builder builder(SftConfig config) {
    return new Builder(config);
  }

  /** Runs the remaining steps up to the configured total, reporting and checkpointing on the way. */
  public TrainingSummary train() {
    return TrainingLoop.run(this, totalSteps, args, listeners, checkpoints, resumedHistory);
  }

  /** Runs the next step (one optimizer update) and returns its metrics. */
  @Override
  public Map<String, Object> step() {
    long index = completedSteps;
    long start = System.nanoTime();
    int perStep = config.examplesPerStep();
    int[] picked = order.indices(index * perStep, perStep);
    List<SftBatch> batches = new ArrayList<>();
    for (int s = 0; s < picked.length; s += config.perDeviceTrainBatchSize()) {
      int[] part = Arrays.copyOfRange(picked, s, Math.min(picked.length, s + config.perDeviceTrainBatchSize()));
      List<Example> examples = new ArrayList<>();
      for (int i : part) examples.add(dataset.get(i));
      batches.add(batch(examples));
    }
    long targets = 0;
    long inputTokens = 0;
    for (SftBatch b : batches) {
      targets += b.lossTokens();
      inputTokens += b.inputTokens();
    }

    optimization.zeroGradients();
    double loss = 0;
    long correct = 0;
    boolean finite = true;
    int firstRow = 0;
    for (SftBatch batch : batches) {
      long[] rowSeeds = Seeds.loraDropoutRows(args.seed(), index, firstRow, batch.rows());
      firstRow += batch.rows();
      try (NDScope scope = new NDScope();
          NDManager m = policy.manager().newSubManager();
          dro4j.model.LoraAdapter.DropoutScope dropout = dro4j.model.LoraAdapter.dropout(policy.transformer(), rowSeeds);
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        scope.suppressNotUsedWarning();
        // the collector records the graph; Terms.backward back-propagates (recomputing when checkpointed)
        SftObjective.Terms t =
            SftObjective.microBatch(policy.transformer(), batch, targets, args.gradientCheckpointing(), m);
        if (!Double.isFinite(t.lossValue())) {
          finite = false;
          break;
        }
        t.backward();
        loss += t.lossValue();
        correct += t.correct();
      }
    }
    Optimization.Update u = finite ? optimization.update(index) : null;
    if (u == null || !u.applied()) {
      skippedUpdates++;
      optimization.zeroGradients();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("step", index + 1);
    metrics.put("epoch", order.epoch((index + 1) * perStep));
    if (finite) metrics.put("loss", loss);
    metrics.put("mean_token_accuracy", (double) correct / Math.max(1, targets));
    metrics.put("num_target_tokens", targets);
    if (u != null) metrics.put("grad_norm", u.gradNorm());
    metrics.put("learning_rate", optimization.learningRate(index));
    metrics.put("skipped_updates", skippedUpdates);
    metrics.put("train_tokens_per_second", inputTokens / Math.max(seconds, 1e-9));
    metrics.put("time/step", seconds);
    completedSteps++;
    return metrics;
  }

  /**
   * Mean negative log-likelihood (nats per token) of the completions of {@code examples} under the
   * current policy, without gradients: the held-out metric of SFT. Uses the same prompts, EOS and
   * truncation as training.
   */
  public double evaluate(List<Example> examples) {
    if (examples.isEmpty()) throw new BadInputException("evaluate: no examples");
    double nll = 0;
    long targets = 0;
    for (int s = 0; s < examples.size(); s += config.perDeviceTrainBatchSize()) {
      SftBatch batch = batch(examples.subList(s, Math.min(examples.size(), s + config.perDeviceTrainBatchSize())));
      try (NDScope scope = new NDScope();
          NDManager m = policy.manager().newSubManager()) {
        scope.suppressNotUsedWarning();
        SftObjective.Terms t = SftObjective.microBatch(policy.transformer(), batch, 1, m);
        nll += t.nllSum();
        targets += t.targets();
      }
    }
    return nll / Math.max(1, targets);
  }

  /** The (prompt, completion) ids of examples, laid out for a forward pass. */
  private SftBatch batch(List<Example> examples) {
    if (config.assistantOnlyLoss()) return conversationBatch(examples);
    List<int[]> ps = new ArrayList<>();
    List<int[]> cs = new ArrayList<>();
    Integer eos = policy.tokenizer().eosTokenId();
    for (Example e : examples) {
      int[] p = prompts.ids(e);
      int[] c = policy.tokenizer().encode(e.reference(), false);
      if (config.appendEos() && eos != null && (c.length == 0 || c[c.length - 1] != eos)) {
        c = Arrays.copyOf(c, c.length + 1);
        c[c.length - 1] = eos;
      }
      // truncation_mode keep_start: cut the end of prompt + completion
      Integer max = config.maxLength();
      if (max != null && p.length + c.length > max) {
        if (p.length >= max) {
          p = Arrays.copyOf(p, max);
          c = new int[0];
        } else {
          c = Arrays.copyOf(c, max - p.length);
        }
      }
      ps.add(p);
      cs.add(c);
    }
    return SftBatch.of(ps, cs, config.completionOnlyLoss());
  }

  /**
   * {@code assistant_only_loss}: each example's {@code messages} as the rollout's tokens ({@link
   * ConversationTokens}), the assistant's tokens the targets; {@code max_length} keeps the start.
   */
  private SftBatch conversationBatch(List<Example> examples) {
    List<int[]> rows = new ArrayList<>();
    List<boolean[]> targets = new ArrayList<>();
    for (Example e : examples) {
      String where = "example " + e.id();
      if (!(e.metadata().get(MESSAGES) instanceof List<?> list)) {
        throw new BadInputException(where + ": assistant_only_loss needs the conversation in metadata '" + MESSAGES
            + "' (a list of {role, content, tool_calls} messages, as synthetic-finqa --format finqa-tools writes)");
      }
      List<ChatMessage> messages = new ArrayList<>();
      for (Object m : list) {
        if (!(m instanceof Map<?, ?> map)) throw new BadInputException(where + ": each of '" + MESSAGES + "' must be an object");
        messages.add(ChatMessage.fromMap(map, where + ", message " + messages.size()));
      }
      List<Map<String, Object>> tools = new ArrayList<>();
      if (e.metadata().get("tools") instanceof List<?> ts) {
        for (Object t : ts) {
          if (!(t instanceof Map<?, ?> map)) throw new BadInputException(where + ": each of 'tools' must be a JSON schema object");
          @SuppressWarnings("unchecked")
          Map<String, Object> schema = (Map<String, Object>) map;
          tools.add(schema);
        }
      }
      ConversationTokens.Encoded enc = ConversationTokens.encode(policy, messages, tools, args.chatTemplateKwargs(), where);
      int[] ids = enc.ids();
      boolean[] target = enc.policy();
      Integer max = config.maxLength();
      if (max != null && ids.length > max) {
        ids = Arrays.copyOf(ids, max);
        target = Arrays.copyOf(target, max);
      }
      rows.add(ids);
      targets.add(target);
    }
    return SftBatch.ofTargets(rows, targets);
  }

  /** The run's state now: what a checkpoint saves. */
  @Override
  public TrainingSnapshot snapshot() {
    return new TrainingSnapshot(completedSteps, policy.transformer(), policy.directory(), optimization.optimizer(),
        skippedUpdates, completedSteps * config.examplesPerStep(), args.seed(), config.toMap(), args.outputDir(),
        args.saveTotalLimit(), args.saveDtype(), null, order.epoch(completedSteps * config.examplesPerStep()), List.of());
  }

  /** Steps completed (including those before a resume). */
  @Override
  public long completedSteps() {
    return completedSteps;
  }

  /** Updates skipped by the non-finite guard. */
  @Override
  public long skippedUpdates() {
    return skippedUpdates;
  }

  /** Steps of the whole run. */
  public long totalSteps() {
    return totalSteps;
  }

  /** The model being trained. */
  public LanguageModel policy() {
    return policy;
  }

  /** Frees the optimizer state and the model, if this trainer loaded it. */
  @Override
  public void close() {
    optimization.close();
    if (ownsPolicy) policy.close();
  }

  /** Assembles an {@link SftTrainer}; what is not given is loaded from the configuration. */
  public static final class Builder {
    private final SftConfig config;
    private LanguageModel policy;
    private List<Example> dataset;
    private final List<StepListener> listeners = new ArrayList<>();
    private CheckpointSink checkpoints;
    private ResumeState resume;

    private Builder(SftConfig config) {
      if (config == null) throw new BadInputException("SftTrainer: no configuration given");
      this.config = config;
    }

    /** The model to train (default: loaded from {@code model}); the caller keeps ownership. */
    public Builder policy(LanguageModel model) {
      this.policy = model;
      return this;
    }

    /** The examples (default: read from {@code dataset}, or the bundled colour questions). */
    public Builder dataset(List<Example> examples) {
      this.dataset = examples;
      return this;
    }

    /** Adds a listener for the reported steps. */
    public Builder listener(StepListener listener) {
      listeners.add(listener);
      return this;
    }

    /** Where checkpoints go (default: none are written). */
    public Builder checkpoints(CheckpointSink sink) {
      this.checkpoints = sink;
      return this;
    }

    /** Continues a run whose weights the policy already holds. */
    public Builder resumeFrom(ResumeState state) {
      this.resume = state;
      return this;
    }

    /** Loads what was not given. */
    public SftTrainer build() {
      TrainingArguments args = config.training();
      List<Example> examples = dataset != null ? dataset
          : args.dataset() != null ? Tasks.byName(args.task()).load(args.dataset())
          : DemoData.forTask(args.task(), DemoData::colorQuestions);
      if (examples.isEmpty()) throw new BadInputException("the data set is empty");
      LanguageModel p = policy != null ? policy : LanguageModel.loadOrDefault(args.model(), TensorEngine.device(args.device()));
      try {
        Adapters.attachIfAsked(p, args);
        return new SftTrainer(this, p, policy == null, examples);
      } catch (RuntimeException e) {
        if (policy == null) p.close();
        throw e;
      }
    }
  }
}
