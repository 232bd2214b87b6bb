package dro4j.bench;

import dro4j.LanguageModel;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Repeats the rollout-and-score round that training does (sample a group, score a reference after each
 * rollout from the generation's KV cache) and prints the process's resident memory, so a leak of
 * native tensors shows as a growing column.
 */
public final class MemoryBenchmark {
  private MemoryBenchmark() {}

  /** Resident set size of this process in MiB, from /proc (Linux), or -1 where unavailable. */
  public static double residentMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux: report unavailable
    }
    return -1;
  }

  /**
   * Runs {@code rounds} rounds of: generate {@code group} completions of 16 tokens, score a fixed
   * reference after each from the cache. Prints RSS every {@code rounds / 10} rounds and returns the
   * RSS samples.
   */
  public static List<Double> run(LanguageModel lm, int rounds, int group, PrintWriter out) {
    int[] prompt = lm.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true);
    int[] reference = lm.tokenizer().encode(" She went to the park and played with her ball.", false);
    if (prompt.length == 0) {
      prompt = new int[] {0};
    }
    List<Double> samples = new ArrayList<>();
    int every = Math.max(1, rounds / 10);
    long start = System.nanoTime();
    out.printf("%8s %10s %12s %10s%n", "round", "RSS MiB", "heap MiB", "seconds");
    for (int round = 1; round <= rounds; round++) {
      SamplingParams params = SamplingParams.defaults().withMaxNewTokens(16).withSeed(round).withNumReturnSequences(group);
      try (Generation g = lm.generate(List.of(prompt), params, true)) {
        List<int[]> contexts = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (Completion c : g.completions()) {
          int[] context = java.util.Arrays.copyOf(prompt, prompt.length + c.ids().length);
          System.arraycopy(c.ids(), 0, context, prompt.length, c.ids().length);
          contexts.add(context);
          targets.add(reference);
        }
        lm.scorer().scoreContinuation(g.cache(), contexts, targets, 1.0);
      }
      if (round % every == 0 || round == 1) {
        Runtime rt = Runtime.getRuntime();
        double rss = residentMiB();
        samples.add(rss);
        out.printf("%8d %10.1f %12.1f %10.1f%n", round, rss, (rt.totalMemory() - rt.freeMemory()) / 1048576.0,
            (System.nanoTime() - start) / 1e9);
        out.flush();
      }
    }
    return samples;
  }
}
