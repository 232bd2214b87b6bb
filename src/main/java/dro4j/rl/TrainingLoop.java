package dro4j.rl;

import dro4j.rl.config.TrainingArguments;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

  /**
   * Runs the steps left; {@code history} is the log history before them (a resumed run's, else empty),
   * which each reported step extends and each checkpoint records.
   */
  static TrainingSummary run(Trainer trainer, long totalSteps, TrainingArguments args, List<StepListener> listeners,
      CheckpointSink sink, List<Map<String, Object>> history) {
    long start = System.nanoTime();
    Map<String, Object> last = Map.of();
    List<Map<String, Object>> log = new ArrayList<>(history);
    while (trainer.completedSteps() < totalSteps) {
      last = trainer.step();
      long done = trainer.completedSteps();
      if (done % args.loggingSteps() == 0 || done == totalSteps) {
        for (StepListener l : listeners) l.onStep(done, last);
        log.add(historyEntry(done, last));
      }
      boolean periodic = args.saveSteps() > 0 && done % args.saveSteps() == 0;
      if (sink != null && (periodic || done == totalSteps)) {
        sink.save(trainer.snapshot().withLogHistory(log));
      }
    }
    for (StepListener l : listeners) l.onTrainEnd(trainer.completedSteps());
    return new TrainingSummary(trainer.completedSteps(), trainer.skippedUpdates(), last, (System.nanoTime() - start) / 1e9);
  }

  /**
   * One {@code log_history} entry as transformers writes it: the numeric metrics with {@code step} and
   * {@code epoch}; a non-finite value is kept as its name ({@code "NaN"}), as metrics.jsonl writes it.
   * Wall-clock measurements ({@link #isTiming}) are left out: they differ between identical runs, and
   * checkpoints of identical runs must be byte-identical (metrics.jsonl keeps them; transformers'
   * per-step entries hold no timings either).
   */
  static Map<String, Object> historyEntry(long step, Map<String, Object> metrics) {
    Map<String, Object> entry = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : metrics.entrySet()) {
      if (isTiming(e.getKey())) {
        continue;
      }
      if (e.getValue() instanceof Double d && !Double.isFinite(d)) {
        entry.put(e.getKey(), Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
      } else if (e.getValue() instanceof Number || e.getValue() instanceof String || e.getValue() instanceof Boolean) {
        entry.put(e.getKey(), e.getValue());
      }
    }
    entry.put("step", step);
    return entry;
  }

  /** Whether a metric is a wall-clock measurement: {@code time/...}, {@code .../seconds}, {@code ..._per_second}. */
  static boolean isTiming(String key) {
    return key.startsWith("time/") || key.equals("seconds") || key.endsWith("/seconds") || key.endsWith("per_second");
  }
}
