package dro4j.rollout;

import dro4j.data.Example;
import dro4j.generate.Completion;
import dro4j.generate.FinishReason;
import dro4j.generate.Generation;
import dro4j.model.KvCache;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * The trajectories of one rollout call and the KV cache that holds them (row {@code q * G + j}:
 * trajectory j of example q). Close it to free the cache.
 *
 * <p>{@link #groups()} presents each trajectory to the rewards as a {@link Rollout}: its ids are the
 * whole trajectory after the prompt (policy and observation tokens, exactly as generated and
 * appended), its text is the final policy turn (the answer), its cache row is the trajectory's row.
 * Every reward therefore works on trajectories unchanged: R3 splits the ids at the last reasoning
 * marker, which lies in the final turn, and scores the reference after it from this cache, every
 * earlier turn in context.
 */
public final class TrajectoryBatch implements AutoCloseable {
  private final List<Example> examples;
  private final int groupSize;
  private final List<Trajectory> trajectories;
  private final Generation generation;

  TrajectoryBatch(List<Example> examples, int groupSize, List<Trajectory> trajectories, KvCache cache) {
    this.examples = List.copyOf(examples);
    this.groupSize = groupSize;
    this.trajectories = List.copyOf(trajectories);
    List<int[]> prompts = new ArrayList<>();
    List<Completion> completions = new ArrayList<>();
    for (int r = 0; r < trajectories.size(); r++) {
      Trajectory t = trajectories.get(r);
      if (r % groupSize == 0) prompts.add(t.promptIds());
      completions.add(new Completion(r / groupSize, t.tokens(), t.finalText(), t.logprobs(), finishReason(t)));
    }
    this.generation = Generation.of(prompts, completions, cache);
  }

  private static FinishReason finishReason(Trajectory t) {
    return t.stopReason() == StopReason.MAX_COMPLETION_LENGTH ? FinishReason.LENGTH : FinishReason.STOP;
  }

  /** The trajectories, grouped by example. */
  public List<Trajectory> trajectories() {
    return trajectories;
  }

  /** Trajectories per example, G. */
  public int groupSize() {
    return groupSize;
  }

  /** The examples, in order. */
  public List<Example> examples() {
    return examples;
  }

  /** The trajectories as a generation (completion r = trajectory r) that owns the cache; for {@code RewardContext}. */
  public Generation generation() {
    return generation;
  }

  /** The KV cache holding every trajectory. */
  public KvCache cache() {
    return generation.cache();
  }

  /** The trajectories as reward groups, one per example. */
  public List<RolloutGroup> groups() {
    List<RolloutGroup> out = new ArrayList<>(examples.size());
    for (int q = 0; q < examples.size(); q++) {
      List<Rollout> rollouts = new ArrayList<>(groupSize);
      for (int j = 0; j < groupSize; j++) {
        int r = q * groupSize + j;
        rollouts.add(Rollout.of(generation.completions().get(r), r));
      }
      out.add(new RolloutGroup(examples.get(q), trajectories.get(q * groupSize).promptIds(), rollouts));
    }
    return out;
  }

  /** Frees the cache. */
  @Override
  public void close() {
    generation.close();
  }
}
