package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * NOVER's reasoning reward (Liu et al. 2025, "NOVER: Incentive Training for Language Models via
 * Verifier-Free Reinforcement Learning", arXiv 2505.16022, section 3): the policy's perplexity of the
 * ground truth g after its reasoning t, with a length normaliser on the reasoning,
 *
 * <pre>
 *   P_r(p, t, g) = exp( - sum_i log pi(g_i | p, t, g_&lt;i) / (|g| * N(|t|)) )
 *   N(|t|)       = max(1, 1 + log10 |t|)
 * </pre>
 *
 * turned into a reward by its rank within the group: sorted by increasing perplexity, the rollout at
 * rank k (0-based) of n valid ones gets {@code R_r = (n - k) / n} (lowest perplexity 1, highest 1/n);
 * invalid rollouts get 0. The paper writes N with {@code log}; the authors' code ({@code
 * calculate_perplexity} in github.com/thinkwee/NOVER) uses {@code log10}, which is followed here. A
 * rollout is valid when its reasoning split was found (NOVER requires a well-formed {@code
 * <think>...</think>}; its format reward gates the rest). Equal perplexities share the better rank (the
 * authors' sort breaks ties by position; sharing keeps identical rollouts' rewards identical).
 *
 * <p>|t| counts reasoning tokens (the split's reasoning ids, marker included).
 */
public final class NoverReward implements Reward, AutoCloseable {

  /** What the reward returns. */
  public enum Output {
    /** NOVER's rank reward R_r in [0, 1] (default). */
    RANK,
    /** {@code -P_r}: the perplexity itself, negated so that higher is better; NaN when invalid. */
    NEGATIVE_PERPLEXITY
  }

  /**
   * Settings of {@link NoverReward}.
   *
   * @param scoring split (default {@code </think>}), answer prefix, temperature, scoring policy;
   *     default {@link ScoringOptions#defaults()}
   * @param output rank reward (default) or negated perplexity
   * @param requireSplit rollouts whose split was not found are invalid (reward 0, not ranked); default
   *     true (NOVER); false scores them through the split's fallback
   */
  public record Config(ScoringOptions scoring, Output output, boolean requireSplit) {
    /** Validates the settings. */
    public Config {
      Objects.requireNonNull(scoring, "scoring");
      if (output == null) {
        throw new BadInputException("NOVER reward needs an output (rank or negative perplexity)");
      }
    }

    /** The documented defaults. */
    public static Config defaults() {
      return new Config(ScoringOptions.defaults(), Output.RANK, true);
    }

    /** A copy with {@code scoring} replaced. */
    public Config withScoring(ScoringOptions v) {
      return new Config(v, output, requireSplit);
    }

    /** A copy with {@code output} replaced. */
    public Config withOutput(Output v) {
      return new Config(scoring, v, requireSplit);
    }

    /** A copy with {@code requireSplit} replaced. */
    public Config withRequireSplit(boolean v) {
      return new Config(scoring, output, v);
    }
  }

  private final Config config;

  /** With the given settings. */
  public NoverReward(Config config) {
    this.config = config;
  }

  /** With default settings. */
  public NoverReward() {
    this(Config.defaults());
  }

  /** The settings. */
  public Config config() {
    return config;
  }

  @Override
  public String name() {
    return "nover";
  }

  /** {@code N(|t|) = max(1, 1 + log10 |t|)} (1 for an empty reasoning). */
  public static double lengthNormaliser(int reasoningLength) {
    return reasoningLength <= 0 ? 1 : Math.max(1, 1 + Math.log10(reasoningLength));
  }

  /** {@code P_r = exp(-(sum_i l_i) / (|g| N(|t|)))}; NaN for an empty reference. */
  public static double reasoningPerplexity(float[] logprobs, int reasoningLength) {
    if (logprobs.length == 0) {
      return Double.NaN;
    }
    return Math.exp(-ReferenceLogProbReward.sum(logprobs) / (logprobs.length * lengthNormaliser(reasoningLength)));
  }

  /**
   * NOVER's rank reward: among valid entries, {@code (n - k) / n} for the k-th lowest perplexity
   * (ties share the lowest k); invalid entries (or NaN perplexities) 0.
   */
  public static double[] rankRewards(double[] perplexity, boolean[] valid) {
    int n = 0;
    for (int i = 0; i < perplexity.length; i++) {
      if (valid[i] && !Double.isNaN(perplexity[i])) {
        n++;
      }
    }
    double[] out = new double[perplexity.length];
    for (int i = 0; i < perplexity.length; i++) {
      if (!valid[i] || Double.isNaN(perplexity[i])) {
        continue;
      }
      int better = 0; // valid entries with strictly lower perplexity
      for (int k = 0; k < perplexity.length; k++) {
        if (valid[k] && !Double.isNaN(perplexity[k]) && perplexity[k] < perplexity[i]) {
          better++;
        }
      }
      out[i] = (n - better) / (double) n;
    }
    return out;
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    ReferenceScorer.Batch batch = ReferenceScorer.scoreAfterReasoning(groups, ctx, config.scoring());
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (ReferenceScorer.GroupScores gs : batch.groups()) {
      int size = gs.scores().size();
      double[] ppl = new double[size];
      boolean[] valid = new boolean[size];
      for (int i = 0; i < size; i++) {
        ReasoningSplit.Split s = gs.splits().get(i);
        valid[i] = s.found() || !config.requireSplit();
        ppl[i] = reasoningPerplexity(gs.scores().get(i).logprobs(), s.reasoningIds().length);
      }
      double[] scores;
      if (gs.referenceLength() == 0) {
        scores = new double[size];
        java.util.Arrays.fill(scores, Double.NaN); // nothing to score
      } else if (config.output() == Output.RANK) {
        scores = rankRewards(ppl, valid);
      } else {
        scores = new double[size];
        for (int i = 0; i < size; i++) {
          scores[i] = valid[i] ? -ppl[i] : Double.NaN;
        }
      }
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", batch.fromCache());
      diag.put("perplexity", ppl);
      diag.put("valid", valid);
      out.add(new RewardResult(scores, diag));
    }
    return out;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    config.scoring().policy().close();
  }
}
