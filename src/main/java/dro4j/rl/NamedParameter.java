package dro4j.rl;

import ai.djl.ndarray.NDArray;
import dro4j.BadInputException;

/**
 * A trainable tensor, its name (the checkpoint key, e.g. {@code model.layers.0.mlp.up_proj.weight})
 * and its gradient, as the optimizer and gradient clipping see them.
 *
 * @param name unique name
 * @param data the parameter, updated in place
 * @param grad its gradient, same shape (clipping scales it in place)
 */
public record NamedParameter(String name, NDArray data, NDArray grad) {
  public NamedParameter {
    if (name == null || name.isEmpty()) throw new BadInputException("parameter: empty name");
    if (data == null || grad == null) {
      throw new BadInputException("parameter " + name + ": data and gradient must be given");
    }
    if (!data.getShape().equals(grad.getShape())) {
      throw new BadInputException(
          "parameter " + name + ": shape " + data.getShape() + " but gradient " + grad.getShape());
    }
  }

  /** The parameter with the gradient DJL autograd accumulated for it ({@code data.getGradient()}). */
  public static NamedParameter withAutogradGradient(String name, NDArray data) {
    if (data == null) throw new BadInputException("parameter " + name + ": no data");
    return new NamedParameter(name, data, data.getGradient());
  }
}
