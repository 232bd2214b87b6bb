package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * RLPR's probability reward (Yu et al. 2025, "RLPR: Extrapolating RLVR to General Domains without
 * Verifiers", arXiv 2506.18254): the mean per-token probability of the reference after the reasoning,
 * debiased by the same score without reasoning, plus RLPR's standard-deviation filtering.
 *
 * <pre>
 *   r_i  = (1/m) sum_j pi(y_j | q, c_i, y_&lt;j)       mean token probability (robust to length)
 *   r'   = (1/m) sum_j pi(y_j | q, y_&lt;j)            the same with an empty reasoning
 *   r^_i = clip(r_i - r', 0, 1)                     debiased reward
 * </pre>
 *
 * <p>The no-reasoning context is the prompt followed directly by the answer prefix (the reasoning
 * removed); on the KV-cache path it is scored from the cached prompt, one row per group.
 *
 * <p><b>Std filtering</b> (optional): RLPR drops prompts whose rewards barely vary across the group,
 * with a threshold beta that follows the reward std by an exponential moving average. Here a group whose
 * population std of r^ is below beta has every score replaced by the group mean (zero advantage under
 * any group-centred estimator, the same as dropping it) and is flagged {@code std_filtered}; then beta
 * becomes {@code decay * beta + (1 - decay) * (mean group std of this call)}. beta starts at the first
 * call's mean group std (our choice). This makes the reward stateful.
 */
public final class RlprReward implements Reward, AutoCloseable {

  /**
   * Settings of {@link RlprReward}.
   *
   * @param scoring split, answer prefix, temperature, scoring policy; default {@link ScoringOptions#defaults()}
   * @param debias subtract the no-reasoning score and clip to [0, 1]; default true (RLPR)
   * @param stdFilter apply std filtering; default false
   * @param stdFilterDecay EMA decay of the threshold, in [0, 1); default 0.99
   */
  public record Config(ScoringOptions scoring, boolean debias, boolean stdFilter, double stdFilterDecay) {
    /** Validates the settings. */
    public Config {
      Objects.requireNonNull(scoring, "scoring");
      if (!(stdFilterDecay >= 0 && stdFilterDecay < 1)) {
        throw new BadInputException("RLPR std filter decay must be in [0, 1), got " + stdFilterDecay);
      }
    }

    /** Debiased, no std filtering, default scoring options. */
    public static Config defaults() {
      return new Config(ScoringOptions.defaults(), true, false, 0.99);
    }

    /** A copy with {@code scoring} replaced. */
    public Config withScoring(ScoringOptions v) {
      return new Config(v, debias, stdFilter, stdFilterDecay);
    }

    /** A copy with {@code debias} replaced. */
    public Config withDebias(boolean v) {
      return new Config(scoring, v, stdFilter, stdFilterDecay);
    }

    /** A copy with {@code stdFilter} replaced. */
    public Config withStdFilter(boolean v) {
      return new Config(scoring, debias, v, stdFilterDecay);
    }
  }

  private final Config config;
  private double threshold = Double.NaN;

  /** With the given settings. */
  public RlprReward(Config config) {
    this.config = config;
  }

  /** With default settings. */
  public RlprReward() {
    this(Config.defaults());
  }

  /** The settings. */
  public Config config() {
    return config;
  }

  @Override
  public String name() {
    return "rlpr";
  }

  /** The current std-filter threshold beta (NaN before the first filtered call). */
  public synchronized double threshold() {
    return threshold;
  }

  /** {@code (1/m) sum_j exp(l_j)}; NaN when m = 0. */
  public static double meanProbability(float[] logprobs) {
    if (logprobs.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (float lp : logprobs) {
      s += Math.exp(lp);
    }
    return s / logprobs.length;
  }

  /** {@code clip(r - rNoReasoning, 0, 1)}. */
  public static double debias(double r, double rNoReasoning) {
    return Math.min(1, Math.max(0, r - rNoReasoning));
  }

  /** Population standard deviation. */
  static double std(double[] v) {
    double mean = 0;
    for (double x : v) {
      mean += x;
    }
    mean /= v.length;
    double var = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
    }
    return Math.sqrt(var / v.length);
  }

  @Override
  public synchronized List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    ScoringOptions scoring = config.scoring();
    ReferenceScorer.Batch batch = ReferenceScorer.scoreAfterReasoning(groups, ctx, scoring);
    List<TokenScores> empty = config.debias()
        ? ReferenceScorer.scoreAfterFixedReasoning(groups, ctx, scoring, new int[0]).scores()
        : null;
    List<double[]> scores = new ArrayList<>(groups.size());
    List<Map<String, Object>> diags = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      ReferenceScorer.GroupScores gs = batch.groups().get(g);
      int size = gs.scores().size();
      double[] raw = new double[size];
      double[] s = new double[size];
      double r0 = empty == null ? 0 : meanProbability(empty.get(g).logprobs());
      for (int i = 0; i < size; i++) {
        raw[i] = meanProbability(gs.scores().get(i).logprobs());
        s[i] = config.debias() ? debias(raw[i], r0) : raw[i];
        if (Double.isNaN(raw[i])) {
          s[i] = Double.NaN; // empty reference: nothing to score
        }
      }
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", batch.fromCache());
      diag.put("mean_probability", raw);
      if (empty != null) {
        diag.put("no_reasoning_probability", r0);
      }
      scores.add(s);
      diags.add(diag);
    }
    if (config.stdFilter()) {
      filter(scores, diags);
    }
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      out.add(new RewardResult(scores.get(g), diags.get(g)));
    }
    return out;
  }

  /**
   * Std filtering of one call's groups (in place): flags and flattens groups below the threshold, then
   * moves the threshold. Package-private for tests.
   */
  void filter(List<double[]> scores, List<Map<String, Object>> diags) {
    double sumStd = 0;
    int counted = 0;
    double[] stds = new double[scores.size()];
    for (int g = 0; g < scores.size(); g++) {
      stds[g] = scores.get(g).length == 0 ? Double.NaN : std(scores.get(g));
      if (Double.isFinite(stds[g])) {
        sumStd += stds[g];
        counted++;
      }
    }
    if (counted == 0) {
      return;
    }
    double meanStd = sumStd / counted;
    if (Double.isNaN(threshold)) {
      threshold = meanStd;
    }
    for (int g = 0; g < scores.size(); g++) {
      boolean drop = Double.isFinite(stds[g]) && stds[g] < threshold;
      diags.get(g).put("std_filtered", drop);
      if (drop) {
        double[] s = scores.get(g);
        double mean = 0;
        for (double x : s) {
          mean += x;
        }
        java.util.Arrays.fill(s, mean / s.length);
      }
    }
    threshold = config.stdFilterDecay() * threshold + (1 - config.stdFilterDecay()) * meanStd;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    config.scoring().policy().close();
  }
}
