package dro4j.spark;

import dro4j.generate.SamplingParams;
import dro4j.rl.config.RewardSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * What every executor needs to sample and score a step's groups, besides the adapter (broadcast) and
 * the groups themselves (the tasks' input).
 *
 * @param model the base model as every executor sees it, {@code bundled:NAME}, or null for the bundled default
 * @param rewards the job's rewards, rebuilt by name on each executor
 * @param sampling the step's sampling settings (each group brings its seed)
 * @param step the training step (0-based; rewards with schedules read it)
 * @param adapterKey names the step's adapter (the Spark application and the broadcast's id): which adapted
 *     policy an executor holds
 */
public record RolloutJob(String model, List<RewardSpec> rewards, SamplingParams sampling, long step, String adapterKey)
    implements Serializable {
  /** Checks the settings that are required. */
  public RolloutJob {
    rewards = List.copyOf(Objects.requireNonNull(rewards, "rewards"));
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(adapterKey, "adapterKey");
  }
}
