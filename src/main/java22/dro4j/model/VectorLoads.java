package dro4j.model;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The JDK 22+ version of the vector loads (see the JDK 17 version in src/main/java): a {@link
 * MemorySegment} over each buffer, read by {@code FloatVector.fromMemorySegment}. Compiled into
 * {@code META-INF/versions/22} when the build runs on JDK 22 or later.
 */
final class VectorLoads {
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorLoads() {}

  /** What {@link #load} reads from: a segment over the buffer's memory. */
  static Object memory(ByteBuffer buffer) {
    return MemorySegment.ofBuffer(buffer);
  }

  /** The vector of {@code species} at {@code byteOffset} of {@code memory} (a {@link #memory} view), in native order. */
  static FloatVector load(VectorSpecies<Float> species, Object memory, int byteOffset) {
    return FloatVector.fromMemorySegment(species, (MemorySegment) memory, byteOffset, ORDER);
  }

  /** Always: JDK 22's Vector API loads from memory segments. */
  static boolean linkable() {
    return true;
  }
}
