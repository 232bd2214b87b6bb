package dro4j.model;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A fixed pool of daemon threads that runs the parts of one decode kernel together with the calling
 * thread. Each part owns a fixed range of output rows, so results are the same for any thread count.
 */
final class DecodeThreads implements AutoCloseable {
  private final int threads;
  private final ExecutorService pool;

  DecodeThreads(int threads) {
    this.threads = Math.max(1, threads);
    this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
      Thread t = new Thread(r, "dro4j-decode");
      t.setDaemon(true);
      return t;
    });
  }

  int threads() {
    return threads;
  }

  /** Runs {@code part.accept(i)} for {@code i = 0 .. parts - 1}, in parallel, and waits for all. */
  void run(int parts, IntConsumer part) {
    if (parts == 1 || pool == null) {
      for (int i = 0; i < parts; i++) {
        part.accept(i);
      }
      return;
    }
    Future<?>[] futures = new Future<?>[parts - 1];
    for (int i = 1; i < parts; i++) {
      int p = i;
      futures[i - 1] = pool.submit(() -> part.accept(p));
    }
    RuntimeException failure = null;
    try {
      part.accept(0);
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while decoding", e);
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Chunks per thread: a thread the OS has paused leaves its chunks to the others. */
  private static final int CHUNKS_PER_THREAD = 8;

  /**
   * Runs {@code range.accept(from, to)} over fixed chunks of {@code [0, n)} (rows of at least {@code
   * minChunk}), which the calling thread and the pool take in turn. The chunks, and so the results, do
   * not depend on which thread runs which; on a busy machine a descheduled thread only delays the
   * chunk it holds, not a fixed share of the work. The caller waits for the chunks, not for pool
   * threads that found nothing left to do.
   */
  void forRange(int n, int minChunk, RangeTask range) {
    int chunks = Math.max(1, Math.min(threads * CHUNKS_PER_THREAD, n / Math.max(1, minChunk)));
    if (pool == null || chunks == 1) {
      range.accept(0, n);
      return;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    Runnable worker = () -> {
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        try {
          if (failure.get() == null) {
            range.accept((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
          }
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        } finally {
          done.incrementAndGet();
        }
      }
    };
    for (int t = 1; t < threads; t++) {
      pool.execute(worker);
    }
    worker.run();
    for (int spins = 0; done.get() < chunks; spins++) {
      // another thread finishes the chunk it took; on a busy machine give it the core
      if (spins < 1000) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  /** {@link #forRange(int, int, RangeTask)} with chunks of at least one row. */
  void forRange(int n, RangeTask range) {
    forRange(n, 1, range);
  }

  /** A part of a kernel over rows {@code [from, to)}. */
  @FunctionalInterface
  interface RangeTask {
    void accept(int from, int to);
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
