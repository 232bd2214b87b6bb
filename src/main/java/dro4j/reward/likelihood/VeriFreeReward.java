package dro4j.reward.likelihood;

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
 * VeriFree's reward (Zhou et al. 2025, "Reinforcing General Reasoning without Verifiers", arXiv
 * 2505.21493): the probability the policy gives the whole reference answer after its own reasoning,
 *
 * <pre>  r_i = pi(y | q, c_i) = exp( sum_j log pi(y_j | q, c_i, y_&lt;j) )</pre>
 *
 * <p>A product of token probabilities: in [0, 1], and vanishingly small for long references, which is
 * why VeriFree targets short answers (RLPR's mean token probability is the length-robust variant). Only
 * the reward is implemented here; VeriFree's training objective also uses it as a weight on the
 * reasoning's log-probs and a gradient on the reference tokens. An empty reference scores NaN.
 *
 * @param scoring split, answer prefix, temperature, scoring policy; default {@link ScoringOptions#defaults()}
 */
public record VeriFreeReward(ScoringOptions scoring) implements Reward, AutoCloseable {

  /** Validates the settings. */
  public VeriFreeReward {
    Objects.requireNonNull(scoring, "scoring");
  }

  /** With default scoring options. */
  public VeriFreeReward() {
    this(ScoringOptions.defaults());
  }

  @Override
  public String name() {
    return "verifree";
  }

  /** {@code exp(sum_j l_j)}. */
  public static double probability(float[] logprobs) {
    return Math.exp(ReferenceLogProbReward.sum(logprobs));
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    ReferenceScorer.Batch batch = ReferenceScorer.scoreAfterReasoning(groups, ctx, scoring);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (ReferenceScorer.GroupScores gs : batch.groups()) {
      int size = gs.scores().size();
      double[] scores = new double[size];
      double[] logp = new double[size];
      for (int i = 0; i < size; i++) {
        float[] lp = gs.scores().get(i).logprobs();
        logp[i] = ReferenceLogProbReward.sum(lp);
        scores[i] = lp.length == 0 ? Double.NaN : probability(lp);
      }
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", batch.fromCache());
      diag.put("logprob_sum", logp);
      out.add(new RewardResult(scores, diag));
    }
    return out;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    scoring.policy().close();
  }
}
