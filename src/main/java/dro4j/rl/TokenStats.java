package dro4j.rl;

import ai.djl.ndarray.NDArray;
import dro4j.BadInputException;

/** Per-token statistics a GRPO step logs: masked means and the entropy of the token distribution. */
public final class TokenStats {
  private TokenStats() {}

  /**
   * Masked mean sum(x M) / max(sum M, 1) over all tokens of the batch (TRL {@code
   * global_masked_mean}, single process). {@code x} may be boolean; the result is a float scalar.
   */
  public static NDArray maskedMean(NDArray x, NDArray mask) {
    if (x == null || mask == null) {
      throw new BadInputException("masked mean: values and mask must be given");
    }
    if (!x.getShape().equals(mask.getShape())) {
      throw new BadInputException(
          "masked mean: values have shape " + x.getShape() + " but the mask " + mask.getShape());
    }
    NDArray xf = x.getDataType().isFloating() ? x : x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
    NDArray m = mask.toType(xf.getDataType(), false);
    return xf.mul(m).sum().divi(m.sum().maximum(1));
  }

  /**
   * Shannon entropy in nats of the distribution softmax(logits) at each position: H = -sum_v p_v
   * log p_v over the last axis (TRL {@code entropy_from_logits}). Shape: the logits' shape without
   * the last axis. Computed from log_softmax, so finite logits give a finite entropy even when some
   * p_v underflow to 0 (a -inf logit gives NaN, as in TRL).
   */
  public static NDArray entropy(NDArray logits) {
    if (logits == null || logits.getShape().dimension() < 1) {
      throw new BadInputException("entropy: logits must have a vocabulary axis");
    }
    NDArray logp = logits.logSoftmax(-1);
    return logp.exp().mul(logp).sum(new int[] {-1}).neg();
  }
}
