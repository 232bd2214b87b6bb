package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dro4j.model.Scalars;
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
   */
  public record Terms(NDArray loss, double lossValue, double nllSum, long targets, long correct) {}

  /**
   * Computes the loss; call it inside a {@code GradientCollector} to back-propagate.
   *
   * @param numItemsInBatch target tokens of the whole step (at least 1 is used)
   * @param manager where the computation's arrays live
   */
  public static Terms microBatch(Transformer model, SftBatch batch, double numItemsInBatch, NDManager manager) {
    int b = batch.rows();
    int l = batch.labels()[0].length;
    NDArray hidden = model.forward(batch.tokens(), batch.valid(), manager);
    NDArray logits = model.logits(hidden.get(new NDIndex(":, :-1, :")));
    NDArray logSoftmax = logits.logSoftmax(-1);
    long[] labels = new long[b * l];
    float[] mask = new float[b * l];
    for (int i = 0; i < b; i++) {
      for (int t = 0; t < l; t++) {
        labels[i * l + t] = batch.labels()[i][t];
        mask[i * l + t] = batch.lossMask()[i][t];
      }
    }
    NDArray index = manager.create(labels, new Shape(b, l, 1));
    NDArray m = manager.create(mask, new Shape(b, l));
    NDArray nll = logSoftmax.gather(index, 2).reshape(b, l).neg().mul(m);
    NDArray nllSum = nll.sum();
    NDArray loss = nllSum.div(Scalars.of(nllSum, Math.max(numItemsInBatch, 1.0)));
    NDArray predicted = logSoftmax.stopGradient().argMax(-1).toType(DataType.INT64, false);
    NDArray hits = predicted.eq(index.reshape(b, l)).toType(DataType.FLOAT32, false).mul(m).sum();
    double lossValue = loss.toType(DataType.FLOAT64, false).getDouble();
    double sum = nllSum.toType(DataType.FLOAT64, false).getDouble();
    long correct = Math.round(hits.getFloat());
    return new Terms(loss, lossValue, sum, batch.lossTokens(), correct);
  }
}
