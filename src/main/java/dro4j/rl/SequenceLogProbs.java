package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dro4j.model.TrainingPass;
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
   * @param pass the forward they came from, whose {@link TrainingPass#backward} back-propagates a
   *     loss computed from {@code logp}
   */
  public record Result(NDArray logp, NDArray entropy, TrainingPass pass) {}

  /** Runs the forward in {@code manager}, recording every activation; the results live there too. */
  public static Result compute(
      Transformer model, PolicyBatch batch, double temperature, boolean withEntropy, NDManager manager) {
    return compute(model, batch, temperature, withEntropy, false, manager);
  }

  /**
   * Runs the forward in {@code manager}; with {@code gradientCheckpointing} (inside a gradient
   * collector) the decoder layers are recomputed in backward instead of kept ({@link TrainingPass}).
   */
  public static Result compute(Transformer model, PolicyBatch batch, double temperature, boolean withEntropy,
      boolean gradientCheckpointing, NDManager manager) {
    TrainingPass pass = model.trainingPass(batch.tokens(), batch.valid(), gradientCheckpointing, manager);
    TrainingPass.TokenLogProbs t = pass.logProbs(batch.promptWidth() - 1, batch.completionWidth(),
        batch.completionIds(), temperature, withEntropy, false);
    return new Result(t.logp(), t.entropy(), pass);
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
