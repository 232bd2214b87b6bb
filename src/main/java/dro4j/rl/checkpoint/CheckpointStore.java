package dro4j.rl.checkpoint;

import dro4j.rl.CheckpointSink;
import dro4j.rl.CheckpointSource;
import dro4j.rl.ResumeState;
import dro4j.rl.TrainingSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The trainers' checkpoint seams ({@link CheckpointSink}, {@link CheckpointSource}) implemented with
 * {@link Checkpoints}: crash-safe Hugging Face folders {@code checkpoint-<step>} holding the weights,
 * the tokenizer files, the AdamW moments and the trainer state.
 */
public final class CheckpointStore implements CheckpointSink, CheckpointSource {
  private static final String SKIPPED_UPDATES = "skipped_updates";

  private final Checkpoints.FaultInjector faults;

  /** A store that writes checkpoints normally. */
  public CheckpointStore() {
    this(Checkpoints.FaultInjector.NONE);
  }

  /** A store whose writes pass through {@code faults} (tests simulate crashes with it). */
  public CheckpointStore(Checkpoints.FaultInjector faults) {
    this.faults = faults;
  }

  @Override
  public void save(TrainingSnapshot s) {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put(SKIPPED_UPDATES, s.skippedUpdates());
    extra.put(TrainerState.EPOCH, s.epoch());
    extra.put(TrainerState.LOG_HISTORY, s.logHistory());
    // The data position is one running count of examples consumed (DataOrder reshuffles per epoch
    // from the seed), so it is stored as the index, beside the whole epochs done.
    TrainerState state = TrainerState.capture(
        s.step(), s.seed(), (long) Math.floor(s.epoch()), s.dataPosition(), s.optimizer(), s.config(), Map.of(), extra);
    CheckpointDtype dtype = "bfloat16".equals(s.saveDtype()) ? CheckpointDtype.BFLOAT16 : CheckpointDtype.FLOAT32;
    int limit = s.saveTotalLimit() == null ? 0 : s.saveTotalLimit();
    Checkpoints.save(s.outputDir(), s.step(), s.model(), s.sourceModelDir(), state, dtype, limit, faults);
  }

  @Override
  public Optional<Path> latest(Path outputDir) {
    return Checkpoints.latest(outputDir);
  }

  @Override
  public ResumeState load(Path checkpointDir) {
    TrainerState state = Checkpoints.loadState(checkpointDir);
    Object skipped = state.extra().get(SKIPPED_UPDATES);
    long skippedUpdates = skipped instanceof Number n ? n.longValue() : 0;
    return new ResumeState(state.globalStep(), state.optimizerStepCount(), state.expAvg(), state.expAvgSq(), skippedUpdates,
        logHistory(state.extra().get(TrainerState.LOG_HISTORY)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> logHistory(Object raw) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (raw instanceof List<?> list) {
      for (Object o : list) if (o instanceof Map<?, ?> m) out.add((Map<String, Object>) m);
    }
    return out;
  }
}
