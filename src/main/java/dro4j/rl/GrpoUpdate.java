package dro4j.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dro4j.LanguageModel;
import dro4j.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;

/**
 * The training half of a GRPO step: given scored rollouts and their advantages, runs {@code
 * num_iterations} optimizer updates, each over {@code gradient_accumulation_steps} micro-batches.
 * Reference log-probs (beta > 0) and, when there is more than one iteration, the sampling policy's
 * log-probs are computed once, without gradients, before the first update.
 *
 * <p>Every micro-batch runs in its own {@link NDScope} and sub-manager, so nothing of a step outlives
 * it except the parameters' gradients (zeroed before each update's window) and AdamW's state.
 */
final class GrpoUpdate {
  private final LanguageModel policy;
  private final LanguageModel reference;
  private final Optimization optimization;
  private final GrpoObjective.Settings settings;
  private final int numIterations;
  private final int accumulationSteps;
  private final long seed;

  /** @param seed the run's seed (LoRA dropout masks derive from it, the update and the row) */
  GrpoUpdate(LanguageModel policy, LanguageModel reference, Optimization optimization,
      GrpoObjective.Settings settings, int numIterations, int accumulationSteps, long seed) {
    this.seed = seed;
    this.policy = policy;
    this.reference = reference;
    this.optimization = optimization;
    this.settings = settings;
    this.numIterations = numIterations;
    this.accumulationSteps = accumulationSteps;
  }

  /** What the updates of one step did, averaged over iterations and weighted by loss tokens. */
  record Result(int applied, int skipped, double loss, double gradNorm, double learningRate, double klMean,
      ClipFractions clip, double entropy, long inputTokens) {}

  /**
   * Trains on the given rows.
   *
   * @param countsInLoss false for rows whose tokens the loss ignores (truncated, when masked)
   * @param firstUpdateIndex the run-wide index of this step's first update (for the schedule)
   */
  Result run(List<int[]> prompts, List<int[]> completions, boolean[] countsInLoss, double[] advantages,
      long firstUpdateIndex) {
    return run(split(prompts, completions, countsInLoss, advantages, null, null), prompts.size(), firstUpdateIndex,
        settings);
  }

  /**
   * Trains on multi-turn trajectories: row b's completion is every token after its first prompt,
   * {@code lossMasks.get(b)} marks the policy's own tokens (the only ones with loss) and {@code
   * tokenAdvantages.get(b)} gives each token its advantage. Observation tokens make rows longer
   * than {@code max_completion_length}; {@code dr_grpo}'s constant denominator is then the longest row.
   */
  Result runMasked(List<int[]> prompts, List<int[]> completions, List<float[]> lossMasks, List<float[]> tokenAdvantages,
      long firstUpdateIndex) {
    int widest = settings.maxCompletionLength();
    for (int[] c : completions) widest = Math.max(widest, c.length);
    return run(split(prompts, completions, null, null, lossMasks, tokenAdvantages), prompts.size(), firstUpdateIndex,
        settings.withMaxCompletionLength(widest));
  }

  private Result run(List<Chunk> chunks, int batchRows, long firstUpdateIndex, GrpoObjective.Settings settings) {
    long lossTokens = 0;
    long inputTokens = 0;
    for (Chunk c : chunks) {
      lossTokens += c.batch.lossTokens();
      inputTokens += c.batch.inputTokens();
    }
    NDManager root = policy.manager();
    for (Chunk c : chunks) {
      if (settings.beta() > 0) c.ref = SequenceLogProbs.toHost(reference.transformer(), c.batch, settings.temperature(), reference.manager());
      if (numIterations > 1) c.old = SequenceLogProbs.toHost(policy.transformer(), c.batch, settings.temperature(), root);
    }

    int applied = 0;
    int skipped = 0;
    double lossSum = 0;
    double gradNormSum = 0;
    double lr = Double.NaN;
    double kl = 0;
    double low = 0;
    double high = 0;
    double region = 0;
    double entropy = 0;
    double weight = 0;
    for (int it = 0; it < numIterations; it++) {
      optimization.zeroGradients();
      double loss = 0;
      boolean finite = true;
      for (Chunk c : chunks) {
        GrpoObjective.Terms t;
        long[] rowSeeds = Seeds.loraDropoutRows(seed, firstUpdateIndex + it, c.firstRow, c.batch.rows());
        try (NDScope scope = new NDScope();
            NDManager m = root.newSubManager();
            LoraAdapter.DropoutScope dropout = LoraAdapter.dropout(policy.transformer(), rowSeeds);
            GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          scope.suppressNotUsedWarning();
          // the collector records the graph; Terms.backward back-propagates (recomputing when checkpointed)
          t = c.tokenAdvantages != null
              ? GrpoObjective.microBatchPerToken(policy.transformer(), c.batch, c.tokenAdvantages, c.old, c.ref,
                  settings, batchRows, lossTokens, m)
              : GrpoObjective.microBatch(policy.transformer(), c.batch, c.advantages, c.old, c.ref, settings,
                  batchRows, lossTokens, m);
          if (!Double.isFinite(t.lossValue())) {
            finite = false;
          } else {
            t.backward();
          }
        }
        if (!finite) break;
        loss += t.lossValue();
        double w = t.lossTokens();
        weight += w;
        kl += w * t.klMean();
        low += w * t.clip().low();
        high += w * t.clip().high();
        region += w * t.clip().region();
        entropy += w * t.entropyMean();
      }
      lossSum += finite ? loss : Double.NaN;
      Optimization.Update u = finite ? optimization.update(firstUpdateIndex + it) : null;
      if (u != null) {
        gradNormSum += u.gradNorm();
        if (Double.isNaN(lr)) lr = u.learningRate();
      } else {
        gradNormSum = Double.NaN;
        if (Double.isNaN(lr)) lr = optimization.learningRate(firstUpdateIndex + it);
      }
      if (u != null && u.applied()) {
        applied++;
      } else {
        skipped++;
        optimization.zeroGradients(); // do not leave NaN gradients behind
      }
    }
    double w = Math.max(weight, 1);
    return new Result(applied, skipped, lossSum / numIterations, gradNormSum / numIterations, lr,
        settings.beta() > 0 ? kl / w : Double.NaN, new ClipFractions(low / w, high / w, region / w), entropy / w,
        inputTokens * numIterations);
  }

  /** One micro-batch: its rows laid out, their advantages, and the log-probs computed before training. */
  private static final class Chunk {
    final PolicyBatch batch;
    final double[] advantages;
    final float[][] tokenAdvantages;
    int firstRow;
    float[][] old;
    float[][] ref;

    Chunk(PolicyBatch batch, double[] advantages, float[][] tokenAdvantages) {
      this.batch = batch;
      this.advantages = advantages;
      this.tokenAdvantages = tokenAdvantages;
    }
  }

  /** Contiguous micro-batches of nearly equal size, at most gradient_accumulation_steps of them. */
  private List<Chunk> split(List<int[]> prompts, List<int[]> completions, boolean[] countsInLoss, double[] advantages,
      List<float[]> lossMasks, List<float[]> tokenAdvantages) {
    int rows = prompts.size();
    int n = Math.min(accumulationSteps, rows);
    List<Chunk> out = new ArrayList<>(n);
    int start = 0;
    for (int k = 0; k < n; k++) {
      int end = start + (rows - start) / (n - k);
      if (lossMasks == null) {
        boolean[] loss = java.util.Arrays.copyOfRange(countsInLoss, start, end);
        out.add(new Chunk(PolicyBatch.of(prompts.subList(start, end), completions.subList(start, end), loss),
            java.util.Arrays.copyOfRange(advantages, start, end), null));
      } else {
        PolicyBatch batch = PolicyBatch.masked(prompts.subList(start, end), completions.subList(start, end),
            lossMasks.subList(start, end));
        float[][] adv = new float[end - start][batch.completionWidth()];
        for (int i = start; i < end; i++) {
          float[] a = tokenAdvantages.get(i);
          System.arraycopy(a, 0, adv[i - start], 0, a.length);
        }
        out.add(new Chunk(batch, null, adv));
      }
      out.get(k).firstRow = start;
      start = end;
    }
    return out;
  }
}
