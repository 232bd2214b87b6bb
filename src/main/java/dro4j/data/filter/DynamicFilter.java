package dro4j.data.filter;

import dro4j.data.Example;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The decision part of R3-based dynamic data filtering (DRO section 3.3), pure and model-free: given
 * each candidate prompt's {@link PromptStatistics}, decide what the next training round uses.
 *
 * <ol>
 *   <li>Stage 1 drops prompts beyond the model's reach: no sampled reasoning brings the average of the
 *       worst {@code rho} share of reference-token ranks within the top-k threshold.
 *   <li>Stage 2 drops the {@code lowVariationDropFraction} of the stage-1 survivors with the lowest
 *       max_j sigma_j: the reference barely depends on the reasoning, so R3 has nothing to compare.
 *   <li>A {@code carryForwardFraction} share of the previous round's training set is kept as well (drawn
 *       with the config's seed), so a round never forgets everything it trained on.
 * </ol>
 */
public final class DynamicFilter {
  private DynamicFilter() {}

  /** Why a prompt was kept or dropped. */
  public enum Decision {
    KEPT,
    DROPPED_OUT_OF_REACH,
    DROPPED_LOW_VARIATION,
    CARRIED_FORWARD
  }

  /** One prompt's outcome with the numbers behind it. */
  public record Outcome(Example example, Decision decision, PromptStatistics statistics) {}

  /** A round's result: the new training set (kept then carried forward) and every outcome. */
  public record Round(List<Example> trainingSet, List<Outcome> outcomes) {
    /** Count of outcomes with decision {@code d}. */
    public long count(Decision d) {
      return outcomes.stream().filter(o -> o.decision() == d).count();
    }
  }

  /**
   * Filters {@code candidates} (examples with their statistics, aligned lists) and carries part of
   * {@code previousTrainingSet} forward (an example already kept is not added twice).
   */
  public static Round apply(List<Example> candidates, List<PromptStatistics> statistics,
      List<Example> previousTrainingSet, FilterConfig config) {
    if (candidates.size() != statistics.size()) {
      throw new IllegalArgumentException(candidates.size() + " candidates but " + statistics.size() + " statistics");
    }
    Map<Integer, Decision> decisions = new LinkedHashMap<>();
    List<Integer> reachable = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      if (statistics.get(i).bestWorstRankAverage() <= config.rankThreshold()) {
        reachable.add(i);
      } else {
        decisions.put(i, Decision.DROPPED_OUT_OF_REACH);
      }
    }
    // Stage 2: lowest max-sigma first; ties broken by position so the result is deterministic.
    List<Integer> byVariation = new ArrayList<>(reachable);
    byVariation.sort(Comparator.<Integer>comparingDouble(i -> statistics.get(i).maxSigma()).thenComparing(i -> i));
    int drop = (int) Math.floor(config.lowVariationDropFraction() * byVariation.size() + 1e-9);
    for (int r = 0; r < byVariation.size(); r++) {
      decisions.put(byVariation.get(r), r < drop ? Decision.DROPPED_LOW_VARIATION : Decision.KEPT);
    }

    List<Example> training = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    Set<String> kept = new LinkedHashSet<>();
    for (int i = 0; i < candidates.size(); i++) {
      Decision d = decisions.get(i);
      outcomes.add(new Outcome(candidates.get(i), d, statistics.get(i)));
      if (d == Decision.KEPT) {
        training.add(candidates.get(i));
        kept.add(candidates.get(i).id());
      }
    }
    int carry = (int) Math.round(config.carryForwardFraction() * previousTrainingSet.size());
    List<Example> pool = new ArrayList<>(previousTrainingSet);
    java.util.Collections.shuffle(pool, new Random(config.seed()));
    int carried = 0;
    for (Example e : pool) {
      if (carried == carry) {
        break;
      }
      if (kept.add(e.id())) {
        training.add(e);
        outcomes.add(new Outcome(e, Decision.CARRIED_FORWARD, null));
        carried++;
      }
    }
    return new Round(training, outcomes);
  }
}
