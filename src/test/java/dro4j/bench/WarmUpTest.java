package dro4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/** When a decode benchmark's untimed warm-up steps count as settled. */
class WarmUpTest {
  private static final long US = 1_000L;
  private static final long MS = 1_000_000L;

  /** Feeds steps of {@code nanos(s)} until done or {@code limit} steps; the steps taken. */
  private static int feed(WarmUp w, int limit, IntToLongFunction nanos) {
    int s = 0;
    while (!w.done() && s < limit) {
      w.step(nanos.applyAsLong(s++));
    }
    return s;
  }

  @Test
  void aPlateauThatLaterDropsIsWaitedOutAndEndsAfterThePatienceBlocks() {
    // as measured on a 0.5B model at batch 1: ~150 ms for ten steps, ~92 for twenty, then ~75
    WarmUp w = new WarmUp(0, 60_000 * MS);
    int steps = feed(w, 1000, s -> (s < 10 ? 150 : s < 30 ? 92 : 75) * MS);
    assertThat(w.settled()).isTrue();
    // block medians 150, 92, 92, 92 (two of its eight at 75), 75, 75, ...: the gain of steps 32..39 resets
    // the count that the plateau had run up to two, and four blocks without a gain end warm-up at step 72
    assertThat(steps).isEqualTo(72);
  }

  @Test
  void oneSlowStepInABlockIsNotAChangeButAGainInTheMedianIs() {
    WarmUp w = new WarmUp(0, 60_000 * MS);
    // a 1 s hiccup in every block: the medians stay at 100, so warm-up ends after 1 + 4 blocks
    assertThat(feed(w, 1000, s -> (s % 8 == 3 ? 1000 : 100) * MS)).isEqualTo(40);
    WarmUp slowGain = new WarmUp(0, 60_000 * MS);
    // 1% faster a block is no gain (below MIN_GAIN): the same 5 blocks
    assertThat(feed(slowGain, 1000, s -> Math.round(100 * Math.pow(0.99, s / 8)) * MS)).isEqualTo(40);
  }

  @Test
  void thePatienceIsTimeTooSoASmallModelWaitsOutACompileOfItsStep() {
    WarmUp w = new WarmUp(2_000 * MS, 60_000 * MS);
    assertThat(feed(w, 100_000, s -> 10 * MS)).isEqualTo(208); // the first block is a gain; 2 s of 10 ms steps after it
    assertThat(w.settled()).isTrue();
    // a small model: 1 ms steps for 1.5 s (its step in C1's code while C2 compiles it), then 0.3 ms; its
    // blocks take milliseconds, so four of them alone would have ended warm-up on the plateau
    WarmUp small = new WarmUp(2_000 * MS, 60_000 * MS);
    int steps = feed(small, 100_000, s -> (s < 1500 ? 1000 : 300) * US);
    assertThat(steps).isGreaterThan(1500 + 2_000_000 / 300);
    WarmUp quick = new WarmUp(0, 60_000 * MS);
    feed(quick, 2, s -> 10 * MS);
    assertThat(quick.done()).isFalse(); // never fewer than three steps
  }

  @Test
  void theMaximumEndsARunThatKeepsGettingFaster() {
    WarmUp improving = new WarmUp(0, 3_000 * MS);
    // 5% faster every block never settles: the 3 s limit ends it
    int steps = feed(improving, 100_000, s -> Math.max(1, Math.round(500 * Math.pow(0.95, s / 8))) * MS);
    assertThat(improving.settled()).isFalse();
    assertThat(improving.elapsedNanos()).isGreaterThanOrEqualTo(3_000 * MS);
    assertThat(steps).isLessThan(100_000);
  }

  @Test
  void limitsOutOfOrderAreRefused() {
    assertThatThrownBy(() -> new WarmUp(2, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("patienceNanos <= maxNanos");
  }
}
