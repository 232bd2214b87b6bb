package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When {@link DecodeKernels#compileAhead} counts the kernels as compiled, from its rounds' times. */
class CompileAheadTest {
  @BeforeAll
  static void kernels() {
    org.junit.jupiter.api.Assumptions.assumeTrue(KernelJdks.expected(), "JDK 19-21: no Java decode kernels");
  }

  /** Round times in microseconds, as nanoseconds. */
  private static long[] us(long... micros) {
    long[] out = new long[micros.length];
    for (int i = 0; i < micros.length; i++) out[i] = micros[i] * 1000;
    return out;
  }

  /** The first {@code n} rounds of a run shaped like those measured: interpreter, C1, part C2, C2. */
  private static long[] measuredShape(int n) {
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      r[i] = 1000L * (i == 0 ? 250_000 : i < 28 ? 18_000 + 9_000 * (i % 3) : i < 48 ? 4_800 : 700);
    }
    return r;
  }

  @Test
  void compiledOnceTwentyRoundsHavePassedSinceAFirstRoundSixteenTimesFasterThanTheEarlyOnes() {
    // early median 27 ms (rounds 1-8); 4.8 ms (part compiled) is not 1/16 of it, 0.7 ms from round 48 is
    long[] r = measuredShape(120);
    assertThat(DecodeKernels.looksCompiled(r, 48)).isFalse();
    assertThat(DecodeKernels.looksCompiled(r, 48 + DecodeKernels.AHEAD_ROUNDS_AFTER)).isFalse();
    assertThat(DecodeKernels.looksCompiled(r, 48 + DecodeKernels.AHEAD_ROUNDS_AFTER + 1)).isTrue();
  }

  @Test
  void noiseIsNotCompilationAndTooFewRoundsDecideNothing() {
    long[] flat = new long[200];
    for (int i = 0; i < flat.length; i++) flat[i] = 1_000_000L * (i % 7 == 0 ? 9 : 1); // spikes of 9x
    assertThat(DecodeKernels.looksCompiled(flat, 200)).isFalse();
    assertThat(DecodeKernels.looksCompiled(us(250_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000), 9))
        .isFalse();
  }

  @Test
  void compilingAheadRunsOnceAJvm() {
    DecodeKernels.compileAhead();
    assertThat(DecodeKernels.compileAhead()).isZero();
  }

  @Test
  void aRoundOfMatmulsThatAllocatesMegabytesWasBoxedAndTheWarningIsOneLine() {
    assertThat(DecodeKernels.boxes(0)).isFalse();
    assertThat(DecodeKernels.boxes(9 * 60)).isFalse(); // ~9 bytes a call measured, 60 calls a round
    assertThat(DecodeKernels.boxes(5_400 * 1024)).isTrue(); // a boxed round, measured
    assertThat(DecodeKernels.boxedWarning(5_400 * 1024)).contains("5400 KB").contains("DRO4J_DECODE=libtorch")
        .doesNotContain("\n");
  }

  @Test
  void aRoundThatKeepsAllocatingIsBoxedAndOneThatStopsWasStillCompiling() {
    long[] sink = new long[1];
    Runnable boxed = () -> sink[0] += new byte[1 << 20].length; // a megabyte every round, like boxed vectors
    assertThat(DecodeKernels.boxedWarning(boxed, 5, 1_000_000_000L)).contains("KB a round").contains("boxed");
    int[] calls = {0};
    Runnable compiling = () -> {
      if (calls[0]++ < 3) sink[0] += new byte[1 << 20].length; // allocates until "C2" arrives
    };
    assertThat(DecodeKernels.boxedWarning(compiling, 10, 1_000_000_000L)).isNull();
    assertThat(calls[0]).isEqualTo(4); // stops at the first round that allocates nothing
    assertThat(DecodeKernels.boxedWarning(() -> {}, 10, 1_000_000_000L)).isNull();
  }
}
