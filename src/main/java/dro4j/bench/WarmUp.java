package dro4j.bench;

import java.util.Arrays;

/**
 * When untimed warm-up steps of a decode benchmark have settled: the JIT keeps compiling well after
 * the first steps (on a 2-core machine, a 0.5B model's batch-1 step went from ~150 ms to ~90 ms after
 * ten steps and to ~75 ms after fifty; a change of batch size deoptimizes the decode step and runs it
 * in slower code for seconds), so a fixed warm-up time measures whatever stage compilation has reached.
 *
 * <p>Steps are taken in blocks of {@link #BLOCK_STEPS}; a block's time is its median step, so one step
 * the OS delayed does not count as a change. Warm-up is over when it has lasted at least {@code
 * minNanos} (and three steps), and either {@link #PATIENCE_BLOCKS} blocks in a row were not {@link
 * #MIN_GAIN} faster than the fastest block before them, or {@code maxNanos} of step time has gone by.
 * The clock is the sum of the step times given, so a decision depends only on those times.
 */
final class WarmUp {
  /** Steps whose median is one block's time. */
  static final int BLOCK_STEPS = 8;
  /** Blocks in a row without a real gain after which the steps count as settled. */
  static final int PATIENCE_BLOCKS = 4;
  /** The share by which a block must beat the fastest one before it to count as a gain. */
  static final double MIN_GAIN = 0.02;

  private final long minNanos;
  private final long maxNanos;
  private final long[] block = new long[BLOCK_STEPS];
  private int inBlock;
  private int steps;
  private long elapsed;
  private long fastestBlock = Long.MAX_VALUE;
  private int blocksWithoutGain;

  /** Warm-up of at least {@code minNanos} and at most about {@code maxNanos} of step time. */
  WarmUp(long minNanos, long maxNanos) {
    if (minNanos < 0 || maxNanos < minNanos) {
      throw new IllegalArgumentException("need 0 <= minNanos <= maxNanos, got " + minNanos + " and " + maxNanos);
    }
    this.minNanos = minNanos;
    this.maxNanos = maxNanos;
  }

  /** Records one warm-up step's time. */
  void step(long nanos) {
    steps++;
    elapsed += nanos;
    block[inBlock++] = nanos;
    if (inBlock == BLOCK_STEPS) {
      inBlock = 0;
      long[] sorted = block.clone();
      Arrays.sort(sorted);
      long median = sorted[BLOCK_STEPS / 2];
      if (median < fastestBlock * (1 - MIN_GAIN)) {
        blocksWithoutGain = 0;
      } else {
        blocksWithoutGain++;
      }
      fastestBlock = Math.min(fastestBlock, median);
    }
  }

  /** Whether the steps so far count as settled (or warm-up has used its time). */
  boolean done() {
    if (steps < 3 || elapsed < minNanos) {
      return false;
    }
    return settled() || elapsed >= maxNanos;
  }

  /** Whether the last {@link #PATIENCE_BLOCKS} blocks brought no gain (rather than the time limit ending warm-up). */
  boolean settled() {
    return blocksWithoutGain >= PATIENCE_BLOCKS;
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
