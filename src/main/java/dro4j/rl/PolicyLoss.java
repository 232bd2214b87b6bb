package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dro4j.BadInputException;
import dro4j.model.Scalars;

/**
 * The clipped surrogate objective of PPO (Schulman et al. 2017, arXiv 1707.06347) as used by GRPO
 * (Shao et al. 2024, arXiv 2402.03300), with DAPO's decoupled upper clip (Yu et al. 2025, arXiv
 * 2503.14476, "clip-higher"), and an optional KL penalty to a reference policy:
 *
 * <pre>
 *   r_t    = exp(logp_t - old_logp_t)
 *   loss_t = -min(r_t A, clip(r_t, 1 - epsilon, 1 + epsilon_high) A) + beta * KL_t
 * </pre>
 *
 * A is one advantage per sequence broadcast over its tokens (shape [B]), or one per token ([B, L]).
 * Names follow TRL {@code GRPOConfig} ({@code epsilon}, {@code epsilon_high}, {@code beta}); the
 * formulas follow {@code GRPOTrainer._compute_loss} with {@code importance_sampling_level="token"}.
 *
 * <p>All functions are differentiable through {@code logp}; old and reference log-probs are
 * constants. Results and intermediates live in the manager of {@code logp}: call them inside an
 * NDScope or a per-step sub-manager.
 */
public final class PolicyLoss {
  private PolicyLoss() {}

  /**
   * Importance ratio r = exp(logp - old_logp). A {@code null} {@code oldLogp} means on-policy
   * (TRL with {@code num_iterations == 1}: old = logp detached), so r = 1 with gradient r * dlogp.
   */
  public static NDArray ratio(NDArray logp, NDArray oldLogp) {
    NDArray old = oldLogp == null ? logp.stopGradient() : oldLogp.stopGradient();
    requireSameShape("old log-probs", logp, old);
    return logp.sub(old).exp();
  }

  /**
   * Per-token clipped surrogate loss -min(r A, clip(r, 1 - epsilon, 1 + epsilon_high) A), shape of
   * {@code logp} [B, L].
   *
   * @param logp current log-probs of the sampled tokens [B, L]
   * @param oldLogp log-probs under the sampling policy [B, L], or null for on-policy
   * @param advantages [B] (one per sequence) or [B, L]
   * @param epsilon lower clip range (TRL default 0.2)
   * @param epsilonHigh upper clip range (TRL: defaults to epsilon; DAPO recommends 0.28)
   */
  public static NDArray clippedSurrogate(
      NDArray logp, NDArray oldLogp, NDArray advantages, double epsilon, double epsilonHigh) {
    checkEpsilons(epsilon, epsilonHigh);
    NDArray a = broadcastable(advantages, logp);
    NDArray r = ratio(logp, oldLogp);
    NDArray unclipped = r.mul(a);
    NDArray clipped = r.clip(1 - epsilon, 1 + epsilonHigh).mul(a);
    return unclipped.minimum(clipped).neg();
  }

  /**
   * Per-token GRPO loss: clipped surrogate plus {@code beta} times the KL estimate. With {@code
   * beta == 0} no KL is computed and {@code refLogp} may be null (TRL loads no reference model).
   *
   * @param kl the KL estimator (TRL uses {@link KlEstimator#K3})
   */
  public static NDArray perTokenLoss(
      NDArray logp,
      NDArray oldLogp,
      NDArray refLogp,
      NDArray advantages,
      double epsilon,
      double epsilonHigh,
      double beta,
      KlEstimator kl) {
    if (!(beta >= 0) || Double.isInfinite(beta)) {
      throw new BadInputException("beta must be a finite value >= 0, got " + beta);
    }
    NDArray loss = clippedSurrogate(logp, oldLogp, advantages, epsilon, epsilonHigh);
    if (beta == 0) return loss;
    if (refLogp == null || kl == null) {
      throw new BadInputException("beta = " + beta + " needs reference log-probs and a KL estimator");
    }
    NDArray perTokenKl = kl.apply(logp, refLogp);
    return loss.addi(perTokenKl.muli(Scalars.of(perTokenKl, beta)));
  }

  /**
   * Shares of active tokens where the clip is binding, TRL's {@code clip_ratio/low_mean}, {@code
   * clip_ratio/high_mean} and {@code clip_ratio/region_mean}:
   *
   * <pre>
   *   low    = r &lt; 1 - epsilon      and A &lt; 0
   *   high   = r &gt; 1 + epsilon_high and A &gt; 0
   *   region = low or high
   * </pre>
   *
   * each as sum(x M) / max(sum M, 1). Only these tokens get no gradient from the surrogate: a ratio
   * beyond the range on the other side of the advantage's sign is not clipped by the min.
   */
  public static ClipFractions clipFractions(
      NDArray logp,
      NDArray oldLogp,
      NDArray advantages,
      NDArray mask,
      double epsilon,
      double epsilonHigh) {
    checkEpsilons(epsilon, epsilonHigh);
    requireSameShape("completion mask", logp, mask);
    NDArray a = broadcastable(advantages, logp).stopGradient();
    NDArray r = ratio(logp.stopGradient(), oldLogp);
    NDArray low = r.lt(1 - epsilon).logicalAnd(a.lt(0));
    NDArray high = r.gt(1 + epsilonHigh).logicalAnd(a.gt(0));
    NDArray region = low.logicalOr(high);
    return new ClipFractions(
        TokenStats.maskedMean(low, mask).getFloat(),
        TokenStats.maskedMean(high, mask).getFloat(),
        TokenStats.maskedMean(region, mask).getFloat());
  }

  /** Advantages as [B, 1] or [B, L] so that they broadcast against logp [B, L]. */
  static NDArray broadcastable(NDArray advantages, NDArray logp) {
    if (advantages == null || logp == null) {
      throw new BadInputException("policy loss: log-probs and advantages must be given");
    }
    Shape ls = logp.getShape();
    if (ls.dimension() != 2) {
      throw new BadInputException("policy loss: log-probs must have shape [B, L], got " + ls);
    }
    Shape as = advantages.getShape();
    NDArray a = advantages.toType(logp.getDataType(), false);
    if (as.dimension() == 1 && as.get(0) == ls.get(0)) return a.reshape(ls.get(0), 1);
    if (as.equals(ls) || (as.dimension() == 2 && as.get(0) == ls.get(0) && as.get(1) == 1)) return a;
    throw new BadInputException(
        "policy loss: advantages have shape " + as + ", expected [" + ls.get(0) + "] or " + ls);
  }

  static void requireSameShape(String what, NDArray logp, NDArray other) {
    if (!logp.getShape().equals(other.getShape())) {
      throw new BadInputException(
          "policy loss: log-probs have shape " + logp.getShape() + " but " + what + " " + other.getShape());
    }
  }

  private static void checkEpsilons(double epsilon, double epsilonHigh) {
    if (!(epsilon >= 0 && epsilon < 1)) {
      throw new BadInputException("epsilon must be in [0, 1), got " + epsilon);
    }
    if (!(epsilonHigh >= 0) || Double.isInfinite(epsilonHigh)) {
      throw new BadInputException("epsilon_high must be a finite value >= 0, got " + epsilonHigh);
    }
  }
}
