package dro4j.rl;

/**
 * Writes checkpoints: the trainers call it every {@code save_steps} steps and at the end of training
 * with everything a checkpoint holds. The seam for {@code dro4j.rl.checkpoint}: a sink that calls
 * {@code Checkpoints.save(snapshot.outputDir(), snapshot.step(), snapshot.model(),
 * snapshot.sourceModelDir(), <TrainerState from the snapshot>, <dtype from snapshot.saveDtype()>,
 * snapshot.saveTotalLimit())}.
 */
@FunctionalInterface
public interface CheckpointSink {

  /** Writes one checkpoint; must not keep references to the snapshot's model or optimizer. */
  void save(TrainingSnapshot snapshot);
}
