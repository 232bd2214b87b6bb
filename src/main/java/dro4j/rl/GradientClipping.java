package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dro4j.BadInputException;
import java.util.List;

/**
 * Global-norm gradient clipping, {@code torch.nn.utils.clip_grad_norm_} with norm_type 2 (Pascanu et
 * al. 2013, arXiv 1211.5063), as transformers' Trainer applies it with {@code max_grad_norm}:
 *
 * <pre>
 *   total = sqrt(sum_p ||g_p||^2)
 *   g_p  *= min(1, max_grad_norm / (total + 1e-6))
 * </pre>
 *
 * Like torch, the factor is applied even when it is 1 and the norm is returned before clipping; a
 * non-finite total makes the gradients non-finite (torch's default {@code
 * error_if_nonfinite=False}), which the trainer's non-finite guard must catch. Each tensor's norm is
 * computed in its own dtype (fp32), the sum of squares across tensors in double.
 */
public final class GradientClipping {
  /** Added to the norm before dividing, as in torch. */
  public static final double EPSILON = 1e-6;

  private GradientClipping() {}

  /** The global L2 norm of all gradients, without changing them. */
  public static double globalNorm(List<NamedParameter> params) {
    if (params == null) throw new BadInputException("gradient norm: no parameters given");
    double sumSq = 0;
    for (NamedParameter p : params) {
      // close both temporaries: they would otherwise pile up in the gradient's manager every step
      try (NDArray n = p.grad().norm();
          NDArray d = n.toType(DataType.FLOAT64, true)) {
        double v = d.getDouble();
        sumSq += v * v;
      }
    }
    return Math.sqrt(sumSq);
  }

  /**
   * Scales all gradients in place so that their global norm is at most {@code maxGradNorm}.
   *
   * @param maxGradNorm positive and finite (transformers skips clipping when max_grad_norm is 0:
   *     call {@link #globalNorm} instead)
   * @return the global norm before clipping
   */
  public static double clip(List<NamedParameter> params, double maxGradNorm) {
    if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) {
      throw new BadInputException("max_grad_norm must be positive and finite, got " + maxGradNorm);
    }
    double total = globalNorm(params);
    // Math.min keeps a NaN, like torch.clamp(NaN, max=1)
    double coef = Math.min(1.0, maxGradNorm / (total + EPSILON));
    for (NamedParameter p : params) {
      p.grad().muli(coef);
    }
    return total;
  }
}
