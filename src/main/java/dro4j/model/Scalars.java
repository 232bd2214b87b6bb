package dro4j.model;

import ai.djl.ndarray.NDArray;

/**
 * Arrays that an autograd graph may keep until backward. DJL creates an array from Java data with
 * {@code torch::from_blob} over a direct buffer that only the Java array object keeps alive, and its
 * {@code op(Number)} overloads ({@code mul(0.5)}, {@code div(n)}) wrap the number that way and close it
 * at once. When the op's backward saves that operand (a product or quotient saves it to scale the
 * gradient; an embedding lookup saves its indices), backward reads freed memory once the garbage
 * collector has run, and gradients silently come out wrong. Differentiable code therefore passes
 * scalars and Java-made inputs through these methods, which copy them into memory PyTorch owns and the
 * graph keeps alive by reference counting.
 */
public final class Scalars {
  private Scalars() {}

  /**
   * {@code value} as a 0-dim array in {@code like}'s manager, owned by PyTorch. Same type as DJL's
   * {@code op(Number)} overloads create, so results are bit-identical to {@code like.mul(value)}.
   */
  public static NDArray of(NDArray like, Number value) {
    return torchOwned(like.getManager().create(value));
  }

  /** A copy of an array made from Java data, in memory PyTorch owns; closes the original. */
  public static NDArray torchOwned(NDArray javaBacked) {
    NDArray copy = javaBacked.duplicate();
    javaBacked.close();
    return copy;
  }
}
