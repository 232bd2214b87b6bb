package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.LanguageModel;
import dro4j.bench.MemoryBenchmark;
import dro4j.rl.config.GrpoConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Resident memory stays flat over hundreds of GRPO steps: every step's arrays (rollouts, KV cache,
 * reference and policy forwards, autograd graph, gradient handles) are freed with the step; only the
 * parameters, their gradients and AdamW's moments persist. Prints the RSS curve.
 */
class GrpoTrainerMemoryTest {
  static final int STEPS = 300;

  @Test
  void residentMemoryIsFlatOverThreeHundredSteps() {
    GrpoConfig config = GrpoTrainerTest.tiny().maxSteps(STEPS).numGenerations(2).beta(0.04).numIterations(2)
        .gradientAccumulationSteps(2).maxCompletionLength(4).build();
    List<Double> rss = new ArrayList<>();
    List<Integer> arrays = new ArrayList<>();
    try (LanguageModel lm = LanguageModel.loadDefault();
        LanguageModel reference = LanguageModel.loadDefault()) {
      GrpoTrainer t = GrpoTrainer.builder(config).policy(lm).referencePolicy(reference)
          .reward(GrpoTrainerTest.LENGTH, 1.0)
          .listener((step, m) -> {
            if (step % 25 == 0) {
              System.gc();
              rss.add(MemoryBenchmark.residentMiB());
              arrays.add(lm.manager().getManagedArrays().size() + reference.manager().getManagedArrays().size());
            }
          })
          .build();
      try (t) {
        long start = System.nanoTime();
        t.train();
        System.out.printf("GRPO RSS MiB every 25 of %d steps (%.1f s): %s; live NDArrays: %s%n", STEPS,
            (System.nanoTime() - start) / 1e9, rss.stream().map(v -> String.format("%.0f", v)).toList(), arrays);
      }
    }
    assertThat(rss).hasSize(STEPS / 25);
    // not one array of a step survives it: the count is the same after step 25 and after step 300
    assertThat(arrays).containsOnly(arrays.get(0));
    if (rss.get(0) < 0) return; // no /proc: nothing to measure
    // After warm-up (allocator pools, JIT) the baseline must not rise. Single samples spike by tens of
    // MiB when the allocator or the GC holds on to memory for a while, so compare the lowest sample
    // of steps 50-125 with the lowest of the last four (steps 225-300).
    double warm = rss.subList(1, 5).stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double end = rss.subList(rss.size() - 4, rss.size()).stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertThat(end - warm).as("RSS baseline growth over " + STEPS + " steps (MiB)").isLessThan(MAX_GROWTH_MIB);
  }

  static final double MAX_GROWTH_MIB = 40;
}
