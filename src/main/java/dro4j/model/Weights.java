package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A row-major fp32 matrix {@code [rows, cols]} read in place from a tensor's memory: direct buffers over
 * PyTorch's storage, never a copy, so in-place training updates are seen by the next read. A buffer
 * addresses at most 2 GiB, so a larger matrix (the 7B embedding is 2.2 GB) is viewed as several
 * chunks of whole rows.
 */
final class Weights {
  private final int rows;
  private final int cols;
  private final int rowsPerChunk;
  private final ByteBuffer[] chunks;
  /** {@link VectorLoads#memory} of each chunk: what the kernels' vector loads read. */
  private final Object[] memories;

  private Weights(int rows, int cols, int rowsPerChunk, ByteBuffer[] chunks) {
    this.rows = rows;
    this.cols = cols;
    this.rowsPerChunk = rowsPerChunk;
    this.chunks = chunks;
    this.memories = new Object[chunks.length];
    for (int c = 0; c < chunks.length; c++) memories[c] = VectorLoads.memory(chunks[c]);
  }

  /** Views a 2-D (or, as one row, 1-D) fp32 tensor; chunks hold at most {@code maxChunkBytes} bytes. */
  static Weights of(NDArray array, long maxChunkBytes) {
    long[] shape = array.getShape().getShape();
    int rows = shape.length == 1 ? 1 : Math.toIntExact(shape[0]);
    int cols = Math.toIntExact(shape[shape.length - 1]);
    long rowBytes = 4L * cols;
    int perChunk = (int) Math.max(1, Math.min(rows, maxChunkBytes / rowBytes));
    int count = (rows + perChunk - 1) / perChunk;
    ByteBuffer[] chunks = new ByteBuffer[count];
    for (int c = 0; c < count; c++) {
      int r0 = c * perChunk;
      int r1 = Math.min(rows, r0 + perChunk);
      NDArray part = count == 1 ? array : array.get(new NDIndex("{}:{}", r0, r1));
      chunks[c] = view(part, (r1 - r0) * rowBytes, array.getName());
      if (part != array) {
        part.close(); // a view: the buffer points into the parent's storage, which stays alive
      }
    }
    return new Weights(rows, cols, perChunk, chunks);
  }

  /** A matrix over {@code buffer} (direct, {@code rows * cols} floats): scratch data, not a tensor's. */
  static Weights over(ByteBuffer buffer, int rows, int cols) {
    if (!buffer.isDirect() || buffer.capacity() != 4L * rows * cols) {
      throw new IllegalArgumentException("need a direct buffer of " + 4L * rows * cols + " bytes");
    }
    return new Weights(rows, cols, rows, new ByteBuffer[] {buffer.order(ByteOrder.nativeOrder())});
  }

  /** The storage of a contiguous fp32 tensor as a direct buffer in native order. */
  static ByteBuffer view(NDArray array, long expectedBytes, String name) {
    ByteBuffer b = array.toByteBuffer(true);
    if (!b.isDirect() || b.capacity() != expectedBytes) {
      throw new IllegalStateException("tensor " + name + " cannot be read in place (not a contiguous fp32 CPU tensor)");
    }
    return b.order(ByteOrder.nativeOrder());
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  /** The buffer holding row {@code r}. */
  ByteBuffer buffer(int r) {
    return chunks[r / rowsPerChunk];
  }

  /** The vector-load view ({@link VectorLoads#memory}) of {@link #buffer(int)}. */
  Object memory(int r) {
    return memories[r / rowsPerChunk];
  }

  /** The byte offset of row {@code r} in {@link #buffer(int)}. */
  int byteOffset(int r) {
    return (r % rowsPerChunk) * 4 * cols;
  }

  /** Row {@code r} copied into {@code out[0 .. cols)}. */
  void copyRow(int r, float[] out) {
    ByteBuffer b = buffer(r).duplicate().order(ByteOrder.nativeOrder());
    b.position(byteOffset(r));
    b.asFloatBuffer().get(out, 0, cols);
  }
}
