package dro4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The compute ceiling that {@code bench} prints beside the batch-8 / batch-1 decode ratio. */
class RuntimeBenchmarkTest {
  @Test
  void ceilingIsTheGemmPeakOverBatch8sFlopsPerTokenOverBatch1sRate() {
    // measured on a 2-core Zen 5 (2026-12-02): batch 1 23.0 tokens/s, batch 8 61.7 tokens/s at ~1 GFLOP a
    // token, GEMM peak 99.38 GFLOP/s: even at the peak batch 8 would be 99.4 tokens/s, 4.32x batch 1
    RuntimeBenchmark.Rate b1 = new RuntimeBenchmark.Rate(23.0, 23.0e9, 24.0);
    RuntimeBenchmark.Rate b8 = new RuntimeBenchmark.Rate(61.7, 61.7e9 * 1.0, 64.0);
    assertThat(RuntimeBenchmark.computeCeiling(b1, b8, 99.38e9))
        .isEqualTo("at the GEMM peak batch 8 would be 4.32x batch 1 (99.4 tokens/s)");
  }
}
