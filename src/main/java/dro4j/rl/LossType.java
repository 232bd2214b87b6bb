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
 *   grpo     mean_b( sum_t l M / max(sum_t M, 1) )
 *   bnpo     sum l M / max(sum M, 1)
 *   dr_grpo  sum l M / (B * max_completion_length)
 *   dapo     sum l M / max(num_items_in_batch, 1)
 * </pre>
 *
 * {@code num_items_in_batch} is the number of active tokens in the whole accumulated batch (TRL
 * sums the loss mask over every micro-batch of the generation batch, all processes). A sequence whose
 * mask is all zero contributes 0 and, for grpo, still counts in the mean over sequences (the
 * per-sequence token count is clamped to 1, as in TRL).
 *
 * <p><b>Gradient accumulation</b> never changes the objective: each micro-batch contributes its share
 * of the whole batch's value ({@link #aggregateShare}), so the summed gradients equal the gradient of
 * one batch for every loss type and any split, also when micro-batches differ in rows or tokens
 * (dynamic sampling makes that common). TRL instead divides grpo, bnpo and dr_grpo per micro-batch by
 * the number of micro-batches, which weights rows by 1 / (micro-batches x micro-batch rows) and equals
 * the whole batch only for equal splits. One consequence: in a single process bnpo and dapo are the
 * same objective in dro4j (in TRL they differ only under accumulation or across processes).
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
    return reduce(perTokenLoss, m, maxCompletionLength, -1, -1);
  }

  /**
   * One micro-batch's share of the loss of a whole batch: summed over the micro-batches of an update
   * (and so are their gradients), the shares give exactly {@link #aggregate(NDArray, NDArray, int)} of
   * the whole batch, however the rows were split.
   *
   * @param batchRows rows in the whole batch (divides grpo and dr_grpo)
   * @param batchTokens active tokens in the whole batch, TRL's {@code num_items_in_batch} (divides
   *     bnpo and dapo; clamped to at least 1)
   */
  public NDArray aggregateShare(
      NDArray perTokenLoss,
      NDArray mask,
      int maxCompletionLength,
      long batchRows,
      double batchTokens) {
    checkShapes(perTokenLoss, mask, maxCompletionLength);
    long rows = perTokenLoss.getShape().get(0);
    if (batchRows < rows) {
      throw new BadInputException("loss aggregation: the batch has " + batchRows
          + " rows, fewer than this micro-batch's " + rows);
    }
    if (!(batchTokens >= 0) || Double.isInfinite(batchTokens)) {
      throw new BadInputException("num_items_in_batch must be a finite count, got " + batchTokens);
    }
    NDArray m = mask.toType(perTokenLoss.getDataType(), false);
    return reduce(perTokenLoss, m, maxCompletionLength, batchRows, batchTokens);
  }

  /** batchRows and batchTokens &lt; 0 mean: this batch's own rows and tokens. */
  private NDArray reduce(NDArray l, NDArray m, int maxLen, long batchRows, double batchTokens) {
    NDArray masked = l.mul(m);
    long rows = batchRows < 0 ? l.getShape().get(0) : batchRows;
    switch (this) {
      case GRPO:
        {
          NDArray perSeq = masked.sum(new int[] {1}).divi(m.sum(new int[] {1}).maximum(1));
          NDArray sum = perSeq.sum();
          return sum.divi(Scalars.of(sum, rows));
        }
      case BNPO:
      case DAPO:
        {
          NDArray sum = masked.sum();
          return batchTokens < 0 ? sum.divi(m.sum().maximum(1)) : sum.divi(Scalars.of(sum, Math.max(batchTokens, 1.0)));
        }
      case DR_GRPO:
        {
          NDArray sum = masked.sum();
          return sum.divi(Scalars.of(sum, (double) rows * maxLen));
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
