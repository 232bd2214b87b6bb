package dro4j;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the garbage collector and overwrites freed native memory, to expose arrays whose memory an
 * autograd graph still uses after the Java side let it go (see {@code dro4j.model.Scalars}).
 */
public final class Churn {
  private Churn() {}

  /** Collects garbage a few times, each time filling fresh direct buffers with 0x7f bytes. */
  public static void collectAndOverwrite() {
    List<ByteBuffer> junk = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      System.gc();
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (int i = 0; i < 400; i++) {
        int size = 4 << (i % 12); // 4 bytes (a scalar) up to 8 KiB
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        while (b.hasRemaining()) b.put((byte) 0x7f);
        junk.add(b);
      }
    }
  }

  /** Largest absolute difference of two equally long arrays. */
  public static double maxAbsDiff(float[] a, float[] b) {
    return ReferenceData.maxAbsDiff(a, b);
  }
}
