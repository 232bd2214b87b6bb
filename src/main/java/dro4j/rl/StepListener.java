package dro4j.rl;

import java.util.Map;

/**
 * Receives each reported step's metrics (every {@code logging_steps} steps and the last one): the
 * seam for JSONL metric logs, progress bars, plots and tests. Metric names follow TRL's GRPOTrainer
 * logs where one exists ({@code reward}, {@code rewards/<name>/mean}, {@code kl}, {@code
 * clip_ratio/region_mean}, {@code completions/mean_length}, ...); values are numbers.
 */
@FunctionalInterface
public interface StepListener {

  /**
   * Called after step {@code step} (1-based: the number of steps completed).
   *
   * @param metrics the step's metrics by name, in a stable order
   */
  void onStep(long step, Map<String, Object> metrics);

  /** Called once when training ends after {@code step} steps. */
  default void onTrainEnd(long step) {}
}
