package dro4j.model;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector loads from memory outside the Java heap (PyTorch's storage, the KV cache), in the API of the
 * running JDK. JDK 17 and 18 load from a {@link ByteBuffer} ({@code FloatVector.fromByteBuffer}). JDK 19
 * replaced that by {@code fromMemorySegment}, whose {@code java.lang.foreign.MemorySegment} is final from
 * JDK 22; this class is compiled for Java 17, so on JDK 22+ it reaches both through method handles
 * looked up once. A constant method handle is inlined by the JIT like a direct call: on JDK 25 the
 * batch-8 and batch-1 matmuls took the same time through it as through a class compiled on JDK 25
 * (2026-12-03, Zen 4, 0.97-1.15 against 0.93-1.09 ms and 0.31-0.38 against 0.30-0.38 ms, three runs
 * each). On JDK 19-21 {@link #linkable()} is false and decoding goes through libtorch ({@link
 * FastDecode}): their segments are a preview API, not tried here.
 *
 * <p>The kernels hold one {@link #memory} view per buffer and load through {@link #load}; both are small
 * enough for the JIT to inline, so a load is the JDK's own vector load.
 */
final class VectorLoads {
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  /** JDK 22+: {@code FloatVector.fromMemorySegment} as {@code (VectorSpecies, Object, long, ByteOrder)FloatVector}; else null. */
  private static final MethodHandle FROM_SEGMENT;
  /** JDK 22+: {@code MemorySegment.ofBuffer} as {@code (ByteBuffer)Object}; else null. */
  private static final MethodHandle OF_BUFFER;

  static {
    MethodHandle load = null;
    MethodHandle view = null;
    if (Runtime.version().feature() >= 22) {
      try {
        Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        load = lookup.findStatic(FloatVector.class, "fromMemorySegment",
                MethodType.methodType(FloatVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class))
            .asType(MethodType.methodType(FloatVector.class, VectorSpecies.class, Object.class, long.class, ByteOrder.class));
        view = lookup.findStatic(segment, "ofBuffer", MethodType.methodType(segment, Buffer.class))
            .asType(MethodType.methodType(Object.class, ByteBuffer.class));
      } catch (ReflectiveOperationException e) {
        load = null; // a JDK 22+ whose Vector API dropped these: linkable() says false
        view = null;
      }
    }
    FROM_SEGMENT = load;
    OF_BUFFER = view;
  }

  private VectorLoads() {}

  /** What {@link #load} reads from: the buffer itself on JDK 17-18, a memory segment over it on 22+. */
  static Object memory(ByteBuffer buffer) {
    if (FROM_SEGMENT == null) {
      return buffer;
    }
    try {
      return (Object) OF_BUFFER.invokeExact(buffer);
    } catch (Throwable t) {
      throw rethrown(t);
    }
  }

  /** The vector of {@code species} at {@code byteOffset} of {@code memory} (a {@link #memory} view), in native order. */
  static FloatVector load(VectorSpecies<Float> species, Object memory, int byteOffset) {
    if (FROM_SEGMENT == null) {
      return FloatVector.fromByteBuffer(species, (ByteBuffer) memory, byteOffset, ORDER);
    }
    try {
      return (FloatVector) FROM_SEGMENT.invokeExact(species, memory, (long) byteOffset, ORDER);
    } catch (Throwable t) {
      throw rethrown(t);
    }
  }

  /** {@code t} as an unchecked throwable (the two handles declare none; bounds errors are unchecked). */
  private static RuntimeException rethrown(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  /** Whether this JDK's Vector API has the loads this class calls. */
  static boolean linkable() {
    if (FROM_SEGMENT != null) {
      return true;
    }
    try {
      FloatVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class, ByteOrder.class);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
