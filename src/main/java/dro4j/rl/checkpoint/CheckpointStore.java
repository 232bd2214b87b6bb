package dro4j.rl.checkpoint;

import dro4j.model.TensorEngine;
import dro4j.rl.CheckpointSink;
import dro4j.rl.CheckpointSource;
import dro4j.rl.ResumeState;
import dro4j.rl.TrainingSnapshot;
import dro4j.rl.TrainingSetState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The trainers' checkpoint seams ({@link CheckpointSink}, {@link CheckpointSource}) implemented with
 * {@link Checkpoints}: crash-safe Hugging Face folders {@code checkpoint-<step>} holding the weights,
 * the tokenizer files, the AdamW moments and the trainer state. The trainer state's {@code extra} holds
 * {@code skipped_updates} and {@value #TORCH_NUM_THREADS}.
 */
public final class CheckpointStore implements CheckpointSink, CheckpointSource {
  private static final String SKIPPED_UPDATES = "skipped_updates";
  private static final String TRAINING_SET = "training_set";
  /** {@code extra} key of the PyTorch intra-op thread count the run used ({@code torch.get_num_threads()}). */
  public static final String TORCH_NUM_THREADS = "torch_num_threads";

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
    if (s.trainingSet() != null) {
      TrainingSetState t = s.trainingSet();
      Map<String, Object> set = new LinkedHashMap<>();
      set.put("round", t.round());
      set.put("round_start_step", t.roundStartStep());
      set.put("epoch_at_round_start", t.epochAtRoundStart());
      set.put("example_ids", t.exampleIds());
      extra.put(TRAINING_SET, set);
    }
    // Results are bit-identical only at the same thread count, so a resume can tell when it differs.
    extra.put(TORCH_NUM_THREADS, TensorEngine.threads());
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
    Object threads = state.extra().get(TORCH_NUM_THREADS);
    Integer torchNumThreads = threads instanceof Number n ? Integer.valueOf(n.intValue()) : null;
    return new ResumeState(state.globalStep(), state.optimizerStepCount(), state.expAvg(), state.expAvgSq(), skippedUpdates,
        trainingSet(checkpointDir, state.extra().get(TRAINING_SET)),
        logHistory(state.extra().get(TrainerState.LOG_HISTORY)), torchNumThreads);
  }

  /** The filtered training set stored by {@link #save}, or null when the run did not filter. */
  private static TrainingSetState trainingSet(Path checkpointDir, Object stored) {
    if (stored == null) return null;
    Path file = checkpointDir.resolve(Checkpoints.TRAINER_STATE_FILE);
    if (!(stored instanceof Map<?, ?> m) || !(m.get("round") instanceof Number round)
        || !(m.get("round_start_step") instanceof Number start) || !(m.get("epoch_at_round_start") instanceof Number epoch)
        || !(m.get("example_ids") instanceof List<?> ids)) {
      throw new dro4j.BadInputException(file, "training_set must hold round, round_start_step,"
          + " epoch_at_round_start and example_ids");
    }
    List<String> names = new ArrayList<>(ids.size());
    for (Object id : ids) {
      if (!(id instanceof String s)) throw new dro4j.BadInputException(file, "training_set.example_ids must be strings");
      names.add(s);
    }
    return new TrainingSetState(round.longValue(), start.longValue(), epoch.doubleValue(), names);
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
