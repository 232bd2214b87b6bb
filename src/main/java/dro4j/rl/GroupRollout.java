package dro4j.rl;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.RewardContext;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.rl.config.GrpoConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Samples and scores one prompt's group of {@code num_generations} rollouts: the unit of a GRPO step's
 * rollouts, which the in-process trainer and dro4j-spark's executors both call, so that the two cannot
 * drift apart. The group is sampled as one generate call of its own (one prompt, G rows, the KV cache
 * kept; {@link #sampleAll} decodes several such calls in one batch with the same bits),
 * seeded by {@link Seeds#groupRollouts}, and the rewards score it from that cache before it closes (R3
 * continues each rollout's cached prompt + reasoning). Its rollouts and rewards are therefore a
 * function of (policy, settings, seed, step, example) only: not of the other prompts of the step, their
 * order, or the machine that samples them (at the same PyTorch thread count, as for any two dro4j runs).
 */
public final class GroupRollout {
  private GroupRollout() {}

  /**
   * One group to sample.
   *
   * @param example the data example (its reference is what R3 scores)
   * @param promptIds the prompt exactly as the policy sees it (task template, chat template, truncation)
   * @param seed the group's sampling seed ({@link Seeds#groupRollouts})
   */
  public record Group(Example example, int[] promptIds, long seed) implements Serializable {
    public Group {
      Objects.requireNonNull(example, "example");
      Objects.requireNonNull(promptIds, "promptIds");
    }
  }

  /**
   * A sampled and scored group.
   *
   * @param completions the G rollouts: token ids, text, the sampling policy's log-probs, finish reason
   * @param rewards each reward's score per rollout, by logged name ({@link RewardScoring#names()})
   * @param total the weighted sum of the rewards per rollout
   * @param generationSeconds time spent sampling
   * @param rewardSeconds time spent scoring
   */
  public record Result(List<Completion> completions, Map<String, double[]> rewards, double[] total,
      double generationSeconds, double rewardSeconds) implements Serializable {
    public Result {
      completions = List.copyOf(completions);
      rewards = new LinkedHashMap<>(rewards);
    }
  }

  /**
   * The groups of a step: one per example, with its prompt ids and its seed (the {@code k}-th occurrence
   * of an example in the step gets occurrence {@code k}).
   */
  public static List<Group> groups(long seed, long step, List<Example> examples, List<int[]> promptIds) {
    if (examples.size() != promptIds.size()) {
      throw new IllegalArgumentException(examples.size() + " examples but " + promptIds.size() + " prompts");
    }
    long[] seeds = seeds(seed, step, examples);
    List<Group> out = new ArrayList<>(examples.size());
    for (int q = 0; q < examples.size(); q++) out.add(new Group(examples.get(q), promptIds.get(q), seeds[q]));
    return out;
  }

  /** The group seeds of a step's examples ({@link Seeds#groupRollouts}, counting repeated examples). */
  static long[] seeds(long seed, long step, List<Example> examples) {
    Map<String, Integer> seen = new HashMap<>();
    long[] out = new long[examples.size()];
    for (int q = 0; q < out.length; q++) {
      String id = examples.get(q).id();
      out[q] = Seeds.groupRollouts(seed, step, id, seen.merge(id, 1, Integer::sum) - 1);
    }
    return out;
  }

  /** The sampling settings of a job's rollouts (temperature, top-p/k, min-p, penalty, lengths, G); the seed is each group's. */
  public static SamplingParams sampling(GrpoConfig config) {
    return SamplingParams.defaults()
        .withTemperature(config.temperature()).withTopP(config.topP()).withTopK(config.topK())
        .withMinP(config.minP()).withRepetitionPenalty(config.repetitionPenalty())
        .withMaxNewTokens(config.maxCompletionLength()).withMinNewTokens(config.minCompletionLength())
        .withNumReturnSequences(config.numGenerations());
  }

  /**
   * Samples {@code group} with {@code policy} and scores it with {@code rewards} from the generation's
   * own KV cache.
   *
   * @param reference the frozen reference policy for rewards that score with it, or null
   * @param sampling the step's sampling settings ({@link #sampling}); the seed is the group's
   * @param step the training step (0-based; rewards with schedules read it)
   */
  public static Result sample(LanguageModel policy, LanguageModel reference, RewardScoring rewards,
      SamplingParams sampling, Group group, long step) {
    return sampleAll(policy, reference, rewards, sampling, List.of(group), step).get(0);
  }

  /**
   * {@link #sample} for each of {@code groups}, with the same results, up to {@link
   * dro4j.generate.Generator#BATCH_ROWS} rows of groups decoded in one batch ({@link
   * LanguageModel#generateGroups}) where that changes nothing but the time. Each group's generation
   * seconds are an equal share of its batch's.
   */
  public static List<Result> sampleAll(LanguageModel policy, LanguageModel reference, RewardScoring rewards,
      SamplingParams sampling, List<Group> groups, long step) {
    return dro4j.generate.Generator.inBatches(groups, sampling.numReturnSequences(),
        batch -> sampleBatch(policy, reference, rewards, sampling, batch, step), null);
  }

  /** {@link #sampleAll} for groups that share one decode batch. */
  private static List<Result> sampleBatch(LanguageModel policy, LanguageModel reference, RewardScoring rewards,
      SamplingParams sampling, List<Group> groups, long step) {
    List<int[]> prompts = new ArrayList<>(groups.size());
    long[] seeds = new long[groups.size()];
    for (int g = 0; g < groups.size(); g++) {
      prompts.add(groups.get(g).promptIds());
      seeds[g] = groups.get(g).seed();
    }
    long t0 = System.nanoTime();
    List<Generation> generations = policy.generateGroups(prompts, seeds, sampling, true);
    double generationSeconds = (System.nanoTime() - t0) / 1e9 / groups.size();
    List<Result> out = new ArrayList<>(groups.size());
    try {
      for (int g = 0; g < groups.size(); g++) {
        Group group = groups.get(g);
        Generation generation = generations.get(g);
        List<Completion> completions = generation.completions();
        List<Rollout> rollouts = new ArrayList<>(completions.size());
        for (int j = 0; j < completions.size(); j++) rollouts.add(Rollout.of(completions.get(j), j));
        long t1 = System.nanoTime();
        RewardScoring.Scores scores = rewards.score(
            List.of(new RolloutGroup(group.example(), group.promptIds(), rollouts)),
            new RewardContext(policy, reference, generation, step));
        out.add(new Result(completions, scores.perReward(), scores.total(), generationSeconds,
            (System.nanoTime() - t1) / 1e9));
        generation.close(); // before the next group's scoring: one group's cache at a time beyond this point
      }
    } finally {
      generations.forEach(Generation::close);
    }
    return out;
  }

  /**
   * A step's groups joined in order: the rollouts prompt-major and each reward's scores (and the
   * totals) concatenated, as if the step had been scored in one call.
   */
  static RewardScoring.Scores scores(List<Result> results) {
    int rows = 0;
    for (Result r : results) rows += r.total().length;
    double[] total = new double[rows];
    Map<String, double[]> perReward = new LinkedHashMap<>();
    int row = 0;
    for (Result r : results) {
      System.arraycopy(r.total(), 0, total, row, r.total().length);
      for (Map.Entry<String, double[]> e : r.rewards().entrySet()) {
        double[] flat = perReward.computeIfAbsent(e.getKey(), k -> new double[total.length]);
        System.arraycopy(e.getValue(), 0, flat, row, e.getValue().length);
      }
      row += r.total().length;
    }
    return new RewardScoring.Scores(perReward, total);
  }
}
