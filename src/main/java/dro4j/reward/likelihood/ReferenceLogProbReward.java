package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Log-probability of the reference after the reasoning, summed or averaged over its tokens:
 *
 * <pre>
 *   SUM:  r_i = sum_j log pi(y_j | q, c_i, y_&lt;j)           (DRO-Aggr)
 *   MEAN: r_i = (1/m) sum_j log pi(y_j | q, c_i, y_&lt;j)
 * </pre>
 *
 * <p>The sum is DRO-Aggr, the aggregate-certainty baseline of DRO (Xu et al. 2025, arXiv 2506.13351,
 * section 4), which R3 improves on by weighting tokens; the mean is its length-normalised form (R3 with
 * uniform weights). Scored with the same machinery as R3 ({@link ReferenceScorer}: KV-cache continuation
 * when possible). An empty reference scores NaN.
 *
 * @param scoring split, answer prefix, temperature, scoring policy; default {@link ScoringOptions#defaults()}
 * @param aggregation sum (default) or mean over reference tokens
 */
public record ReferenceLogProbReward(ScoringOptions scoring, Aggregation aggregation) implements Reward, AutoCloseable {

  /** How token log-probs are combined. */
  public enum Aggregation {
    /** Sum over reference tokens (DRO-Aggr). */
    SUM,
    /** Mean over reference tokens. */
    MEAN
  }

  /** Validates the settings. */
  public ReferenceLogProbReward {
    Objects.requireNonNull(scoring, "scoring");
    if (aggregation == null) {
      throw new BadInputException("log-prob reward needs an aggregation (sum or mean)");
    }
  }

  /** DRO-Aggr: the summed log-prob with default scoring options. */
  public static ReferenceLogProbReward sum() {
    return new ReferenceLogProbReward(ScoringOptions.defaults(), Aggregation.SUM);
  }

  /** The mean log-prob with default scoring options. */
  public static ReferenceLogProbReward mean() {
    return new ReferenceLogProbReward(ScoringOptions.defaults(), Aggregation.MEAN);
  }

  @Override
  public String name() {
    return aggregation == Aggregation.SUM ? "logprob_sum" : "logprob_mean";
  }

  /** {@code sum_j l_j}. */
  public static double sum(float[] logprobs) {
    double s = 0;
    for (float lp : logprobs) {
      s += lp;
    }
    return s;
  }

  /** {@code (1/m) sum_j l_j}; NaN when m = 0. */
  public static double mean(float[] logprobs) {
    return logprobs.length == 0 ? Double.NaN : sum(logprobs) / logprobs.length;
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    ReferenceScorer.Batch batch = ReferenceScorer.scoreAfterReasoning(groups, ctx, scoring);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (ReferenceScorer.GroupScores gs : batch.groups()) {
      double[] scores = new double[gs.scores().size()];
      for (int i = 0; i < scores.length; i++) {
        float[] lp = gs.scores().get(i).logprobs();
        scores[i] = lp.length == 0 ? Double.NaN : aggregation == Aggregation.SUM ? sum(lp) : mean(lp);
      }
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", batch.fromCache());
      diag.put("reference_tokens", gs.referenceLength());
      out.add(new RewardResult(scores, diag));
    }
    return out;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    scoring.policy().close();
  }

  @Override
  public String toString() {
    return name() + Arrays.asList(scoring.split(), scoring.policy());
  }
}
