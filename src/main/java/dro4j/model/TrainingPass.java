package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One differentiable forward of whole rows for training, and its backward: per-token log-probs of
 * given targets through the language-model head, then {@link #backward} of a loss computed from them.
 * Created by {@link Transformer#trainingPass}; its arrays live in the manager given there.
 *
 * <p>The head runs in chunks of at most {@link #HEAD_CHUNK_TOKENS} tokens, so no {@code [tokens,
 * vocab]} logits tensor exists for the whole micro-batch (1,024 tokens of a 151,936-token vocabulary
 * are 622 MB in fp32, before log-softmax and its gradient).
 *
 * <p>Without gradient checkpointing the graph is recorded as usual: it keeps every layer's
 * activations and each chunk's log-softmax until backward. With it (transformers' {@code
 * gradient_checkpointing}), the forward records nothing and keeps only each decoder layer's input
 * ({@code [batch, tokens, hidden]}); {@link #backward} then back-propagates the loss to the
 * log-probs, recomputes the head chunk by chunk and each decoder layer from its saved input, top layer
 * first, back-propagating the incoming gradient through each recomputed piece as soon as it exists
 * ({@code torch.utils.checkpoint} by hand). Memory is then one layer's activations, not all of
 * them, at the cost of a second forward. The recomputation runs the same ops on the same inputs, so
 * gradients equal the recorded path's up to the order in which autograd adds the parts of a sum.
 *
 * <p>Outside a gradient collector nothing is recorded either way, and checkpointing is moot.
 */
public final class TrainingPass {
  /** Tokens whose logits are computed at once. */
  static final int HEAD_CHUNK_TOKENS = 256;

  /**
   * Log-probs {@code [rows, count]} of the targets, detached entropies {@code [rows, count]} of the
   * predicted distributions (or null), and the most likely token ids {@code [rows, count]} (INT64, or null).
   */
  public record TokenLogProbs(NDArray logp, NDArray entropy, NDArray argmax) {}

  private final Transformer model;
  private final NDManager manager;
  private final boolean checkpointed;
  private final Transformer.ForwardInputs inputs;
  private final int headChunk;
  /** Checkpointed: the input of each decoder layer, then the last layer's output; else null. */
  private final NDArray[] layerInputs;
  /** The last decoder layer's output {@code [batch, tokens, hidden]} (with its graph unless checkpointed). */
  private final NDArray last;
  /** Checkpointed: what {@link #logProbs} computed, for the recomputation in backward. */
  private Head head;
  private boolean backwardDone;

  /** The head's inputs of a checkpointed pass: a leaf over the predicting positions, and its outputs. */
  private record Head(NDArray predicting, NDArray targets, double temperature, long start, long count, NDArray logp) {}

  private TrainingPass(Transformer model, NDManager manager, boolean checkpointed, Transformer.ForwardInputs inputs,
      int headChunk, NDArray[] layerInputs, NDArray last) {
    this.model = model;
    this.manager = manager;
    this.checkpointed = checkpointed;
    this.inputs = inputs;
    this.headChunk = headChunk;
    this.layerInputs = layerInputs;
    this.last = last;
  }

  static TrainingPass run(Transformer model, int[][] tokens, boolean[][] valid, boolean checkpointing, NDManager out) {
    return run(model, tokens, valid, checkpointing, HEAD_CHUNK_TOKENS, out);
  }

  static TrainingPass run(Transformer model, int[][] tokens, boolean[][] valid, boolean checkpointing, int headChunk,
      NDManager out) {
    if (headChunk < 1) throw new IllegalArgumentException("head chunk must be >= 1, got " + headChunk);
    boolean checkpointed = checkpointing && Autograd.recording();
    Transformer.ForwardInputs in = model.trainingInputs(tokens, valid, out);
    int layers = model.layerCount();
    if (!checkpointed) {
      // recorded, or nothing will back-propagate (reference or old log-probs)
      NDArray x = model.decoderLayers(keep(model.embedTokens(in.ids()), out), in, null, out);
      return new TrainingPass(model, out, false, in, headChunk, null, x);
    }
    NDArray[] saved = new NDArray[layers + 1];
    Autograd.setRecording(false);
    try {
      saved[0] = keep(model.embedTokens(in.ids()), out);
      for (int l = 0; l < layers; l++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          saved[l + 1] = keep(model.decoderLayer(l, saved[l], in), out);
        }
      }
    } finally {
      Autograd.setRecording(true);
    }
    return new TrainingPass(model, out, true, in, headChunk, saved, saved[layers]);
  }

  /** Whether this pass recomputes its layers in backward. */
  public boolean checkpointed() {
    return checkpointed;
  }

  /**
   * Log-probs of {@code targets[b][t]} predicted at positions {@code start + t} ({@code t < count}),
   * with logits divided by {@code temperature}: log softmax(head(norm(h)) / temperature)[target].
   * A checkpointed pass allows one call (its backward recomputes exactly that).
   */
  public TokenLogProbs logProbs(int start, int count, int[][] targets, double temperature, boolean withEntropy,
      boolean withArgmax) {
    long rows = last.getShape().get(0);
    long hiddenSize = last.getShape().get(2);
    if (targets.length != rows) throw new IllegalArgumentException(targets.length + " target rows for " + rows);
    long[] flat = new long[Math.toIntExact(rows * count)];
    for (int b = 0; b < rows; b++) {
      if (targets[b].length != count) throw new IllegalArgumentException("target row " + b + " is not " + count + " wide");
      for (int t = 0; t < count; t++) flat[b * count + t] = targets[b][t];
    }
    // gather's backward keeps its index: PyTorch-owned memory (see Scalars)
    NDArray ids = Scalars.torchOwned(manager.create(flat, new Shape(rows * count, 1)));
    NDIndex positions = new NDIndex(":, {}:{}, :", start, start + count);
    NDList lps = new NDList();
    NDList entropies = new NDList();
    NDList argmaxes = new NDList();
    NDArray predicting;
    if (checkpointed) {
      if (head != null) throw new IllegalStateException("a checkpointed pass computes its log-probs once");
      Autograd.setRecording(false);
      try {
        predicting = last.get(positions).reshape(rows * count, hiddenSize).duplicate();
        for (long c0 = 0; c0 < rows * count; c0 += headChunk) {
          chunk(predicting, ids, temperature, c0, Math.min(rows * count, c0 + headChunk), withEntropy, withArgmax,
              lps, entropies, argmaxes);
        }
      } finally {
        Autograd.setRecording(true);
      }
      predicting.setRequiresGradient(true);
    } else {
      predicting = last.get(positions).reshape(rows * count, hiddenSize);
      for (long c0 = 0; c0 < rows * count; c0 += headChunk) {
        chunk(predicting, ids, temperature, c0, Math.min(rows * count, c0 + headChunk), withEntropy, withArgmax,
            lps, entropies, argmaxes);
      }
    }
    NDArray logp = join(lps, rows, count);
    if (checkpointed) {
      logp.setRequiresGradient(true);
      head = new Head(predicting, ids, temperature, start, count, logp);
    }
    return new TokenLogProbs(logp, withEntropy ? join(entropies, rows, count) : null,
        withArgmax ? join(argmaxes, rows, count) : null);
  }

  /** Log-probs (and entropies, argmaxes) of rows {@code [c0, c1)} of {@code predicting}. */
  private void chunk(NDArray predicting, NDArray ids, double temperature, long c0, long c1, boolean withEntropy,
      boolean withArgmax, NDList lps, NDList entropies, NDList argmaxes) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray logSoftmax = chunkLogSoftmax(predicting, temperature, c0, c1);
      lps.add(keep(logSoftmax.gather(ids.get(rowRange(c0, c1)), 1).reshape(c1 - c0), manager));
      if (withEntropy) {
        NDArray detached = logSoftmax.stopGradient();
        // p * log p into p's own buffer: one [chunk, vocab] temporary instead of two, same products
        try (NDArray p = detached.exp()) {
          entropies.add(keep(p.muli(detached).sum(new int[] {-1}).neg(), manager));
        }
      }
      if (withArgmax) {
        argmaxes.add(keep(logSoftmax.stopGradient().argMax(-1).toType(DataType.INT64, false), manager));
      }
    }
  }

  /** log softmax(head(norm(rows c0..c1 of predicting)) / temperature), {@code [c1 - c0, vocab]}. */
  private NDArray chunkLogSoftmax(NDArray predicting, double temperature, long c0, long c1) {
    NDArray logits = model.logits(model.finalNorm(predicting.get(rowRange(c0, c1))));
    if (temperature != 1.0) {
      NDArray scaled = logits.div(Scalars.of(logits, temperature));
      logits.close();
      logits = scaled;
    }
    // log-softmax's backward needs its output only: the [chunk, vocab] logits go as soon as it exists
    NDArray logSoftmax = logits.logSoftmax(-1);
    logits.close();
    return logSoftmax;
  }

  private static NDIndex rowRange(long c0, long c1) {
    return new NDIndex("{}:{}, :", c0, c1);
  }

  /**
   * Back-propagates {@code loss} (a scalar computed from {@link #logProbs}) into the parameters'
   * gradients, adding to what they hold. Once per pass; inside the gradient collector that was open
   * during the forward.
   */
  public void backward(NDArray loss) {
    if (backwardDone) throw new IllegalStateException("backward already ran for this pass");
    backwardDone = true;
    Autograd.backward(loss);
    if (!checkpointed) return;
    if (head == null) throw new IllegalStateException("a checkpointed pass needs logProbs before backward");
    boolean was = Autograd.recording();
    Autograd.setRecording(true);
    try {
      NDArray g = headBackward();
      int layers = model.layerCount();
      for (int l = layers - 1; l >= 0; l--) {
        NDArray input = layerInputs[l];
        NDArray inputGradient;
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          input.setRequiresGradient(true);
          Autograd.backward(model.decoderLayer(l, input, inputs), g);
          inputGradient = keep(gradientOf(input), manager);
        }
        g.close();
        layerInputs[l + 1].close();
        g = inputGradient;
      }
      if (model.embedding().hasGradient()) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          Autograd.backward(model.embedTokens(inputs.ids()), g);
        }
      }
      g.close();
    } finally {
      Autograd.setRecording(was);
    }
  }

  /**
   * Recomputes the head chunk by chunk from the predicting positions, back-propagating the loss's
   * gradient of each chunk's log-probs, and returns the gradient of the last layer's output.
   */
  private NDArray headBackward() {
    Head h = head;
    long n = h.predicting().getShape().get(0);
    NDArray g = gradientOf(h.logp()).reshape(n, 1);
    for (long c0 = 0; c0 < n; c0 += headChunk) {
      long c1 = Math.min(n, c0 + headChunk);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray lp = chunkLogSoftmax(h.predicting(), h.temperature(), c0, c1).gather(h.targets().get(rowRange(c0, c1)), 1);
        Autograd.backward(lp, g.get(rowRange(c0, c1)));
      }
    }
    g.close();
    Shape shape = last.getShape();
    NDArray predictingGradient = gradientOf(h.predicting()).reshape(shape.get(0), h.count(), shape.get(2));
    NDArray lastGradient = manager.zeros(shape, last.getDataType());
    lastGradient.set(new NDIndex(":, {}:{}, :", h.start(), h.start() + h.count()), predictingGradient);
    predictingGradient.close();
    return lastGradient;
  }

  /** The gradient autograd accumulated in leaf {@code x}, as a new handle in this pass's manager. */
  private NDArray gradientOf(NDArray x) {
    NDArray g = x.getGradient();
    if (g == null) throw new IllegalStateException("no gradient reached " + x.getShape() + ": the loss does not use it");
    g.attach(manager);
    return g;
  }

  private static NDArray join(NDList parts, long rows, long count) {
    NDArray joined = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
    return joined.reshape(rows, count);
  }

  /** Keeps {@code x} beyond the innermost scope, owned by {@code m}. */
  private static NDArray keep(NDArray x, NDManager m) {
    x.attach(m);
    NDScope.unregister(x);
    return x;
  }
}
