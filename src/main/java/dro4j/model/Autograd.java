package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The two pieces of PyTorch autograd that DJL's {@code GradientCollector} does not expose and a
 * recomputing backward needs: switching graph recording off for a stretch of a forward (PyTorch's
 * grad mode, which a collector switches on), and a backward that starts from a non-scalar output
 * with a given incoming gradient ({@code torch.autograd.backward(output, gradient)}).
 */
final class Autograd {
  private Autograd() {}

  /** Whether ops are recorded for backward now (true inside a gradient collector). */
  static boolean recording() {
    return JniUtils.isGradMode();
  }

  /** Turns recording on or off; callers restore the previous state in a finally block. */
  static void setRecording(boolean on) {
    JniUtils.setGradMode(on);
  }

  /**
   * Back-propagates {@code gradient} (same shape as {@code output}) through {@code output}'s graph,
   * adding to the gradients of the leaves that require one; the graph is freed afterwards.
   */
  static void backward(NDArray output, NDArray gradient) {
    if (!output.getShape().equals(gradient.getShape())) {
      throw new IllegalArgumentException("gradient " + gradient.getShape() + " for output " + output.getShape());
    }
    JniUtils.backward((PtNDArray) output, (PtNDArray) gradient, false, false);
  }

  /** Back-propagates a scalar loss (incoming gradient 1), as {@code GradientCollector.backward} does. */
  static void backward(NDArray loss) {
    try (NDArray one = loss.onesLike()) {
      backward(loss, one);
    }
  }
}
