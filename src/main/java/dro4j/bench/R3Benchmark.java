package dro4j.bench;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.reward.likelihood.R3Config;
import dro4j.reward.likelihood.ReasoningReflectionReward;
import dro4j.reward.likelihood.ScoringOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Cost of DRO's R3 (Xu et al. 2025, arXiv 2506.13351) next to the generation it scores: for a group of
 * G rollouts, the time to generate them, then to score the reference after each rollout with R3 by
 * continuing the generation's KV cache and by re-encoding prompt + rollout + reference from scratch.
 * Each scoring time is reported as a fraction of the generation time of the same group, measured in the
 * same process moments apart, so the ratios survive a noisy shared machine better than the absolute
 * times.
 *
 * <p>Every rollout generates exactly {@code newTokens} tokens (EOS is not a stop token here) and the
 * whole rollout is the reasoning, so the reference follows prompt + all new tokens: the case where
 * re-encoding costs most. Times are medians over the repeats, after {@link #WARMUP} untimed rounds.
 */
public final class R3Benchmark {
  private R3Benchmark() {}

  /** Untimed rounds per group size before the timed ones (JIT compilation, allocator warm-up). */
  static final int WARMUP = 2;

  static final String PROMPT =
      "Once upon a time, there was a little girl named Lily. She liked to play outside with her friends.";
  static final String REFERENCE = "One day, Lily went to the park with her mom. The sun was shining.";

  /** Medians for one group size, in seconds. */
  public record Result(int groupSize, int promptTokens, int newTokens, int referenceTokens,
      double generateSeconds, double cacheSeconds, double reencodeSeconds) {}

  /** Runs the benchmark for each group size and prints a table to {@code out}. */
  public static List<Result> run(LanguageModel lm, int[] groupSizes, int newTokens, int repeats, PrintWriter out) {
    int[] prompt = lm.tokenizer().encode(PROMPT, true);
    int referenceTokens = lm.tokenizer().encode(REFERENCE, false).length;
    ReasoningReflectionReward r3 = new ReasoningReflectionReward(R3Config.defaults()
        .withScoring(ScoringOptions.defaults().withSplit(ReasoningSplit.wholeRollout())));
    out.printf("R3 scoring vs generation, %s: prompt %d tokens, %d new tokens per rollout, reference %d tokens,"
            + " median of %d (after %d untimed rounds), %d processors%n",
        lm.directory().getFileName(), prompt.length, newTokens, referenceTokens, repeats, WARMUP,
        Runtime.getRuntime().availableProcessors());
    out.printf("%4s %14s %24s %24s %12s%n", "G", "generate ms", "R3 KV-cache ms (x gen)", "R3 re-encode ms (x gen)",
        "re-enc/cache");
    List<Result> results = new ArrayList<>();
    for (int g : groupSizes) {
      double[] gen = new double[repeats];
      double[] cache = new double[repeats];
      double[] reenc = new double[repeats];
      for (int r = -WARMUP; r < repeats; r++) {
        SamplingParams params = SamplingParams.defaults().withMaxNewTokens(newTokens).withSeed(100 + r)
            .withNumReturnSequences(g);
        long t0 = System.nanoTime();
        // the generator directly: no EOS stop, so every rollout has exactly newTokens tokens
        try (Generation generation = lm.generator().generate(List.of(prompt), params, true)) {
          long t1 = System.nanoTime();
          List<Rollout> rollouts = new ArrayList<>();
          for (int i = 0; i < g; i++) {
            rollouts.add(Rollout.of(generation.completions().get(i), i));
          }
          List<RolloutGroup> groups = List.of(
              new RolloutGroup(new Example("bench", Map.of(), REFERENCE, Map.of()), prompt, rollouts));
          long t2 = System.nanoTime();
          r3.score(groups, new RewardContext(lm, null, generation, 0));
          long t3 = System.nanoTime();
          r3.score(groups, RewardContext.of(lm));
          long t4 = System.nanoTime();
          if (r >= 0) {
            gen[r] = (t1 - t0) / 1e9;
            cache[r] = (t3 - t2) / 1e9;
            reenc[r] = (t4 - t3) / 1e9;
          }
        }
      }
      Result res = new Result(g, prompt.length, newTokens, referenceTokens, median(gen), median(cache), median(reenc));
      results.add(res);
      out.printf("%4d %14.1f %15.1f (%5.3f) %15.1f (%5.3f) %12.2f%n", g, res.generateSeconds() * 1e3,
          res.cacheSeconds() * 1e3, res.cacheSeconds() / res.generateSeconds(), res.reencodeSeconds() * 1e3,
          res.reencodeSeconds() / res.generateSeconds(), res.reencodeSeconds() / res.cacheSeconds());
      out.flush();
    }
    return results;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** {@code R3Benchmark [modelDir]}: G = 8 and 16, 48 new tokens, median of 5, on the bundled model by default. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    try (LanguageModel lm = LanguageModel.loadOrDefault(args.length > 0 ? java.nio.file.Path.of(args[0]) : null)) {
      run(lm, new int[] {8, 16}, 48, 5, out);
    }
  }
}
