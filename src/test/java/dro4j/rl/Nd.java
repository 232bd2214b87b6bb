package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Test helpers: a PyTorch NDManager and conversions between NDArrays and Java arrays. */
final class Nd {
  private Nd() {}

  static NDManager manager() {
    return dro4j.model.TensorEngine.newManager();
  }

  static NDArray matrix(NDManager m, double[][] rows) {
    int b = rows.length;
    int l = rows[0].length;
    float[] flat = new float[b * l];
    for (int i = 0; i < b; i++) {
      for (int t = 0; t < l; t++) flat[i * l + t] = (float) rows[i][t];
    }
    return m.create(flat, new Shape(b, l));
  }

  static NDArray vector(NDManager m, double... values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
    return m.create(f);
  }

  static double[][] rows(NDArray x) {
    long[] s = x.getShape().getShape();
    float[] flat = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    double[][] out = new double[(int) s[0]][(int) s[1]];
    for (int i = 0; i < s[0]; i++) {
      for (int t = 0; t < s[1]; t++) out[i][t] = flat[(int) (i * s[1] + t)];
    }
    return out;
  }

  static double scalar(NDArray x) {
    return x.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
  }
}
