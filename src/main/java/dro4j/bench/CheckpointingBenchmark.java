package dro4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
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
 * checkpointing: the trainer's micro-batch loss ({@link GrpoObjective#microBatch}, beta 0, advantage
 * 1), its backward, then clipping and AdamW ({@link Optimization}), on random token ids.
 *
 * <p>The peak is the process's high-water resident set ({@code VmHWM}), reset before each variant by
 * writing 5 to {@code /proc/self/clear_refs} (Linux), so one process measures both. The checkpointed
 * variant runs first: memory the allocator keeps after a variant can then only be reused by the next,
 * never counted against the smaller one. Each variant gets a fresh AdamW whose moments are freed
 * afterwards. A short warm-up update runs first; as every update, it frees the gradients when done,
 * so the baseline printed is the weights (and the runtime), and each variant's backward makes the
 * gradients anew, inside its measured peak.
 */
public final class CheckpointingBenchmark {
  private CheckpointingBenchmark() {}

  /**
   * What one variant measured.
   *
   * @param backwardPeakMiB peak RSS from the start of the update to the end of backward
   * @param updatePeakMiB peak RSS over the whole update, AdamW's first step (its moments) included
   */
  public record Result(boolean checkpointing, double forwardBackwardSeconds, double optimizerSeconds,
      double backwardPeakMiB, double updatePeakMiB) {}

  /** Runs both variants on {@code model} and prints the table; returns checkpointed, then recorded. */
  public static List<Result> run(Transformer model, int promptLength, int completionLength, PrintWriter out) {
    if (!resetPeak()) {
      throw new IllegalStateException("bench --checkpointing needs Linux's /proc/self/clear_refs to reset the peak RSS");
    }
    for (NDArray p : model.parameters().values()) p.setRequiresGradient(true);
    out.printf("One GRPO update (loss, backward, clipping, AdamW) of 1 row: %d prompt + %d completion tokens, beta 0,"
        + " %d layers, hidden %d, vocabulary %d%n", promptLength, completionLength, model.config().numLayers(),
        model.config().hiddenSize(), model.config().vocabSize());
    update(model, 16, 16, false, 1); // warm-up; its update frees the gradients again
    double baseline = MemoryBenchmark.residentMiB();
    out.printf("baseline RSS (weights and runtime; each update makes and frees the gradients): %.0f MiB%n", baseline);
    out.flush();
    Result checkpointed = update(model, promptLength, completionLength, true, 2);
    Result recorded = update(model, promptLength, completionLength, false, 2);
    out.printf("%-22s %12s %12s %18s %18s%n", "gradient_checkpointing", "fwd+bwd s", "AdamW s", "peak fwd+bwd MiB",
        "peak update MiB");
    for (Result r : List.of(recorded, checkpointed)) {
      out.printf("%-22s %12.2f %12.2f %18.0f %18.0f%n", r.checkpointing(), r.forwardBackwardSeconds(),
          r.optimizerSeconds(), r.backwardPeakMiB(), r.updatePeakMiB());
    }
    out.printf("gradients, activations and transients (peak fwd+bwd - baseline): %.0f MiB recorded, %.0f MiB"
            + " checkpointed%n",
        recorded.backwardPeakMiB() - baseline, checkpointed.backwardPeakMiB() - baseline);
    out.printf("checkpointing: peak RSS -%.1f%% to the end of backward, -%.1f%% over the whole update (AdamW's moments"
            + " included); forward + backward time %+.1f%%%n",
        100 * (1 - checkpointed.backwardPeakMiB() / recorded.backwardPeakMiB()),
        100 * (1 - checkpointed.updatePeakMiB() / recorded.updatePeakMiB()),
        100 * (checkpointed.forwardBackwardSeconds() / recorded.forwardBackwardSeconds() - 1));
    out.flush();
    return List.of(checkpointed, recorded);
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
      return new Result(checkpointing, backward, optimizer, backwardPeak, peakMiB());
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
