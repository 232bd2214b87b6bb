package dro4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector loads from memory outside the Java heap (PyTorch's storage, the KV cache), in the API of the
 * running JDK. JDK 17 and 18 load from a {@link ByteBuffer} ({@code FloatVector.fromByteBuffer}); JDK 19
 * replaced that by {@code fromMemorySegment}, whose {@code MemorySegment} is final from JDK 22. This
 * class is the JDK 17 version; the jar carries a JDK 22 version in {@code META-INF/versions/22} when it
 * was built on JDK 22 or later ({@code src/main/java22}). On JDK 19-21, or on 22+ with a jar built on
 * 17, {@link #linkable()} is false and decoding goes through libtorch ({@link FastDecode}).
 *
 * <p>The kernels hold one {@link #memory} view per buffer and load through {@link #load}; both are small
 * enough for the JIT to inline, so a load is the JDK's own vector load.
 */
final class VectorLoads {
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorLoads() {}

  /** What {@link #load} reads from: here the buffer itself. */
  static Object memory(ByteBuffer buffer) {
    return buffer;
  }

  /** The vector of {@code species} at {@code byteOffset} of {@code memory} (a {@link #memory} view), in native order. */
  static FloatVector load(VectorSpecies<Float> species, Object memory, int byteOffset) {
    return FloatVector.fromByteBuffer(species, (ByteBuffer) memory, byteOffset, ORDER);
  }

  /** Whether this JDK's Vector API has the load this version calls. */
  static boolean linkable() {
    try {
      FloatVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class, ByteOrder.class);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
