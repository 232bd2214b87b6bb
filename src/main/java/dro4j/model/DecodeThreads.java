package dro4j.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of persistent daemon threads that run the parts of one decode kernel together with the
 * calling thread. A decode step hands out a hundred or more kernels, a few microseconds to a few
 * milliseconds each, so the workers wait for the next one spinning for a short while and only then
 * park: a kernel that follows closely starts without a wake-up through the scheduler. Work is cut
 * into fixed chunks, so results are the same for any thread count.
 */
final class DecodeThreads implements AutoCloseable {
  /** How long an idle worker spins for the next kernel before it parks. */
  private static final long SPIN_NANOS = 200_000;
  /** Chunks per thread: a thread the OS has paused leaves its chunks to the others. */
  private static final int CHUNKS_PER_THREAD = 8;

  private final int threads;
  private final Worker[] workers;
  /** The kernel being run (or the last one); workers compare it with the one they saw last. */
  private volatile Job current;
  private volatile boolean closed;

  DecodeThreads(int threads) {
    this.threads = Math.max(1, threads);
    this.workers = new Worker[this.threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker();
      Thread t = new Thread(workers[i], "dro4j-decode-" + (i + 1));
      t.setDaemon(true);
      workers[i].thread = t;
      t.start();
    }
  }

  int threads() {
    return threads;
  }

  /** Runs {@code part.accept(i)} for {@code i = 0 .. parts - 1}, in parallel, and waits for all. */
  void run(int parts, IntConsumer part) {
    if (parts == 1 || workers.length == 0) {
      for (int i = 0; i < parts; i++) {
        part.accept(i);
      }
      return;
    }
    execute(new Job(parts, parts, 1, parts, (from, to) -> {
      for (int i = from; i < to; i++) {
        part.accept(i);
      }
    }));
  }

  /**
   * Runs {@code range.accept(from, to)} over fixed chunks of {@code [0, n)} (rows of at least {@code
   * minChunk}), which the calling thread and the workers take in turn. The chunks, and so the results,
   * do not depend on which thread runs which; on a busy machine a descheduled thread only delays the
   * chunk it holds, not a fixed share of the work. The caller waits for the chunks, not for workers
   * that found nothing left to do.
   */
  void forRange(int n, int minChunk, RangeTask range) {
    forRange(n, minChunk, 1, range);
  }

  /**
   * {@link #forRange(int, int, RangeTask)} with every chunk starting at a multiple of {@code align}
   * rows (the last one ends at {@code n}); {@code align} 1 is the plain split.
   */
  void forRange(int n, int minChunk, int align, RangeTask range) {
    int unit = Math.max(1, align);
    int units = Math.max(1, n / unit);
    int chunks = Math.max(1, Math.min(Math.min(threads * CHUNKS_PER_THREAD, n / Math.max(1, minChunk)), units));
    if (workers.length == 0 || chunks == 1) {
      range.accept(0, n);
      return;
    }
    execute(new Job(n, chunks, unit, units, range));
  }

  /** {@link #forRange(int, int, RangeTask)} with chunks of at least one row. */
  void forRange(int n, RangeTask range) {
    forRange(n, 1, range);
  }

  /** Where chunk {@code c} of {@code chunks} starts: {@code align * floor(units * c / chunks)}, and {@code n} for the end. */
  static int chunkStart(int n, int chunks, int align, int units, int c) {
    return c >= chunks ? n : align * (int) ((long) units * c / chunks);
  }

  private void execute(Job job) {
    if (closed) {
      throw new IllegalStateException("the decode threads are closed");
    }
    current = job;
    for (Worker w : workers) {
      if (w.parked) {
        LockSupport.unpark(w.thread);
      }
    }
    job.work();
    for (int spins = 0; job.done.get() < job.chunks; spins++) {
      // another thread finishes the chunk it took; on a busy machine give it the core
      if (spins < 1000) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
    RuntimeException failure = job.failure.get();
    if (failure != null) {
      throw failure;
    }
  }

  /** A part of a kernel over rows {@code [from, to)}. */
  @FunctionalInterface
  interface RangeTask {
    void accept(int from, int to);
  }

  /**
   * One kernel: {@code chunks} fixed pieces of {@code [0, n)} ({@link #chunkStart}), taken by whichever
   * thread is free.
   */
  private static final class Job {
    final int n;
    final int chunks;
    final int align;
    final int units;
    final RangeTask range;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final AtomicReference<RuntimeException> failure = new AtomicReference<>();

    Job(int n, int chunks, int align, int units, RangeTask range) {
      this.n = n;
      this.chunks = chunks;
      this.align = align;
      this.units = units;
      this.range = range;
    }

    void work() {
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        try {
          if (failure.get() == null) {
            range.accept(chunkStart(n, chunks, align, units, c), chunkStart(n, chunks, align, units, c + 1));
          }
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        } finally {
          done.incrementAndGet();
        }
      }
    }
  }

  private final class Worker implements Runnable {
    Thread thread;
    volatile boolean parked;

    @Override
    public void run() {
      Job seen = null;
      long idleSince = System.nanoTime();
      while (!closed) {
        Job job = current;
        if (job != seen) {
          seen = job;
          job.work();
          idleSince = System.nanoTime();
          continue;
        }
        if (System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
          continue;
        }
        parked = true;
        if (current == seen && !closed) { // re-read after announcing: execute() unparks whoever it sees parked
          LockSupport.park(this);
        }
        parked = false;
        idleSince = System.nanoTime();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Worker w : workers) {
      LockSupport.unpark(w.thread);
    }
  }
}
