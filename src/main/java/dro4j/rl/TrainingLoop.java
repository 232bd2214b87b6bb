package dro4j.rl;

import dro4j.rl.config.TrainingArguments;
import java.util.List;
import java.util.Map;

/** The step loop both trainers run: steps, metric reports every logging_steps, checkpoints every save_steps and at the end. */
final class TrainingLoop {
  private TrainingLoop() {}

  /** One trainer as the loop drives it. */
  interface Trainer {
    /** Steps completed so far. */
    long completedSteps();

    /** Runs the next step and returns its metrics. */
    Map<String, Object> step();

    /** The run's state after the steps completed so far. */
    TrainingSnapshot snapshot();

    long skippedUpdates();
  }

  static TrainingSummary run(
      Trainer trainer, long totalSteps, TrainingArguments args, List<StepListener> listeners, CheckpointSink sink) {
    long start = System.nanoTime();
    Map<String, Object> last = Map.of();
    while (trainer.completedSteps() < totalSteps) {
      last = trainer.step();
      long done = trainer.completedSteps();
      if (done % args.loggingSteps() == 0 || done == totalSteps) {
        for (StepListener l : listeners) l.onStep(done, last);
      }
      boolean periodic = args.saveSteps() > 0 && done % args.saveSteps() == 0;
      if (sink != null && (periodic || done == totalSteps)) {
        sink.save(trainer.snapshot());
      }
    }
    for (StepListener l : listeners) l.onTrainEnd(trainer.completedSteps());
    return new TrainingSummary(trainer.completedSteps(), trainer.skippedUpdates(), last, (System.nanoTime() - start) / 1e9);
  }
}
