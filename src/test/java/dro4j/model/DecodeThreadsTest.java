package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The persistent decode pool: every row exactly once, after its workers spin or park, failures, two callers. */
class DecodeThreadsTest {
  @Test
  void everyRowRunsExactlyOnceWhetherWorkersSpinOrPark() throws InterruptedException {
    try (DecodeThreads pool = new DecodeThreads(3)) {
      for (int round = 0; round < 40; round++) {
        AtomicIntegerArray seen = new AtomicIntegerArray(1000);
        pool.forRange(1000, 7, (from, to) -> {
          for (int i = from; i < to; i++) {
            seen.incrementAndGet(i);
          }
        });
        for (int i = 0; i < 1000; i++) {
          assertThat(seen.get(i)).as("round %d row %d", round, i).isEqualTo(1);
        }
        if (round % 10 == 9) {
          Thread.sleep(5); // longer than the spin: the workers park and must be woken
        }
      }
    }
  }

  @Test
  void aFailingChunkIsRethrownAndThePoolKeepsWorking() {
    try (DecodeThreads pool = new DecodeThreads(2)) {
      assertThatThrownBy(() -> pool.forRange(100, (from, to) -> {
        if (from <= 50 && 50 < to) {
          throw new IllegalArgumentException("row 50");
        }
      })).isInstanceOf(IllegalArgumentException.class).hasMessage("row 50");
      int[] parts = new int[4];
      pool.run(4, p -> parts[p] = p + 1);
      assertThat(parts).containsExactly(1, 2, 3, 4);
    }
  }

  @Test
  void alignedChunksStartOnTheMultipleAndCoverEveryRowOnce() {
    try (DecodeThreads pool = new DecodeThreads(2)) {
      // 4,864 rows of 896 columns (the 0.5B shape's gate/up) in chunks starting on multiples of 32,
      // and a range shorter than two multiples, which runs as one chunk
      for (int[] c : new int[][] {{4864, 32}, {4870, 32}, {896, 32}, {50, 32}, {1000, 1}}) {
        int n = c[0];
        int align = c[1];
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        java.util.Set<Integer> starts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        pool.forRange(n, 8, align, (from, to) -> {
          starts.add(from);
          for (int i = from; i < to; i++) {
            seen.incrementAndGet(i);
          }
        });
        for (int i = 0; i < n; i++) {
          assertThat(seen.get(i)).as("n %d row %d", n, i).isEqualTo(1);
        }
        assertThat(starts).as("n %d", n).allMatch(s -> s % align == 0);
        if (n >= 2 * align * 16) {
          assertThat(starts).as("n %d: the full 2 x 8 chunks", n).hasSize(16);
        }
      }
    }
  }

  @Test
  void chunkStartsAreMultiplesOfTheAlignmentEndingAtN() {
    // 152 units of 32 rows in 16 chunks: 9 or 10 units each, the last one ending at 4,870
    int previous = 0;
    for (int c = 1; c <= 16; c++) {
      int start = DecodeThreads.chunkStart(4870, 16, 32, 152, c);
      if (c < 16) {
        assertThat(start % 32).isZero();
        assertThat(start - previous).isIn(9 * 32, 10 * 32);
      } else {
        assertThat(start).isEqualTo(4870);
      }
      previous = start;
    }
    assertThat(DecodeThreads.chunkStart(1000, 7, 1, 1000, 3)).isEqualTo(1000 * 3 / 7); // the plain split
  }

  @Test
  void twoCallersCanShareOnePool() throws InterruptedException {
    try (DecodeThreads pool = new DecodeThreads(2)) {
      long[][] sums = new long[2][1];
      Thread[] callers = new Thread[2];
      for (int c = 0; c < 2; c++) {
        int id = c;
        callers[c] = new Thread(() -> {
          for (int round = 0; round < 200; round++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(300);
            pool.forRange(300, (from, to) -> {
              for (int i = from; i < to; i++) {
                seen.incrementAndGet(i);
              }
            });
            for (int i = 0; i < 300; i++) {
              sums[id][0] += seen.get(i);
            }
          }
        });
        callers[c].start();
      }
      for (Thread t : callers) {
        t.join(60_000);
      }
      assertThat(sums[0][0]).isEqualTo(200L * 300);
      assertThat(sums[1][0]).isEqualTo(200L * 300);
    }
  }

  @Test
  void aClosedPoolRefusesWork() {
    DecodeThreads pool = new DecodeThreads(2);
    pool.close();
    assertThatThrownBy(() -> pool.forRange(100, (from, to) -> {})).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}
