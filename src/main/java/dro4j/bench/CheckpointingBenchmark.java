package dro4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dro4j.model.LoraAdapter;
import dro4j.model.LoraConfig;
import dro4j.model.Transformer;
import dro4j.rl.GrpoObjective;
import dro4j.rl.KlEstimator;
import dro4j.rl.LossType;
import dro4j.rl.Optimization;
import dro4j.rl.PolicyBatch;
import dro4j.rl.config.GrpoConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Peak memory and time of one GRPO update on a single long completion, with and without gradient
 * checkpointing, with full parameters or a LoRA adapter: the trainer's micro-batch loss ({@link
 * GrpoObjective#microBatch}, beta 0, advantage 1), its backward, then clipping and AdamW ({@link
 * Optimization}), on random token ids.
 *
 * <p>Each variant runs in a process of its own ({@link #runVariant}; {@code bench --checkpointing}
 * starts one child JVM per variant and prints {@link #table}), so memory one variant's allocator kept
 * can never count against another. The peak is the process's high-water resident set ({@code VmHWM}),
 * reset before the measured update by writing 5 to {@code /proc/self/clear_refs} (Linux). A short
 * warm-up update runs first; as every update, it frees the gradients when done, so the baseline
 * printed is the weights (and the runtime), and the measured backward makes the gradients anew, inside
 * its peak. Its AdamW is a fresh one: the update's peak includes the first step's moments.
 */
public final class CheckpointingBenchmark {
  private CheckpointingBenchmark() {}

  /** What a child prints before its result's JSON, so the parent finds it among the other lines. */
  public static final String RESULT_PREFIX = "checkpointing-variant-result ";

  /** One measured case: full parameters or LoRA, recorded or checkpointed. */
  public enum Variant {
    FULL_RECORDED(false, false), FULL_CHECKPOINTED(false, true), LORA_RECORDED(true, false),
    LORA_CHECKPOINTED(true, true);

    /** Whether a LoRA adapter (r 16, alpha 32, dropout 0.05, all linear layers) trains instead of the whole model. */
    public final boolean lora;
    /** Whether {@code gradient_checkpointing} is on. */
    public final boolean checkpointing;

    Variant(boolean lora, boolean checkpointing) {
      this.lora = lora;
      this.checkpointing = checkpointing;
    }

    /** The command-line name: {@code full-recorded}, {@code lora-checkpointed}, ... */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The variant of a {@link #label()}; an {@link IllegalArgumentException} naming the choices otherwise. */
    public static Variant of(String label) {
      for (Variant v : values()) {
        if (v.label().equals(label)) return v;
      }
      throw new IllegalArgumentException("checkpointing variant must be one of full-recorded, full-checkpointed,"
          + " lora-recorded, lora-checkpointed, not '" + label + "'");
    }
  }

  /**
   * What one variant measured (MiB of resident memory, seconds).
   *
   * @param loadedMiB RSS once the model (and adapter) exist, before any update
   * @param heapCommittedMiB Java heap committed at that point
   * @param baselineMiB RSS after the warm-up update (gradients freed again)
   * @param backwardPeakMiB peak RSS from the start of the update to the end of backward
   * @param updatePeakMiB peak RSS over the whole update, AdamW's first step (its moments) included
   */
  public record Result(String variant, double loadedMiB, double heapCommittedMiB, double baselineMiB,
      double forwardBackwardSeconds, double optimizerSeconds, double backwardPeakMiB, double updatePeakMiB) {}

  /**
   * Measures {@code variant} on {@code model} in this process and prints its result, last, as one line
   * starting with {@link #RESULT_PREFIX}. With {@link Variant#lora} an adapter is attached first (the
   * model must have none). {@code loadedMiB} is the RSS the caller saw right after making the model.
   */
  public static Result runVariant(Transformer model, Variant variant, int promptLength, int completionLength,
      double loadedMiB, PrintWriter out) {
    if (!resetPeak()) {
      throw new IllegalStateException("bench --checkpointing needs Linux's /proc/self/clear_refs to reset the peak RSS");
    }
    double heapCommitted = Runtime.getRuntime().totalMemory() / 1048576.0;
    if (variant.lora) {
      LoraConfig lora = LORA.training().loraConfig();
      model.attachAdapter(LoraAdapter.create(model.config(), lora, 0, model.manager()));
    }
    out.printf("%s: one GRPO update (loss, backward, clipping, AdamW) of 1 row, %d prompt + %d completion tokens,"
            + " beta 0, %d layers, hidden %d, vocabulary %d, %s%n", variant.label(), promptLength, completionLength,
        model.config().numLayers(), model.config().hiddenSize(), model.config().vocabSize(),
        variant.lora ? "LoRA r 16, alpha 32, dropout 0.05, all linear layers" : "full parameters");
    out.printf("after loading: RSS %.0f MiB, Java heap committed %.0f MiB%n", loadedMiB, heapCommitted);
    update(model, 16, 16, false, 1); // warm-up; its update frees the gradients again
    double baseline = MemoryBenchmark.residentMiB();
    out.printf("baseline RSS (weights and runtime; each update makes and frees the gradients): %.0f MiB%n", baseline);
    out.flush();
    Result r = update(model, promptLength, completionLength, variant.checkpointing, 2);
    r = new Result(variant.label(), loadedMiB, heapCommitted, baseline, r.forwardBackwardSeconds(),
        r.optimizerSeconds(), r.backwardPeakMiB(), r.updatePeakMiB());
    out.println(RESULT_PREFIX + resultJson(r));
    out.flush();
    return r;
  }

  /** The settings of the LoRA variants: those of {@code bench --lora-step} and {@code grpo_step_lora}. */
  private static final GrpoConfig LORA = GrpoConfig.builder().usePeft(true).loraR(16).loraAlpha(32).build();

  private static String resultJson(Result r) {
    return String.format(java.util.Locale.ROOT, "{\"variant\":\"%s\",\"loaded_mib\":%.1f,\"heap_committed_mib\":%.1f,"
            + "\"baseline_mib\":%.1f,\"fwd_bwd_s\":%.3f,\"adamw_s\":%.3f,\"peak_fwd_bwd_mib\":%.1f,"
            + "\"peak_update_mib\":%.1f}", r.variant(), r.loadedMiB(), r.heapCommittedMiB(), r.baselineMiB(),
        r.forwardBackwardSeconds(), r.optimizerSeconds(), r.backwardPeakMiB(), r.updatePeakMiB());
  }

  /** The result in a line that {@link #runVariant} printed, or null when the line is not one. */
  public static Result parseResult(String line) {
    if (!line.startsWith(RESULT_PREFIX)) return null;
    try {
      com.fasterxml.jackson.databind.JsonNode n =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(line.substring(RESULT_PREFIX.length()));
      return new Result(n.get("variant").asText(), n.get("loaded_mib").asDouble(),
          n.get("heap_committed_mib").asDouble(), n.get("baseline_mib").asDouble(), n.get("fwd_bwd_s").asDouble(),
          n.get("adamw_s").asDouble(), n.get("peak_fwd_bwd_mib").asDouble(), n.get("peak_update_mib").asDouble());
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("unreadable checkpointing result line: " + line, e);
    }
  }

  /** The table of the variants' results, with the reduction of each checkpointed variant against its recorded one. */
  public static void table(List<Result> results, PrintWriter out) {
    out.printf("%-19s %10s %10s %10s %10s %9s %16s %16s%n", "variant", "loaded MiB", "heap MiB", "base MiB",
        "fwd+bwd s", "AdamW s", "peak fwd+bwd MiB", "peak update MiB");
    for (Result r : results) {
      out.printf("%-19s %10.0f %10.0f %10.0f %10.2f %9.2f %16.0f %16.0f%n", r.variant(), r.loadedMiB(),
          r.heapCommittedMiB(), r.baselineMiB(), r.forwardBackwardSeconds(), r.optimizerSeconds(),
          r.backwardPeakMiB(), r.updatePeakMiB());
    }
    for (String kind : List.of("full", "lora")) {
      Result recorded = find(results, kind + "-recorded");
      Result checkpointed = find(results, kind + "-checkpointed");
      if (recorded == null || checkpointed == null) continue;
      out.printf("%s: checkpointing cuts the peak RSS by %.1f%% to the end of backward and %.1f%% over the whole"
              + " update (AdamW's first step included); forward + backward time %+.1f%%%n", kind,
          100 * (1 - checkpointed.backwardPeakMiB() / recorded.backwardPeakMiB()),
          100 * (1 - checkpointed.updatePeakMiB() / recorded.updatePeakMiB()),
          100 * (checkpointed.forwardBackwardSeconds() / recorded.forwardBackwardSeconds() - 1));
    }
    out.flush();
  }

  private static Result find(List<Result> results, String variant) {
    for (Result r : results) {
      if (r.variant().equals(variant)) return r;
    }
    return null;
  }

  private static Result update(Transformer model, int promptLength, int completionLength, boolean checkpointing,
      long seed) {
    Random rng = new Random(seed);
    int vocab = model.config().vocabSize();
    int[] prompt = new int[promptLength];
    int[] completion = new int[completionLength];
    for (int i = 0; i < promptLength; i++) prompt[i] = rng.nextInt(vocab);
    for (int i = 0; i < completionLength; i++) completion[i] = rng.nextInt(vocab);
    PolicyBatch batch = PolicyBatch.of(List.of(prompt), List.of(completion));
    GrpoObjective.Settings settings = new GrpoObjective.Settings(0.2, 0.2, 0, KlEstimator.K3, LossType.DAPO,
        completionLength, 1.0, checkpointing);
    GrpoConfig config = GrpoConfig.builder().learningRate(1e-6).build();
    try (Optimization optimization = new Optimization(model, config.training(), 1)) {
      optimization.zeroGradients();
      resetPeak();
      long start = System.nanoTime();
      try (NDScope scope = new NDScope();
          NDManager m = model.manager().newSubManager();
          LoraAdapter.DropoutScope dropout = LoraAdapter.dropout(model, new long[] {seed}); // masks as in training
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        scope.suppressNotUsedWarning();
        GrpoObjective.microBatch(model, batch, new double[] {1.0}, null, null, settings, 1, batch.lossTokens(), m)
            .backward();
      }
      double backward = (System.nanoTime() - start) / 1e9;
      double backwardPeak = peakMiB();
      long optimizerStart = System.nanoTime();
      optimization.update(0);
      double optimizer = (System.nanoTime() - optimizerStart) / 1e9;
      return new Result(checkpointing ? "checkpointed" : "recorded", -1, -1, -1, backward, optimizer, backwardPeak,
          peakMiB());
    }
  }

  /** Resets the process's peak RSS to its current RSS; false where that is not possible. */
  static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** Peak resident set size since the last reset, in MiB ({@code VmHWM}), or -1 where unavailable. */
  static double peakMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux
    }
    return -1;
  }
}
