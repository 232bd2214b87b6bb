package dro4j.reward.likelihood;

import dro4j.BadInputException;

/**
 * R3's controlled propagation with decay gamma, DRO's second remedy for spurious certainty propagation
 * (Xu et al. 2025, arXiv 2506.13351, section 3). Teacher forcing shows the model every earlier
 * reference token, including a reasoning-reflective token k that this reasoning made unlikely (p_k
 * small); tokens right after k then look likely "for free". The certainty each such k lends to a later
 * token j is discounted, and the discount fades with distance:
 *
 * <pre>
 *   P_k(j) = p_k + (1 - p_k) (1 - exp(-gamma (j - k)))
 *   l'_ij  = log( pi(y_j | q, c_i, y_&lt;j) * prod_{k &lt; j, k reflective} P_k(j) )
 *          = l_ij + sum_{k &lt; j, k reflective} log P_k(j)
 * </pre>
 *
 * with {@code p_k = exp(l_ik)}, rollout i's own probability of token k. Right after k the factor is p_k
 * (as if token j had to be reached through k); far from k it tends to 1.
 *
 * <p>Which tokens are reasoning-reflective is not pinned down by the paper; here a token is reflective
 * when its R3 weight exceeds the uniform weight {@code 1/m} (it varies with the reasoning more than the
 * average token). All sigma 0 means uniform weights and no reflective token: no adjustment.
 *
 * @param enabled whether the adjustment applies; default false
 * @param gamma decay rate per token (&gt;= 0); default 0.5 (a discount recovers 63% of the way to 1 in
 *     2 tokens, 95% in 6; ours, the paper gives no value); 0 keeps the full discount p_k at any distance
 */
public record ControlledPropagation(boolean enabled, double gamma) {

  /** Default decay per token. */
  public static final double DEFAULT_GAMMA = 0.5;

  /** Validates the settings. */
  public ControlledPropagation {
    if (!(gamma >= 0) || Double.isInfinite(gamma)) {
      throw new BadInputException("controlled propagation decay gamma must be a finite number >= 0, got " + gamma);
    }
  }

  /** No adjustment (the default). */
  public static ControlledPropagation off() {
    return new ControlledPropagation(false, DEFAULT_GAMMA);
  }

  /** Adjustment with decay {@code gamma}. */
  public static ControlledPropagation withDecay(double gamma) {
    return new ControlledPropagation(true, gamma);
  }

  /** Tokens whose weight exceeds the uniform weight {@code 1/m}. */
  public static boolean[] reflective(double[] weights) {
    int m = weights.length;
    boolean[] out = new boolean[m];
    for (int j = 0; j < m; j++) {
      // a relative margin so that rounding of uniform weights never marks a token
      out[j] = weights[j] > (1.0 / m) * (1 + 1e-9);
    }
    return out;
  }

  /**
   * {@code l'_j = l_j + sum_{k < j, reflective[k]} log P_k(j)} for one row of log-probs.
   *
   * @param logprobs {@code l_j} of one rollout (or of the masked baseline)
   */
  public static double[] adjust(double[] logprobs, boolean[] reflective, double gamma) {
    int m = logprobs.length;
    double[] out = logprobs.clone();
    for (int k = 0; k < m; k++) {
      if (!reflective[k]) {
        continue;
      }
      double p = Math.exp(logprobs[k]);
      for (int j = k + 1; j < m; j++) {
        double recovered = -Math.expm1(-gamma * (j - k)); // 1 - exp(-gamma (j - k))
        out[j] += Math.log(p + (1 - p) * recovered);
      }
    }
    return out;
  }
}
