package dro4j.model;

/** Where the suite expects the Java decode kernels to run ({@link VectorLoads}). */
public final class KernelJdks {
  private KernelJdks() {}

  /**
   * JDK 17-18 (ByteBuffer loads) and 22+ (MemorySegment loads, through method handles); on JDK 19-21
   * decoding goes through libtorch.
   */
  public static boolean expected() {
    int feature = Runtime.version().feature();
    return feature <= 18 || feature >= 22;
  }
}
