package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dro4j.model.Scalars;
import dro4j.model.TrainingPass;
import dro4j.model.Transformer;

/**
 * Prompt-masked cross-entropy of one micro-batch: the sum of -log p(target) over the batch's target
 * tokens divided by the number of target tokens of the whole accumulated step ({@code
 * num_items_in_batch}, as transformers' Trainer normalises a causal-LM loss under gradient
 * accumulation), so the micro-batch gradients sum to the gradient of the step's token mean.
 */
public final class SftObjective {
  private SftObjective() {}

  /**
   * What one micro-batch contributed.
   *
   * @param loss the scalar to back-propagate
   * @param lossValue its value
   * @param nllSum summed negative log-likelihood of the targets (nats)
   * @param targets number of target tokens
   * @param correct targets that were the model's most likely token
   * @param pass the forward the loss came from
   */
  public record Terms(NDArray loss, double lossValue, double nllSum, long targets, long correct, TrainingPass pass) {

    /** Back-propagates {@link #loss()} into the parameters' gradients (inside the collector of the forward). */
    public void backward() {
      pass.backward(loss);
    }
  }

  /** {@link #microBatch(Transformer, SftBatch, double, boolean, NDManager)} recording every activation. */
  public static Terms microBatch(Transformer model, SftBatch batch, double numItemsInBatch, NDManager manager) {
    return microBatch(model, batch, numItemsInBatch, false, manager);
  }

  /**
   * Computes the loss; call it inside a {@code GradientCollector} and back-propagate with {@link
   * Terms#backward()}.
   *
   * @param numItemsInBatch target tokens of the whole step (at least 1 is used)
   * @param gradientCheckpointing recompute the decoder layers in backward ({@link TrainingPass})
   * @param manager where the computation's arrays live
   */
  public static Terms microBatch(Transformer model, SftBatch batch, double numItemsInBatch,
      boolean gradientCheckpointing, NDManager manager) {
    int b = batch.rows();
    int l = batch.labels()[0].length;
    TrainingPass pass = model.trainingPass(batch.tokens(), batch.valid(), gradientCheckpointing, manager);
    TrainingPass.TokenLogProbs t = pass.logProbs(0, l, batch.labels(), 1.0, false, true);
    float[] mask = new float[b * l];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < l; j++) mask[i * l + j] = batch.lossMask()[i][j];
    }
    NDArray m = manager.create(mask, new Shape(b, l));
    NDArray nll = t.logp().neg().mul(m);
    NDArray nllSum = nll.sum();
    NDArray loss = nllSum.div(Scalars.of(nllSum, Math.max(numItemsInBatch, 1.0)));
    long[] labels = new long[b * l];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < l; j++) labels[i * l + j] = batch.labels()[i][j];
    }
    NDArray hits = t.argmax().eq(manager.create(labels, new Shape(b, l))).toType(DataType.FLOAT32, false).mul(m).sum();
    double lossValue = loss.toType(DataType.FLOAT64, false).getDouble();
    double sum = nllSum.toType(DataType.FLOAT64, false).getDouble();
    long correct = Math.round(hits.getFloat());
    return new Terms(loss, lossValue, sum, batch.lossTokens(), correct, pass);
  }
}
