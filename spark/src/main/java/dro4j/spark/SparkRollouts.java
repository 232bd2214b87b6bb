package dro4j.spark;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.reward.Reward;
import dro4j.rl.GroupRollout;
import dro4j.rl.RewardFactory;
import dro4j.rl.RewardScoring;
import dro4j.rl.RolloutWorkers;
import dro4j.rl.config.RewardSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * {@code rollout_workers: spark}: a GRPO step's groups sampled and scored on Spark's executors. Each
 * step the driver broadcasts the policy's LoRA adapter ({@link AdapterWeights}, the only part of the
 * policy that changes), and each task samples its groups with {@link GroupRollout#sample}, the
 * in-process trainer's unit, on its executor's copy of the frozen base ({@link ExecutorModels}) with
 * that adapter, scores them with the job's rewards from each group's own KV cache, and sends back token
 * ids, sampling log-probs and rewards. The trainer then computes advantages and updates as in-process.
 * Each group is seeded by (seed, step, example id), so the checkpoint is the in-process run's whatever
 * the partitioning or the attempts Spark retries (at the same PyTorch threads per task).
 */
public final class SparkRollouts implements RolloutWorkers {
  private final JavaSparkContext sc;
  private final String model;
  private final Integer partitions;
  private final java.io.PrintWriter err;
  private long shippedAdapterBytes;
  private long shippedGroupBytes;

  /**
   * Workers on {@code sc}'s executors for base model {@code model} (a folder every executor sees, {@code
   * bundled:NAME}, or null for the bundled default), in {@code partitions} tasks per step (null: one
   * task per group); {@code err} receives one line on what the first step shipped.
   */
  public SparkRollouts(JavaSparkContext sc, String model, Integer partitions, java.io.PrintWriter err) {
    this.sc = sc;
    this.model = model;
    this.partitions = partitions;
    this.err = err;
  }

  @Override
  public List<GroupRollout.Result> sample(Step step) {
    if (step.rewardSpecs() == null) {
      throw new BadInputException("rollout_workers: spark rebuilds the rewards by name on each executor: configure them"
          + " as rewards in the job, not as Reward objects");
    }
    refuseLagged(step.rewardSpecs());
    if (step.policy().adapter() == null) {
      throw new BadInputException("rollout_workers: spark needs use_peft: true (the policy has no LoRA adapter to ship)");
    }
    AdapterWeights weights = AdapterWeights.of(step.policy().adapter());
    Broadcast<AdapterWeights> adapter = sc.broadcast(weights);
    try {
      // broadcast ids restart with each Spark application, and in local mode one JVM can see several
      RolloutJob job = new RolloutJob(model, step.rewardSpecs(), step.sampling(), step.step(),
          sc.sc().applicationId() + "/" + adapter.id());
      List<GroupRollout.Group> groups = step.groups();
      List<Tuple2<Integer, GroupRollout.Group>> indexed = new ArrayList<>(groups.size());
      for (int i = 0; i < groups.size(); i++) indexed.add(new Tuple2<>(i, groups.get(i)));
      if (shippedAdapterBytes == 0) {
        shippedAdapterBytes = weights.serializedBytes();
        shippedGroupBytes = AdapterWeights.serializedSize(new ArrayList<>(indexed)) + AdapterWeights.serializedSize(job);
        err.printf("dro4j-spark: each step ships the LoRA adapter (%,d bytes serialized, %d tensors) and the step's"
            + " groups and settings (%,d bytes), never the base model%n", shippedAdapterBytes, weights.values().size(),
            shippedGroupBytes);
        err.flush();
      }
      int slices = partitions != null ? partitions : groups.size();
      List<Partitions.Output<GroupRollout.Result>> outputs = Partitions.collect(() -> sc.parallelize(indexed, slices)
          .mapPartitions((Iterator<Tuple2<Integer, GroupRollout.Group>> part) ->
              List.of(sample(job, adapter, part)).iterator())
          .collect());
      return Partitions.inOrder(outputs, groups.size());
    } finally {
      adapter.destroy();
    }
  }

  /** The serialized bytes of the adapter one step ships (0 before the first step). */
  public long shippedAdapterBytes() {
    return shippedAdapterBytes;
  }

  /** The serialized bytes of the first step's groups and settings (0 before the first step). */
  public long shippedGroupBytes() {
    return shippedGroupBytes;
  }

  /** One task: its groups, each sampled and scored on its own, with this executor's base and the step's adapter. */
  private static Partitions.Output<GroupRollout.Result> sample(RolloutJob job, Broadcast<AdapterWeights> adapter,
      Iterator<Tuple2<Integer, GroupRollout.Group>> part) {
    LanguageModel base = ExecutorModels.get(job.model(), null);
    LanguageModel policy = ExecutorModels.adapted(job.model(), job.adapterKey(), adapter::value);
    List<RewardScoring.Weighted> weighted = new ArrayList<>();
    try {
      for (RewardSpec spec : job.rewards()) {
        weighted.add(new RewardScoring.Weighted(RewardFactory.builtIn().create(spec.name(), spec.params()), spec.weight()));
      }
      RewardScoring rewards = new RewardScoring(weighted);
      List<Partitions.Indexed<GroupRollout.Result>> items = new ArrayList<>();
      while (part.hasNext()) {
        Tuple2<Integer, GroupRollout.Group> g = part.next();
        // with LoRA the reference policy is the base with the adapter off: this executor's base
        items.add(new Partitions.Indexed<>(g._1(), GroupRollout.sample(policy, base, rewards, job.sampling(), g._2(),
            job.step())));
      }
      return new Partitions.Output<>(items, ExecutorModels.loadSeconds(job.model(), null));
    } catch (BadInputException e) {
      throw new InputFailure(e);
    } finally {
      for (RewardScoring.Weighted w : weighted) Reward.closeIfNeeded(w.reward());
    }
  }

  /**
   * A lagged scoring policy is a copy of the policy from some steps ago, which only the trainer's process
   * holds; executors hold the current adapter only.
   */
  static void refuseLagged(List<RewardSpec> specs) {
    for (RewardSpec s : specs) {
      if (mentionsLagged(s.params())) {
        throw new BadInputException("reward " + s.name() + ": scoring_policy lagged is not available with rollout_workers:"
            + " spark (executors receive the current adapter only); use current or reference, or rollout_workers: local");
      }
    }
  }

  private static boolean mentionsLagged(Object value) {
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if ("scoring_policy".equals(e.getKey()) && "lagged".equals(e.getValue())) return true;
        if (mentionsLagged(e.getValue())) return true;
      }
    } else if (value instanceof List<?> l) {
      for (Object o : l) if (mentionsLagged(o)) return true;
    }
    return false;
  }

  /** Stops Spark. */
  @Override
  public void close() {
    sc.close();
  }
}
