package dro4j.model;

import java.util.EnumMap;
import java.util.Map;

/**
 * Where the time of Java-kernel decode steps goes: wall seconds per part of the step, with the
 * matrix-product FLOPs and the bytes of weights and KV cache each part reads, so a benchmark can
 * set them against the GEMM peak and the read bandwidth. Attach one with {@link
 * Transformer#profileJavaDecode}; the parts of every following Java decode step add up into it.
 * Not thread-safe: one decoding thread at a time.
 */
public final class DecodeProfile {
  /** The parts of a decode step, in the order a step runs them. */
  public enum Part {
    /** Embedding rows, RMSNorms, q/k norms, rotary embeddings, writing the new keys/values, residual adds. */
    ELEMENTWISE("norms, rotary, cache writes, residuals"),
    /** The q, k and v projections (one parallel pass). */
    QKV("q/k/v projections"),
    /** Scores, softmax and weighted values over the cached keys. */
    ATTENTION("attention over the cache"),
    /** The attention output projection. */
    O("o projection"),
    /** The gate and up projections and SiLU(gate) * up (one parallel pass). */
    GATE_UP("gate/up projections + SiLU"),
    /** The MLP down projection. */
    DOWN("down projection"),
    /** The final norm and the LM head. */
    LM_HEAD("final norm + LM head");

    private final String description;

    Part(String description) {
      this.description = description;
    }

    /** What the part covers, for tables. */
    public String description() {
      return description;
    }
  }

  private final Map<Part, long[]> nanos = new EnumMap<>(Part.class);
  private final Map<Part, double[]> flops = new EnumMap<>(Part.class);
  private final Map<Part, double[]> bytes = new EnumMap<>(Part.class);
  private long steps;
  private long tokens;

  public DecodeProfile() {
    for (Part p : Part.values()) {
      nanos.put(p, new long[1]);
      flops.put(p, new double[1]);
      bytes.put(p, new double[1]);
    }
  }

  /** Adds {@code ns} nanoseconds, {@code flop} FLOPs and {@code read} bytes to {@code part}. */
  void add(Part part, long ns, double flop, double read) {
    nanos.get(part)[0] += ns;
    flops.get(part)[0] += flop;
    bytes.get(part)[0] += read;
  }

  void countStep(int activeRows) {
    steps++;
    tokens += activeRows;
  }

  /** Decode steps profiled. */
  public long steps() {
    return steps;
  }

  /** Tokens decoded in those steps (active rows summed over steps). */
  public long tokens() {
    return tokens;
  }

  /** Wall seconds spent in {@code part}. */
  public double seconds(Part part) {
    return nanos.get(part)[0] / 1e9;
  }

  /** Matrix-product FLOPs of {@code part} (2 per multiply-add; element-wise work is not counted). */
  public double flops(Part part) {
    return flops.get(part)[0];
  }

  /** Bytes of weights and KV cache {@code part} reads (each weight once per step, whatever the batch). */
  public double bytesRead(Part part) {
    return bytes.get(part)[0];
  }

  /** Wall seconds of all parts. */
  public double totalSeconds() {
    double s = 0;
    for (Part p : Part.values()) {
      s += seconds(p);
    }
    return s;
  }
}
