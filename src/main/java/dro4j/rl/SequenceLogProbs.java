package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dro4j.model.Scalars;
import dro4j.model.Transformer;

/**
 * Per-token log-probabilities of the completions of a {@link PolicyBatch} under a model, from one
 * cache-free forward pass: log softmax(logits / temperature) at each completion token, TRL's {@code
 * _get_per_token_logps_and_entropies}. Dividing by the sampling temperature makes the training
 * log-probs those of the distribution the rollouts were drawn from (before top-k/top-p truncation),
 * which is also what the generator reports as each token's log-prob.
 *
 * <p>Inside a gradient collector the result is differentiable with respect to the model's
 * parameters; outside one no graph is built (old and reference log-probs).
 */
public final class SequenceLogProbs {
  private SequenceLogProbs() {}

  /**
   * Log-probs and, optionally, entropies of the completions.
   *
   * @param logp {@code [B, L]} log-prob of each completion token (0-padded ids beyond a row's end
   *     get a finite value that the mask removes)
   * @param entropy {@code [B, L]} entropy of the predicted distribution at each completion position,
   *     detached from the graph, or null when not asked for
   */
  public record Result(NDArray logp, NDArray entropy) {}

  /** Runs the forward in {@code manager}; the results live there too. */
  public static Result compute(
      Transformer model, PolicyBatch batch, double temperature, boolean withEntropy, NDManager manager) {
    int b = batch.rows();
    int p = batch.promptWidth();
    int l = batch.completionWidth();
    NDArray hidden = model.forward(batch.tokens(), batch.valid(), manager);
    NDArray predicting = hidden.get(new NDIndex(":, {}:{}, :", p - 1, p - 1 + l));
    NDArray logits = model.logits(predicting);
    if (temperature != 1.0) {
      logits = logits.div(Scalars.of(logits, temperature));
    }
    NDArray logSoftmax = logits.logSoftmax(-1);
    long[] ids = new long[b * l];
    for (int i = 0; i < b; i++) {
      for (int t = 0; t < l; t++) ids[i * l + t] = batch.completionIds()[i][t];
    }
    NDArray index = manager.create(ids, new Shape(b, l, 1));
    NDArray logp = logSoftmax.gather(index, 2).reshape(b, l);
    NDArray entropy = null;
    if (withEntropy) {
      NDArray detached = logSoftmax.stopGradient();
      entropy = detached.exp().mul(detached).sum(new int[] {-1}).neg();
    }
    return new Result(logp, entropy);
  }

  /** Log-probs as a host array {@code [B][L]}, computed in a scratch manager (no graph outside a collector). */
  public static float[][] toHost(Transformer model, PolicyBatch batch, double temperature, NDManager parent) {
    try (NDManager m = parent.newSubManager()) {
      NDArray logp = compute(model, batch, temperature, false, m).logp();
      return rows(logp.toFloatArray(), batch.rows(), batch.completionWidth());
    }
  }

  static float[][] rows(float[] flat, int b, int l) {
    float[][] out = new float[b][l];
    for (int i = 0; i < b; i++) System.arraycopy(flat, i * l, out[i], 0, l);
    return out;
  }
}
