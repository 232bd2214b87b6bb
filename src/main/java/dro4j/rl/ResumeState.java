package dro4j.rl;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a trainer needs, besides the weights, to continue a run exactly where it stopped. Every random
 * choice derives from (seed, step, row) and the data order from (seed, epoch), so no random-generator
 * state is needed: the step number places the run in the data and in the sampling streams. The
 * weights themselves come from the checkpoint's model folder, loaded as the policy.
 *
 * @param step steps completed (the next step run is {@code step + 1})
 * @param optimizerSteps AdamW's step count (applied updates, its bias correction)
 * @param expAvg AdamW first moments by parameter name, flattened
 * @param expAvgSq AdamW second moments by parameter name, flattened
 * @param skippedUpdates updates skipped by the non-finite guard so far (to keep the counter going)
 * @param trainingSet the filter round and its training set (GRPO with {@code filter_dataset}), or null
 * @param logHistory the reported steps' metrics up to {@code step} (transformers' {@code log_history}),
 *     which the resumed run's checkpoints continue
 * @param torchNumThreads the PyTorch thread count the run used when it wrote the checkpoint, or null
 *     when the checkpoint does not record it (a run continued at another count is not bit-identical to
 *     an uninterrupted one)
 */
public record ResumeState(
    long step, long optimizerSteps, Map<String, float[]> expAvg, Map<String, float[]> expAvgSq, long skippedUpdates,
    TrainingSetState trainingSet, List<Map<String, Object>> logHistory, Integer torchNumThreads) {

  /** A state without a filtered training set, log history or thread count. */
  public ResumeState(
      long step, long optimizerSteps, Map<String, float[]> expAvg, Map<String, float[]> expAvgSq, long skippedUpdates) {
    this(step, optimizerSteps, expAvg, expAvgSq, skippedUpdates, null, List.of(), null);
  }

  /** The same state with {@code history} as its log history. */
  public ResumeState withLogHistory(List<Map<String, Object>> history) {
    return new ResumeState(step, optimizerSteps, expAvg, expAvgSq, skippedUpdates, trainingSet, history, torchNumThreads);
  }

  public ResumeState {
    if (step < 0 || optimizerSteps < 0 || skippedUpdates < 0) {
      throw new dro4j.BadInputException("resume state: negative step count");
    }
    expAvg = Collections.unmodifiableMap(new LinkedHashMap<>(expAvg));
    expAvgSq = Collections.unmodifiableMap(new LinkedHashMap<>(expAvgSq));
    logHistory = logHistory == null ? List.of() : List.copyOf(logHistory);
  }

  /** A copy of an optimizer's state after {@code step} steps. */
  public static ResumeState capture(long step, AdamW optimizer, long skippedUpdates, TrainingSetState trainingSet) {
    Map<String, float[]> m = new LinkedHashMap<>();
    Map<String, float[]> v = new LinkedHashMap<>();
    for (String name : optimizer.stateNames()) {
      m.put(name, optimizer.expAvg(name));
      v.put(name, optimizer.expAvgSq(name));
    }
    return new ResumeState(step, optimizer.stepCount(), m, v, skippedUpdates, trainingSet, List.of(), null);
  }
}
