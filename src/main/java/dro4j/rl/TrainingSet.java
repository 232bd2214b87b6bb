package dro4j.rl;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.filter.DynamicFilter;
import dro4j.data.filter.FilterRunner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The examples a GRPO run draws its prompts from, and in which order: the whole data set, or, with
 * R3-based dynamic filtering ({@code filter_dataset}; DRO, Xu et al. 2025, arXiv 2506.13351, section
 * 3.3), the set that the latest filter round kept.
 *
 * <p>Rounds: round 0 filters the whole data set with the initial policy before the first step; round r
 * filters it again with the current policy before step {@code r * filter_every_steps + 1}, carrying a
 * share of round r-1's set forward ({@link FilterRunner#run}). Within a round the order is a {@link
 * DataOrder} of the round's set, seeded from (seed, round) and read from the round's first step, so
 * the order is a pure function of the seed, the round and the steps since it began; epochs are counted
 * over the current set (the epoch at a round's start plus the round's share).
 *
 * <p>Where the paper is silent, dro4j's choices: candidates are always the whole data set (an example
 * dropped in one round may come back in the next, when the policy can reach it); a round that keeps no
 * example keeps the previous set (round 0: the whole data set) and warns, rather than stopping the run;
 * {@code num_train_epochs} counts epochs of the whole data set when deriving the number of steps.
 *
 * <p>A checkpoint stores {@link #state()}: the round, its first step, the epoch at its start and the ids
 * of its examples, so a resumed run continues with the same set and order (the filter ran with a policy
 * the checkpoint no longer holds, so the set cannot be recomputed).
 */
final class TrainingSet {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingSet.class);

  private final List<Example> all;
  private final FilterRunner filter;
  private final int everySteps;
  private final long seed;
  private final boolean shuffle;
  private List<Example> current;
  private long round = -1;
  private long roundStartStep;
  private double epochAtRoundStart;
  private DataOrder order;

  /**
   * @param all the whole data set, at least one example
   * @param filter the filter, or null to train on {@code all}
   * @param everySteps re-filter every this many steps (0: only before training)
   */
  TrainingSet(List<Example> all, FilterRunner filter, int everySteps, long seed, boolean shuffle) {
    if (all.isEmpty()) throw new BadInputException("the data set is empty");
    this.all = List.copyOf(all);
    this.filter = filter;
    this.everySteps = everySteps;
    this.seed = seed;
    this.shuffle = shuffle;
    if (filter == null) {
      use(this.all, 0, 0, 0);
    } else {
      byId(this.all); // fails early on ids that a checkpoint could not tell apart
    }
  }

  /** Whether a filter round runs before step {@code index} (0-based). */
  boolean filterDue(long index) {
    if (filter == null) return false;
    if (round < 0) return true;
    return everySteps > 0 && index > roundStartStep && index % everySteps == 0;
  }

  /**
   * Runs the filter round that is due before step {@code index} with {@code policy}, if any, and
   * returns its metrics ({@code filter/...}); empty when none was due.
   */
  Map<String, Object> beforeStep(long index, LanguageModel policy, int examplesPerStep) {
    if (!filterDue(index)) return Map.of();
    long start = System.nanoTime();
    long next = round + 1;
    List<Example> previous = round < 0 ? List.of() : current;
    FilterRunner.Result result = filter.run(policy, all, previous, next);
    DynamicFilter.Round r = result.round();
    List<Example> kept = r.trainingSet();
    double epoch = round < 0 ? 0 : epoch(index, examplesPerStep);
    if (kept.isEmpty()) {
      List<Example> fallback = round < 0 ? all : current;
      LOG.warn("filter round {} kept none of {} examples; training goes on with the {} examples of {}", next,
          all.size(), fallback.size(), round < 0 ? "the whole data set" : "the last round");
      kept = fallback;
    } else if (kept.size() * 10L < all.size()) {
      LOG.warn("filter round {} kept {} of {} examples (under 10%)", next, kept.size(), all.size());
    }
    use(kept, next, index, epoch);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("filter/round", next);
    for (DynamicFilter.Decision d : DynamicFilter.Decision.values()) {
      m.put("filter/" + d.name().toLowerCase(java.util.Locale.ROOT), r.count(d));
    }
    m.put("filter/training_set", kept.size());
    m.put("filter/seconds", (System.nanoTime() - start) / 1e9);
    return m;
  }

  /** The examples of step {@code index} (0-based), {@code count} of them. */
  List<Example> examples(long index, int count) {
    int[] picked = order.indices((index - roundStartStep) * count, count);
    List<Example> out = new ArrayList<>(count);
    for (int i : picked) out.add(current.get(i));
    return out;
  }

  /** Epochs (over each round's set) completed after {@code stepsDone} steps of {@code examplesPerStep}. */
  double epoch(long stepsDone, int examplesPerStep) {
    return epochAtRoundStart + order.epoch((stepsDone - roundStartStep) * examplesPerStep);
  }

  /** The current set. */
  List<Example> current() {
    return current;
  }

  /** What a checkpoint stores; null when the run does not filter (the whole data set, seed order). */
  TrainingSetState state() {
    if (filter == null || round < 0) return null;
    List<String> ids = new ArrayList<>(current.size());
    for (Example e : current) ids.add(e.id());
    return new TrainingSetState(round, roundStartStep, epochAtRoundStart, ids);
  }

  /** Continues from a checkpoint's {@link #state()} (null: nothing to restore). */
  void restore(TrainingSetState state) {
    if (state == null) return;
    if (filter == null) {
      throw new BadInputException("the checkpoint was written by a run with filter_dataset; resume it with the same setting");
    }
    Map<String, Example> byId = byId(all);
    List<Example> set = new ArrayList<>(state.exampleIds().size());
    for (String id : state.exampleIds()) {
      Example e = byId.get(id);
      if (e == null) {
        throw new BadInputException("the checkpoint's training set names example '" + id
            + "', which the data set does not have: resume with the data set the run started with");
      }
      set.add(e);
    }
    use(set, state.round(), state.roundStartStep(), state.epochAtRoundStart());
  }

  private void use(List<Example> set, long round, long startStep, double epochAtStart) {
    this.current = List.copyOf(set);
    this.round = filter == null ? -1 : round;
    this.roundStartStep = startStep;
    this.epochAtRoundStart = epochAtStart;
    // Without filtering the order is the run's plain seeded order; each filter round gets its own.
    long orderSeed = filter == null ? seed : Seeds.derive(seed, "filter_round_order", round);
    this.order = new DataOrder(current.size(), orderSeed, shuffle);
  }

  private static Map<String, Example> byId(List<Example> examples) {
    Map<String, Example> out = new HashMap<>();
    for (Example e : examples) {
      if (out.putIfAbsent(e.id(), e) != null) {
        throw new BadInputException("filter_dataset needs distinct example ids (checkpoints name the training set"
            + " by id), but '" + e.id() + "' appears twice");
      }
    }
    return out;
  }
}
