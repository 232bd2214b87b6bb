package dro4j.model;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * A fixed pool of daemon threads that runs the parts of one decode kernel: part 0 on the calling
 * thread, the others on the pool. Each part owns a fixed range of output rows, so results are the
 * same for any thread count.
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

  /** Splits {@code [0, n)} into {@link #threads()} ranges and runs {@code range.accept(from, to)} on each. */
  void forRange(int n, RangeTask range) {
    int parts = Math.min(threads, Math.max(1, n));
    run(parts, p -> range.accept((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts)));
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
