package dro4j.rl;

import dro4j.model.Transformer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The state of a run at a step boundary, as a {@link CheckpointSink} sees it. The model and the
 * optimizer are live objects: read them during {@code save}, do not keep them.
 *
 * @param step steps completed
 * @param model the policy being trained (its parameters are the weights to save)
 * @param sourceModelDir the folder the policy was loaded from (tokenizer files, config.json and
 *     generation_config.json to copy beside the weights)
 * @param optimizer AdamW, whose moments and step count are the optimizer state
 * @param skippedUpdates updates skipped by the non-finite guard so far
 * @param dataPosition examples consumed so far (the next example read is at this position of {@link
 *     DataOrder})
 * @param seed the run's seed
 * @param config the resolved configuration, by key
 * @param outputDir {@code output_dir}
 * @param saveTotalLimit {@code save_total_limit} (null: keep all)
 * @param saveDtype {@code save_dtype}: float32 or bfloat16
 * @param trainingSet the filter round and its training set (GRPO with {@code filter_dataset}), or null
 * @param epoch the (fractional) epoch reached: the {@code epoch} the step metrics report
 * @param logHistory every reported step's metrics so far, oldest first, each with its {@code step} and
 *     {@code epoch} (transformers' {@code log_history}); empty from a trainer, filled in by the step loop
 */
public record TrainingSnapshot(
    long step,
    Transformer model,
    Path sourceModelDir,
    AdamW optimizer,
    long skippedUpdates,
    long dataPosition,
    long seed,
    Map<String, Object> config,
    Path outputDir,
    Integer saveTotalLimit,
    String saveDtype,
    TrainingSetState trainingSet,
    double epoch,
    List<Map<String, Object>> logHistory) {

  /** Copies the history. */
  public TrainingSnapshot {
    logHistory = logHistory == null ? List.of() : List.copyOf(logHistory);
  }

  /** A snapshot of a run without a filtered training set, epoch or log history. */
  public TrainingSnapshot(long step, Transformer model, Path sourceModelDir, AdamW optimizer, long skippedUpdates,
      long dataPosition, long seed, Map<String, Object> config, Path outputDir, Integer saveTotalLimit,
      String saveDtype) {
    this(step, model, sourceModelDir, optimizer, skippedUpdates, dataPosition, seed, config, outputDir, saveTotalLimit,
        saveDtype, null, 0.0, List.of());
  }

  /** The same snapshot with {@code history} as its log history. */
  public TrainingSnapshot withLogHistory(List<Map<String, Object>> history) {
    return new TrainingSnapshot(step, model, sourceModelDir, optimizer, skippedUpdates, dataPosition, seed, config,
        outputDir, saveTotalLimit, saveDtype, trainingSet, epoch, history);
  }

  /** The optimizer state and counters a resumed run restores. */
  public ResumeState resumeState() {
    return ResumeState.capture(step, optimizer, skippedUpdates, trainingSet).withLogHistory(logHistory);
  }
}
