package dro4j.rl;

import ai.djl.ndarray.NDArray;
import dro4j.BadInputException;
import dro4j.model.Scalars;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Per-token estimators of KL(pi_theta || pi_ref) from the log-probs of the sampled tokens (Schulman,
 * "Approximating KL Divergence", 2020). With d = ref_logp - logp:
 *
 * <pre>
 *   k1 = -d = logp - ref_logp             unbiased, high variance, can be negative
 *   k2 = d^2 / 2                          biased, low variance
 *   k3 = exp(d) - d - 1                   unbiased, low variance, always &gt;= 0
 * </pre>
 *
 * k3 is what GRPO (Shao et al. 2024, arXiv 2402.03300) and TRL {@code GRPOTrainer._compute_loss}
 * use. Unlike verl's {@code low_var_kl}, k3 is not clamped to [-10, 10] (TRL does not clamp).
 * Every estimator is differentiable through {@code logp}; {@code refLogp} is treated as a constant.
 */
public enum KlEstimator {
  K1("k1") {
    @Override
    public NDArray apply(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      return logp.sub(refLogp.stopGradient());
    }
  },
  K2("k2") {
    @Override
    public NDArray apply(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      NDArray sq = logp.sub(refLogp.stopGradient()).square();
      return sq.muli(Scalars.of(sq, 0.5));
    }
  },
  K3("k3") {
    @Override
    public NDArray apply(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      NDArray d = refLogp.stopGradient().sub(logp);
      return d.exp().sub(d).subi(1);
    }
  };

  private final String configName;

  KlEstimator(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files ({@code k1}, {@code k2}, {@code k3}). */
  public String configName() {
    return configName;
  }

  /**
   * Per-token KL estimate, same shape as {@code logp}. The result and intermediates live in the
   * manager of {@code logp}/{@code refLogp}: call inside an NDScope or a step sub-manager.
   */
  public abstract NDArray apply(NDArray logp, NDArray refLogp);

  /** The estimator registered under {@code name}. */
  public static KlEstimator byName(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (KlEstimator e : values()) {
        if (e.configName.equals(n)) return e;
      }
    }
    throw new BadInputException(
        "kl estimator: unknown name '" + name + "', expected one of "
            + Arrays.stream(values()).map(KlEstimator::configName).collect(Collectors.joining(", ")));
  }

  private static void check(NDArray logp, NDArray refLogp) {
    if (logp == null || refLogp == null) {
      throw new BadInputException("kl: log-probs and reference log-probs must be given");
    }
    if (!logp.getShape().equals(refLogp.getShape())) {
      throw new BadInputException(
          "kl: log-probs have shape " + logp.getShape() + " but reference log-probs " + refLogp.getShape());
    }
  }
}
