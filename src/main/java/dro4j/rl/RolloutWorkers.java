package dro4j.rl;

import dro4j.LanguageModel;
import dro4j.generate.SamplingParams;
import dro4j.rl.config.RewardSpec;
import java.util.List;

/**
 * Where a GRPO step's groups are sampled and scored ({@code rollout_workers}): in the trainer's process
 * ({@code local}, the default) or on other machines (dro4j-spark's {@code train} gives the trainer one
 * that runs them on Spark executors). Either way each group goes through {@link GroupRollout#sample},
 * and the trainer computes the advantages and updates the policy from what comes back, in group order.
 */
public interface RolloutWorkers extends AutoCloseable {

  /**
   * One step's rollout work.
   *
   * @param step the training step (0-based)
   * @param policy the trainer's policy as it is now (with its LoRA adapter, the part that changes each step)
   * @param groups the step's groups in order, each with its prompt ids and seed
   * @param sampling the step's sampling settings ({@link GroupRollout#sampling})
   * @param rewardSpecs the configured rewards, or null when the trainer was given {@code Reward} objects
   *     (which cannot be rebuilt elsewhere)
   */
  record Step(long step, LanguageModel policy, List<GroupRollout.Group> groups, SamplingParams sampling,
      List<RewardSpec> rewardSpecs) {}

  /** Samples and scores every group of {@code step}; the results are in the order of {@code step.groups()}. */
  List<GroupRollout.Result> sample(Step step);

  /** Frees what the workers hold (a cluster connection); nothing for in-process workers. */
  @Override
  default void close() {}
}
