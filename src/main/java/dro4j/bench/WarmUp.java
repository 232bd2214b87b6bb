package dro4j.bench;

import java.util.Arrays;

/**
 * When untimed warm-up steps of a decode benchmark have settled: the JIT keeps compiling well after
 * the first steps (on a 2-core machine, a 0.5B model's batch-1 step went from ~150 ms to ~90 ms after
 * ten steps and to ~75 ms after fifty; a change of batch size deoptimizes the decode step and runs it
 * in slower code for seconds), so a fixed warm-up time measures whatever stage compilation has reached.
 *
 * <p>Steps are taken in blocks of {@link #BLOCK_STEPS}; a block's time is its median step, so one step
 * the OS delayed does not count as a change. Warm-up is over when at least {@link #PATIENCE_BLOCKS}
 * blocks in a row, and at least {@code patienceNanos} of steps, have gone by since the last block that
 * was {@link #MIN_GAIN} faster than the fastest before it (the time too, because a small model's blocks
 * take milliseconds while one compile of its decode step takes a second or more), or when {@code
 * maxNanos} of step time has gone by. The clock is the sum of the step times given, so a decision
 * depends only on those times.
 */
final class WarmUp {
  /** Steps whose median is one block's time. */
  static final int BLOCK_STEPS = 8;
  /** Blocks in a row without a real gain after which the steps count as settled. */
  static final int PATIENCE_BLOCKS = 4;
  /** The share by which a block must beat the fastest one before it to count as a gain. */
  static final double MIN_GAIN = 0.02;

  private final long patienceNanos;
  private final long maxNanos;
  private final long[] block = new long[BLOCK_STEPS];
  private int inBlock;
  private int steps;
  private long elapsed;
  private long fastestBlock = Long.MAX_VALUE;
  private int blocksWithoutGain;
  /** Step time since the end of the last block with a gain. */
  private long sinceGain;

  /** Warm-up that waits {@code patienceNanos} of steps without a gain, at most about {@code maxNanos} in all. */
  WarmUp(long patienceNanos, long maxNanos) {
    if (patienceNanos < 0 || maxNanos < patienceNanos) {
      throw new IllegalArgumentException("need 0 <= patienceNanos <= maxNanos, got " + patienceNanos + " and " + maxNanos);
    }
    this.patienceNanos = patienceNanos;
    this.maxNanos = maxNanos;
  }

  /** Records one warm-up step's time. */
  void step(long nanos) {
    steps++;
    elapsed += nanos;
    sinceGain += nanos;
    block[inBlock++] = nanos;
    if (inBlock == BLOCK_STEPS) {
      inBlock = 0;
      long[] sorted = block.clone();
      Arrays.sort(sorted);
      long median = sorted[BLOCK_STEPS / 2];
      if (median < fastestBlock * (1 - MIN_GAIN)) {
        blocksWithoutGain = 0;
        sinceGain = 0;
      } else {
        blocksWithoutGain++;
      }
      fastestBlock = Math.min(fastestBlock, median);
    }
  }

  /** Whether the steps so far count as settled (or warm-up has used its time). */
  boolean done() {
    return steps >= 3 && (settled() || elapsed >= maxNanos);
  }

  /** Whether the steps have gone the patience without a gain (rather than the time limit ending warm-up). */
  boolean settled() {
    return blocksWithoutGain >= PATIENCE_BLOCKS && sinceGain >= patienceNanos;
  }

  /** Warm-up steps recorded so far. */
  int steps() {
    return steps;
  }

  /** The sum of the step times recorded so far. */
  long elapsedNanos() {
    return elapsed;
  }
}
