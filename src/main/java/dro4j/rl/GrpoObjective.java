package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dro4j.BadInputException;
import dro4j.model.TrainingPass;
import dro4j.model.Transformer;
import dro4j.rl.config.GrpoConfig;

/**
 * The GRPO-family loss of one micro-batch through a real model: per-token log-probs from a training
 * forward ({@link SequenceLogProbs}), the clipped surrogate with optional KL penalty ({@link
 * PolicyLoss#perTokenLoss}), aggregation by {@code loss_type} ({@link LossType#aggregate}), plus the
 * statistics a step logs (KL, clip fractions, entropy). The trainer calls exactly this for every
 * micro-batch, so a test can feed fixed inputs through it and compare loss and gradients with a
 * PyTorch reference.
 */
public final class GrpoObjective {
  private GrpoObjective() {}

  /**
   * The loss settings that do not change within a run.
   *
   * @param epsilon lower clip range
   * @param epsilonHigh upper clip range
   * @param beta KL weight (0: no KL, no reference log-probs needed)
   * @param kl the KL estimator
   * @param lossType the aggregation
   * @param maxCompletionLength the dr_grpo denominator (at least the batch's completion width)
   * @param temperature the logits divisor (the sampling temperature)
   * @param gradientCheckpointing recompute the decoder layers in backward instead of keeping their
   *     activations ({@link dro4j.model.TrainingPass}); the loss and its gradient are the same
   */
  public record Settings(
      double epsilon, double epsilonHigh, double beta, KlEstimator kl, LossType lossType,
      int maxCompletionLength, double temperature, boolean gradientCheckpointing) {

    /** Settings without gradient checkpointing. */
    public Settings(double epsilon, double epsilonHigh, double beta, KlEstimator kl, LossType lossType,
        int maxCompletionLength, double temperature) {
      this(epsilon, epsilonHigh, beta, kl, lossType, maxCompletionLength, temperature, false);
    }

    /** The settings of a configuration. */
    public static Settings of(GrpoConfig c) {
      return new Settings(c.epsilon(), c.effectiveEpsilonHigh(), c.beta(), c.klEstimator(), c.lossType(),
          c.maxCompletionLength(), c.temperature(), c.training().gradientCheckpointing());
    }

    /** These settings with another {@code dr_grpo} denominator. */
    Settings withMaxCompletionLength(int length) {
      return new Settings(epsilon, epsilonHigh, beta, kl, lossType, length, temperature, gradientCheckpointing);
    }
  }

  /**
   * What one micro-batch contributed.
   *
   * @param loss the scalar to back-propagate: this micro-batch's share of the whole batch's loss
   * @param lossValue its value
   * @param lossTokens tokens counted in the loss (the weights of the means below)
   * @param klMean masked mean of the per-token KL estimate, NaN when beta is 0
   * @param clip masked shares of clipped tokens
   * @param entropyMean masked mean entropy (nats) of the policy's token distributions
   * @param pass the forward the loss came from
   */
  public record Terms(NDArray loss, double lossValue, long lossTokens, double klMean, ClipFractions clip,
      double entropyMean, TrainingPass pass) {

    /** Back-propagates {@link #loss()} into the parameters' gradients (inside the collector of the forward). */
    public void backward() {
      pass.backward(loss);
    }
  }

  /**
   * Computes the loss of one micro-batch; call it inside a {@code GradientCollector} and back-propagate
   * with {@link Terms#backward()}.
   *
   * @param batch the rows and their loss mask
   * @param advantages one advantage per row
   * @param oldLogp {@code [B][L]} sampling-policy log-probs, or null for on-policy (ratio 1)
   * @param refLogp {@code [B][L]} reference log-probs, or null when beta is 0
   * @param batchRows rows in the whole update, over all its micro-batches (divides grpo, dr_grpo)
   * @param numItemsInBatch loss tokens in the whole update (divides bnpo, dapo)
   * @param manager where every array of the computation lives (a per-micro-batch sub-manager)
   */
  public static Terms microBatch(
      Transformer model,
      PolicyBatch batch,
      double[] advantages,
      float[][] oldLogp,
      float[][] refLogp,
      Settings s,
      long batchRows,
      double numItemsInBatch,
      NDManager manager) {
    int b = batch.rows();
    if (advantages.length != b) {
      throw new BadInputException("grpo loss: " + advantages.length + " advantages for " + b + " rows");
    }
    return terms(model, batch, manager.create(toFloats(advantages)), oldLogp, refLogp, s, batchRows, numItemsInBatch,
        manager);
  }

  /**
   * {@link #microBatch} with one advantage per completion token ({@code [B][L]}), for multi-turn
   * trajectories whose turns get different advantages (IGPO's turn-level rewards); tokens outside the
   * loss mask may hold anything, their advantage never reaches the loss or the gradient.
   */
  public static Terms microBatchPerToken(
      Transformer model,
      PolicyBatch batch,
      float[][] tokenAdvantages,
      float[][] oldLogp,
      float[][] refLogp,
      Settings s,
      long batchRows,
      double numItemsInBatch,
      NDManager manager) {
    NDArray adv = matrix(manager, tokenAdvantages, batch.rows(), batch.completionWidth());
    return terms(model, batch, adv, oldLogp, refLogp, s, batchRows, numItemsInBatch, manager);
  }

  private static Terms terms(Transformer model, PolicyBatch batch, NDArray adv, float[][] oldLogp, float[][] refLogp,
      Settings s, long batchRows, double numItemsInBatch, NDManager manager) {
    int b = batch.rows();
    int l = batch.completionWidth();
    SequenceLogProbs.Result r =
        SequenceLogProbs.compute(model, batch, s.temperature(), true, s.gradientCheckpointing(), manager);
    NDArray logp = r.logp();
    NDArray mask = matrix(manager, batch.completionMask(), b, l);
    NDArray old = oldLogp == null ? null : matrix(manager, oldLogp, b, l);
    NDArray ref = refLogp == null ? null : matrix(manager, refLogp, b, l);
    if (s.beta() > 0 && ref == null) {
      throw new BadInputException("grpo loss: beta = " + s.beta() + " needs reference log-probs");
    }
    NDArray perToken =
        PolicyLoss.perTokenLoss(logp, old, s.beta() > 0 ? ref : null, adv, s.epsilon(), s.epsilonHigh(), s.beta(), s.kl());
    NDArray loss = s.lossType().aggregateShare(perToken, mask, s.maxCompletionLength(), batchRows, numItemsInBatch);
    double klMean = Double.NaN;
    if (s.beta() > 0) {
      klMean = scalar(TokenStats.maskedMean(s.kl().apply(logp.stopGradient(), ref), mask));
    }
    ClipFractions clip = PolicyLoss.clipFractions(logp, old, adv, mask, s.epsilon(), s.epsilonHigh());
    double entropy = scalar(TokenStats.maskedMean(r.entropy(), mask));
    return new Terms(loss, scalar(loss), batch.lossTokens(), klMean, clip, entropy, r.pass());
  }

  static NDArray matrix(NDManager m, float[][] rows, int b, int l) {
    float[] flat = new float[b * l];
    for (int i = 0; i < b; i++) {
      if (rows[i].length != l) {
        throw new BadInputException("grpo loss: row " + i + " has " + rows[i].length + " values, expected " + l);
      }
      System.arraycopy(rows[i], 0, flat, i * l, l);
    }
    return m.create(flat, new Shape(b, l));
  }

  private static float[] toFloats(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
    return f;
  }

  private static double scalar(NDArray x) {
    return x.toType(DataType.FLOAT64, false).getDouble();
  }
}
