package dro4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;

/**
 * Makes fp32 parameters whose values are written straight into PyTorch's storage, never through a
 * Java array: {@code NDManager.create(float[])} needs the whole tensor as a {@code float[]} in the
 * heap (0.5 GB for the Qwen2.5-0.5B embedding), and the heap it grew to stays with the process after
 * loading. The tensor is allocated empty by PyTorch (its pages untouched until written, freed when
 * it is closed) and filled through direct buffers over its own memory, in chunks of whole rows of at
 * most 1 GiB (a buffer addresses less than 2 GiB, and a 7B embedding is 2.2 GB).
 */
final class TensorFill {
  private static final long CHUNK_BYTES = 1L << 30;

  private TensorFill() {}

  /** Writes the values of elements {@code [first, first + into.remaining() / 4)} into {@code into}, native order. */
  @FunctionalInterface
  interface Source {
    void fill(long first, ByteBuffer into);
  }

  /**
   * A new fp32 tensor of {@code shape} in {@code manager}, filled in row-major order by {@code
   * source}; on an accelerator it is filled on the CPU and then copied to the manager's device.
   */
  static NDArray fp32(NDManager manager, long[] shape, Source source) {
    return fp32(manager, shape, source, CHUNK_BYTES);
  }

  /** {@link #fp32(NDManager, long[], Source)} in chunks of at most {@code chunkBytes} (whole rows, at least one). */
  static NDArray fp32(NDManager manager, long[] shape, Source source, long chunkBytes) {
    Device device = manager.getDevice();
    if (!device.equals(Device.cpu())) {
      try (NDManager host = manager.newSubManager(Device.cpu())) {
        NDArray onHost = fp32(host, shape, source, chunkBytes);
        NDArray moved = onHost.toDevice(device, false);
        moved.attach(manager);
        return moved;
      }
    }
    NDArray array = manager.create(new Shape(shape), DataType.FLOAT32);
    try {
      long rows = shape.length == 0 ? 1 : shape[0];
      long rowElements = rows == 0 ? 0 : array.size() / rows;
      if (array.size() == 0) {
        return array;
      }
      long rowsPerChunk = shape.length < 2 ? rows : Math.max(1, Math.min(rows, chunkBytes / (4 * rowElements)));
      for (long r0 = 0; r0 < rows; r0 += rowsPerChunk) {
        long r1 = Math.min(rows, r0 + rowsPerChunk);
        boolean whole = r0 == 0 && r1 == rows;
        NDArray part = whole ? array : array.get(new NDIndex("{}:{}", r0, r1));
        try {
          ByteBuffer into = Weights.view(part, (r1 - r0) * rowElements * 4, "being filled");
          source.fill(r0 * rowElements, into);
        } finally {
          if (!whole) {
            part.close(); // a view: the buffer pointed into the parent's storage
          }
        }
      }
      return array;
    } catch (RuntimeException e) {
      array.close();
      throw e;
    }
  }
}
