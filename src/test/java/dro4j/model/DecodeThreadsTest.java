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
