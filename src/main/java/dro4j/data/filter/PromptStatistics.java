package dro4j.data.filter;

import dro4j.reward.likelihood.ReasoningReflectionReward;
import java.util.Arrays;

/**
 * The statistics the filter computes for one prompt from N sampled reasonings, each followed by the
 * teacher-forced reference answer.
 *
 * @param exampleId the example
 * @param worstRankAverages per sample, the mean of the worst (largest) {@code rho} share of reference
 *     token ranks (rank 1 = the most likely token)
 * @param bestWorstRankAverage the smallest of those: how close the best reasoning brings the reference
 * @param sigma per reference token, the standard deviation over samples of its log-prob
 * @param maxSigma max_j sigma_j, the prompt's reasoning-variation score
 */
public record PromptStatistics(
    String exampleId, double[] worstRankAverages, double bestWorstRankAverage, double[] sigma, double maxSigma) implements java.io.Serializable {

  /**
   * Computes the statistics from per-sample ranks and log-probs of the same reference tokens.
   *
   * @param ranks {@code [samples][referenceTokens]}
   * @param logprobs {@code [samples][referenceTokens]}
   */
  public static PromptStatistics of(String exampleId, int[][] ranks, float[][] logprobs, double worstRankFraction) {
    if (ranks.length == 0 || ranks.length != logprobs.length) {
      throw new IllegalArgumentException("need the same non-zero number of samples of ranks and log-probs");
    }
    double[] worst = new double[ranks.length];
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < ranks.length; i++) {
      worst[i] = worstAverage(ranks[i], worstRankFraction);
      best = Math.min(best, worst[i]);
    }
    double[] sigma = tokenStd(logprobs);
    double max = 0;
    for (double s : sigma) {
      max = Math.max(max, s);
    }
    return new PromptStatistics(exampleId, worst, best, sigma, max);
  }

  /** Mean of the largest {@code ceil(fraction * n)} ranks (at least one); +inf for an empty reference. */
  static double worstAverage(int[] ranks, double fraction) {
    if (ranks.length == 0) {
      return Double.POSITIVE_INFINITY;
    }
    int[] sorted = ranks.clone();
    Arrays.sort(sorted);
    int count = Math.max(1, (int) Math.ceil(fraction * sorted.length - 1e-9));
    double sum = 0;
    for (int i = sorted.length - count; i < sorted.length; i++) {
      sum += sorted[i];
    }
    return sum / count;
  }

  /**
   * Per-token sigma over samples, computed by R3's own estimator ({@link
   * ReasoningReflectionReward#tokenStd}, the population std) so that a prompt's filter score and its
   * rewards agree.
   */
  static double[] tokenStd(float[][] logprobs) {
    int tokens = logprobs[0].length;
    double[][] l = new double[logprobs.length][];
    for (int i = 0; i < l.length; i++) {
      if (logprobs[i].length != tokens) {
        throw new IllegalArgumentException("every sample must score the same reference tokens");
      }
      l[i] = new double[tokens];
      for (int j = 0; j < tokens; j++) {
        l[i][j] = logprobs[i][j];
      }
    }
    return ReasoningReflectionReward.tokenStd(l);
  }
}
