package dro4j.reward.likelihood;

import dro4j.LanguageModel;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DRO's Reasoning Reflection Reward (R3; Xu et al. 2025, "Direct Reasoning Optimization", arXiv
 * 2506.13351, section 3). For a prompt q with G rollouts, each split into reasoning c_i and outcome, the
 * reference outcome y is appended after every c_i and scored teacher-forced:
 *
 * <pre>
 *   l_ij    = log pi(y_j | q, c_i, y_&lt;j)         every reference token j, every rollout i
 *   sigma_j = std over i of l_ij                  how much token j reflects the reasoning
 *   R3_i    = sum_j w(sigma)_j * l_ij
 * </pre>
 *
 * <p>A plain sum of log-probs is dominated by the many reference tokens that any reasoning predicts
 * equally well; the few tokens that depend on the reasoning (a name, a number, the key claim) vary
 * across rollouts, so weighting by sigma puts the reward where reasonings differ.
 *
 * <p><b>sigma</b> is the population standard deviation (divide by G). The paper does not say which;
 * sigma describes the spread within this group rather than estimating a population parameter, the
 * factor sqrt(G / (G - 1)) between the two cancels in the default weights (sigma / sum sigma) and in
 * top-k (it only rescales the softmax temperature), and the population form is defined for G = 1
 * (sigma 0, uniform weights) where the unbiased one divides by zero. (GRPO's advantage std is the
 * unbiased one; that is a different quantity.)
 *
 * <p>Options ({@link R3Config}): the weighting w ({@link TokenWeighting}), the masked-CoT baseline
 * ({@link MaskedCotBaseline}), controlled propagation with decay gamma ({@link ControlledPropagation}),
 * the outcome length penalty ({@link OutcomeLengthPenalty}) and the scoring policy ({@link
 * ScoringPolicy}). With all of them: {@code score_i = sum_j w_j (l'_ij - b'_j) + lambda r_len_i}, where
 * ' marks the propagation adjustment (applied to the baseline row b as to every rollout) and w is always
 * computed from the raw l.
 *
 * <p><b>Efficiency.</b> With the current policy and the generation's KV cache, the reference is scored
 * after each rollout's own cached prompt + reasoning, every rollout of every group in one batched call,
 * without re-encoding them ({@link ReferenceScorer}); the masked baseline costs one more batched call of
 * one row per group. Without a cache (or with another scoring policy) contexts are re-encoded.
 *
 * <p><b>Diagnostics</b> per group: {@code sigma} and {@code weights} (per reference token), {@code
 * reference_ids}, {@code logprob_sum} (sum_j l_ij per rollout, DRO-Aggr), {@code r3} (before the
 * length penalty), {@code split_found}, {@code outcome_tokens}, and when enabled {@code
 * baseline_logprobs}, {@code reflective} and {@code length_penalty}; {@code kv_cache} tells which path
 * scored. A group whose reference is empty scores NaN ({@code empty_reference}).
 */
public final class ReasoningReflectionReward implements Reward, AutoCloseable {
  private final R3Config config;

  /** R3 with {@link R3Config#defaults()}. */
  public ReasoningReflectionReward() {
    this(R3Config.defaults());
  }

  /** With the given settings. */
  public ReasoningReflectionReward(R3Config config) {
    this.config = config;
  }

  /** The {@code config} setting. */
  public R3Config config() {
    return config;
  }

  @Override
  public String name() {
    return "r3";
  }

  /** R3 of one group from its log-probs: sigma, weights, the reflective tokens and the scores. */
  public record GroupR3(double[] sigma, double[] weights, boolean[] reflective, double[] r3) {}

  /**
   * The R3 math on plain arrays.
   *
   * @param logprobs {@code l[i][j]}, G rows of m reference-token log-probs
   * @param baseline {@code b[j]} of the masked-CoT baseline, or null
   */
  public static GroupR3 compute(
      double[][] logprobs, double[] baseline, TokenWeighting weighting, ControlledPropagation propagation) {
    double[] sigma = tokenStd(logprobs);
    double[] w = weighting.weights(sigma);
    int m = sigma.length;
    boolean[] reflective = propagation.enabled() ? ControlledPropagation.reflective(w) : new boolean[m];
    double[] b = baseline;
    if (b != null && propagation.enabled()) {
      b = ControlledPropagation.adjust(b, reflective, propagation.gamma());
    }
    double[] r3 = new double[logprobs.length];
    for (int i = 0; i < logprobs.length; i++) {
      double[] l = propagation.enabled()
          ? ControlledPropagation.adjust(logprobs[i], reflective, propagation.gamma())
          : logprobs[i];
      double s = 0;
      for (int j = 0; j < m; j++) {
        s += w[j] * (b == null ? l[j] : l[j] - b[j]);
      }
      r3[i] = s;
    }
    return new GroupR3(sigma, w, reflective, r3);
  }

  /**
   * How many float32 units in the last place a token's spread may reach and still count as rounding:
   * sigma_j is taken as 0 below {@code ROUNDING_ULPS * 2^-23 * (1 + mean_i |l_ij|)}.
   *
   * <p>Why: log-probs come from float32 GEMMs whose blocking differs between CPUs (AVX2, AVX-512) and
   * between batch layouts, so the same context scored in two batch rows can differ in the last bits.
   * With sigma-normalised weights that noise would be amplified into large, arbitrary token weights.
   * The bound is relative to the log-probs' magnitude (rounding error scales with it) with an absolute
   * floor for log-probs near 0, and 64 ulps leaves an order of magnitude of margin over the rounding of
   * a logit accumulated over a few thousand products; a real difference between reasonings is many
   * orders larger. Measured on stories260K (AVX-512): four identical rows scored from one cache differed
   * by up to 2.4e-6 nats, a tenth of this bound; with PyTorch's AVX2 kernels they were equal.
   */
  public static final double ROUNDING_ULPS = 64;

  /** 2^-23, the relative spacing of float32 numbers near 1 (the log-probs are float32). */
  static final double FLOAT32_EPSILON = Math.ulp(1.0f);

  /**
   * sigma_j: population standard deviation over rollouts i of {@code l[i][j]} (see the class comment
   * for why population), with spreads at the level of float32 rounding set to exactly 0 (see {@link
   * #ROUNDING_ULPS}), so identical reasonings give uniform weights on any CPU. All rows must have the
   * same length; no rows gives an empty array.
   */
  public static double[] tokenStd(double[][] l) {
    if (l.length == 0) {
      return new double[0];
    }
    int g = l.length;
    int m = l[0].length;
    double[] sigma = new double[m];
    for (int j = 0; j < m; j++) {
      double mean = 0;
      double meanAbs = 0;
      for (double[] row : l) {
        mean += row[j];
        meanAbs += Math.abs(row[j]);
      }
      mean /= g;
      meanAbs /= g;
      double var = 0;
      for (double[] row : l) {
        double d = row[j] - mean;
        var += d * d;
      }
      double s = Math.sqrt(var / g);
      sigma[j] = s <= roundingLevel(meanAbs) ? 0 : s;
    }
    return sigma;
  }

  /** The largest spread of log-probs of mean magnitude {@code meanAbs} that is float32 rounding. */
  static double roundingLevel(double meanAbs) {
    return ROUNDING_ULPS * FLOAT32_EPSILON * (1 + meanAbs);
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    ScoringOptions scoring = config.scoring();
    ReferenceScorer.Batch batch = ReferenceScorer.scoreAfterReasoning(groups, ctx, scoring);
    List<TokenScores> baselines = null;
    if (config.baseline().enabled()) {
      LanguageModel model = scoring.policy().model(ctx);
      int[] masked = model.tokenizer().encode(config.baseline().maskedReasoning(), false);
      baselines = ReferenceScorer.scoreAfterFixedReasoning(groups, ctx, scoring, masked).scores();
    }
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      ReferenceScorer.GroupScores gs = batch.groups().get(g);
      int size = groups.get(g).size();
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", batch.fromCache());
      diag.put("scoring_policy", scoring.policy().toString());
      diag.put("reference_ids", gs.target().referenceIds());
      boolean[] found = new boolean[size];
      int[] outcomeTokens = new int[size];
      for (int i = 0; i < size; i++) {
        ReasoningSplit.Split s = gs.splits().get(i);
        found[i] = s.found();
        outcomeTokens[i] = s.outcomeIds().length;
      }
      diag.put("split_found", found);
      diag.put("outcome_tokens", outcomeTokens);
      if (gs.referenceLength() == 0) {
        double[] nan = new double[size];
        Arrays.fill(nan, Double.NaN);
        diag.put("empty_reference", true);
        out.add(new RewardResult(nan, diag));
        continue;
      }
      double[][] l = gs.logprobs();
      double[] b = baselines == null ? null : toDoubles(baselines.get(g).logprobs());
      GroupR3 r = compute(l, b, config.weighting(), config.propagation());
      double[] scores = r.r3().clone();
      double[] sums = new double[size];
      for (int i = 0; i < size; i++) {
        sums[i] = Arrays.stream(l[i]).sum();
      }
      diag.put("sigma", r.sigma());
      diag.put("weights", r.weights());
      diag.put("logprob_sum", sums);
      diag.put("r3", r.r3());
      if (b != null) {
        diag.put("baseline_logprobs", b);
      }
      if (config.propagation().enabled()) {
        diag.put("reflective", r.reflective());
      }
      OutcomeLengthPenalty lp = config.lengthPenalty();
      if (lp.enabled()) {
        double[] rLen = new double[size];
        for (int i = 0; i < size; i++) {
          rLen[i] = OutcomeLengthPenalty.rLen(gs.referenceLength(), outcomeTokens[i], lp.beta());
          scores[i] += lp.weight() * rLen[i];
        }
        diag.put("length_penalty", rLen);
      }
      out.add(new RewardResult(scores, diag));
    }
    return out;
  }

  static double[] toDoubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    config.scoring().policy().close();
  }
}
