package dro4j.rl;

import ai.djl.ndarray.NDArray;
import dro4j.BadInputException;
import dro4j.model.Scalars;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How per-token losses l[b, t] are reduced to one scalar over the completion mask M [B, L]: TRL
 * {@code GRPOConfig.loss_type}, following {@code GRPOTrainer._compute_loss} (trl 1.10.0.dev0).
 *
 * <pre>
 *   grpo     mean_b( sum_t l M / max(sum_t M, 1) ) / accumulation_steps
 *   bnpo     sum l M / max(sum M, 1)               / accumulation_steps
 *   dr_grpo  sum l M / (B * max_completion_length) / accumulation_steps
 *   dapo     sum l M / max(num_items_in_batch, 1)
 * </pre>
 *
 * {@code num_items_in_batch} is the number of active tokens in the whole accumulated batch (TRL
 * sums the loss mask over every micro-batch of the generation batch, all processes), so a dapo
 * loss needs no division by the accumulation steps; with a single micro-batch dapo equals bnpo.
 * A sequence whose mask is all zero contributes 0 and, for grpo, still counts in the mean over
 * sequences (the per-sequence token count is clamped to 1, as in TRL).
 */
public enum LossType {
  /** GRPO (Shao et al. 2024, arXiv 2402.03300): per-sequence token mean, then mean over sequences. */
  GRPO("grpo"),
  /** Token mean over the local batch (TRL "batch-normalized"). */
  BNPO("bnpo"),
  /** Dr. GRPO (Liu et al. 2025, arXiv 2503.20783): token sum over a constant, no length bias. */
  DR_GRPO("dr_grpo"),
  /** DAPO (Yu et al. 2025, arXiv 2503.14476): token mean over the whole accumulated batch. */
  DAPO("dapo");

  private final String configName;

  LossType(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files. */
  public String configName() {
    return configName;
  }

  /** The loss type registered under {@code name}. */
  public static LossType byName(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (LossType t : values()) {
        if (t.configName.equals(n)) return t;
      }
    }
    throw new BadInputException(
        "loss_type: unknown value '" + name + "', expected one of "
            + Arrays.stream(values()).map(LossType::configName).collect(Collectors.joining(", ")));
  }

  /**
   * Reduces one batch that is the whole optimisation batch (no gradient accumulation): for dapo
   * {@code num_items_in_batch} is this batch's {@code sum M}.
   *
   * @param perTokenLoss l, shape [B, L]
   * @param mask M, shape [B, L], 1 for completion tokens that count, 0 otherwise (any numeric type)
   * @param maxCompletionLength TRL {@code max_completion_length}, at least L (used by dr_grpo)
   * @return a scalar NDArray, differentiable through {@code perTokenLoss}
   */
  public NDArray aggregate(NDArray perTokenLoss, NDArray mask, int maxCompletionLength) {
    checkShapes(perTokenLoss, mask, maxCompletionLength);
    NDArray m = mask.toType(perTokenLoss.getDataType(), false);
    return reduce(perTokenLoss, m, maxCompletionLength, 1, -1);
  }

  /**
   * Reduces one micro-batch of a gradient-accumulation window, scaled so that summing the
   * gradients of all micro-batches gives the gradient of the whole window, as TRL does.
   *
   * @param accumulationSteps micro-batches in the window (divides grpo, bnpo, dr_grpo)
   * @param numItemsInBatch active tokens in the whole window (divides dapo; clamped to at least 1)
   */
  public NDArray aggregate(
      NDArray perTokenLoss,
      NDArray mask,
      int maxCompletionLength,
      int accumulationSteps,
      double numItemsInBatch) {
    checkShapes(perTokenLoss, mask, maxCompletionLength);
    if (accumulationSteps < 1) {
      throw new BadInputException("gradient_accumulation_steps must be at least 1, got " + accumulationSteps);
    }
    if (!(numItemsInBatch >= 0) || Double.isInfinite(numItemsInBatch)) {
      throw new BadInputException("num_items_in_batch must be a finite count, got " + numItemsInBatch);
    }
    NDArray m = mask.toType(perTokenLoss.getDataType(), false);
    return reduce(perTokenLoss, m, maxCompletionLength, accumulationSteps, numItemsInBatch);
  }

  /** numItems &lt; 0 means: this micro-batch's own token count. */
  private NDArray reduce(NDArray l, NDArray m, int maxLen, int accumulationSteps, double numItems) {
    NDArray masked = l.mul(m);
    switch (this) {
      case GRPO:
        {
          NDArray perSeq = masked.sum(new int[] {1}).divi(m.sum(new int[] {1}).maximum(1));
          NDArray mean = perSeq.mean();
          return mean.divi(Scalars.of(mean, accumulationSteps));
        }
      case BNPO:
        {
          NDArray tokenMean = masked.sum().divi(m.sum().maximum(1));
          return tokenMean.divi(Scalars.of(tokenMean, accumulationSteps));
        }
      case DR_GRPO:
        {
          long b = l.getShape().get(0);
          NDArray sum = masked.sum();
          return sum.divi(Scalars.of(sum, (double) b * maxLen)).divi(Scalars.of(sum, accumulationSteps));
        }
      case DAPO:
        {
          NDArray sum = masked.sum();
          return numItems < 0 ? sum.divi(m.sum().maximum(1)) : sum.divi(Scalars.of(sum, Math.max(numItems, 1.0)));
        }
      default:
        throw new IllegalStateException(name());
    }
  }

  private static void checkShapes(NDArray perTokenLoss, NDArray mask, int maxCompletionLength) {
    if (perTokenLoss == null || mask == null) {
      throw new BadInputException("loss aggregation: per-token loss and completion mask must be given");
    }
    if (perTokenLoss.getShape().dimension() != 2) {
      throw new BadInputException(
          "loss aggregation: per-token loss must have shape [B, L], got " + perTokenLoss.getShape());
    }
    if (!perTokenLoss.getShape().equals(mask.getShape())) {
      throw new BadInputException(
          "loss aggregation: per-token loss has shape " + perTokenLoss.getShape()
              + " but the completion mask " + mask.getShape());
    }
    long len = perTokenLoss.getShape().get(1);
    if (maxCompletionLength < 1 || maxCompletionLength < len) {
      throw new BadInputException(
          "max_completion_length " + maxCompletionLength + " is shorter than the completions (" + len + " tokens)");
    }
  }
}
