package dro4j.bench;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.model.ModelConfig;
import dro4j.reward.KeywordReward;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.rl.DemoData;
import dro4j.rl.GrpoTrainer;
import dro4j.rl.LrSchedulerType;
import dro4j.rl.config.GrpoConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Times one GRPO step ({@link GrpoTrainer}, rewards given in code) and splits it into generation,
 * reward and training seconds as the trainer's step metrics {@code time/generation}, {@code
 * time/reward}, {@code time/training}, {@code time/step} report them; the training part is also
 * given as FLOP/s and as a fraction of the fp32 GEMM peak measured in the same process.
 *
 * <p>Two steps are run on the bundled demo prompts and the second is reported (the first warms up).
 * The reward is the demo job's keyword reward (sentences mentioning "ball"), which {@code time/reward}
 * times, plus a tie-breaker of 0.01 x the mean completion token id / vocabulary size: it varies
 * within a group, so the update is a real one even for a random model whose sampled ids the
 * tokenizer cannot decode into words. The peak resident memory of the two steps is read from {@code
 * /proc/self/status} after resetting the kernel's high-water mark ({@code /proc/self/clear_refs}).
 *
 * <p>Training FLOPs of a step ({@link #trainingFlops}), counted like {@link RuntimeBenchmark} (2 per
 * multiply-add of the matrix products; element-wise work, padding and the optimizer not counted): for
 * each trained row with {@code p} prompt and {@code c} completion tokens, {@code n = p + c}, one
 * forward costs {@code F = n * blockFlopsPerToken(config, (n + 1) / 2) + c * headFlops(config)}
 * (causal attention over {@code 1..n} keys; the LM head only on the positions predicting completion
 * tokens). The step costs {@code 3 * num_iterations * sum F} (forward + backward ~ 3 x forward), plus
 * {@code sum F} for the old log-probs when {@code num_iterations > 1}, plus {@code sum F} for the
 * reference log-probs when {@code beta > 0}.
 */
public final class GrpoBenchmark {
  private GrpoBenchmark() {}

  /** Matrix-product FLOPs of one forward over a row of {@code prompt + completion} tokens (see class doc). */
  public static double forwardFlops(ModelConfig c, int promptLength, int completionLength) {
    int n = promptLength + completionLength;
    return n * RuntimeBenchmark.blockFlopsPerToken(c, (n + 1) / 2.0) + completionLength * RuntimeBenchmark.headFlops(c);
  }

  /**
   * Training FLOPs of one step over rows {@code i} with {@code promptLengths[i]} and {@code
   * completionLengths[i]} tokens: {@code (3 * numIterations + (numIterations > 1 ? 1 : 0) + (withReference
   * ? 1 : 0)) * sum_i forwardFlops(i)}.
   */
  public static double trainingFlops(ModelConfig c, int[] promptLengths, int[] completionLengths, int numIterations,
      boolean withReference) {
    double forward = 0;
    for (int i = 0; i < promptLengths.length; i++) forward += forwardFlops(c, promptLengths[i], completionLengths[i]);
    int passes = 3 * numIterations + (numIterations > 1 ? 1 : 0) + (withReference ? 1 : 0);
    return passes * forward;
  }

  /**
   * The size of a step: prompts per step x rollouts per prompt x {@code completionTokens} new tokens each.
   * Every completion has exactly that length ({@code min_completion_length} = {@code
   * max_completion_length}): a model with random weights draws its EOS early, which would leave the
   * update's GEMMs smaller than the shape says.
   */
  public record Shape(int prompts, int generations, int completionTokens) {
    public Shape {
      if (prompts < 1 || generations < 2 || completionTokens < 1) {
        throw new IllegalArgumentException("a GRPO step needs >= 1 prompt, >= 2 generations and >= 1 token, got "
            + prompts + " x " + generations + " x " + completionTokens);
      }
    }

    @Override
    public String toString() {
      return prompts + " prompts x " + generations + " rollouts x " + completionTokens + " tokens (every completion"
          + " full length)";
    }
  }

  /**
   * What one measured step reported; {@code peakRssMiB} is the peak resident memory during the two
   * steps (-1 where /proc is unavailable), over the process's lifetime where the high-water mark
   * cannot be reset ({@code peakRssSinceStart}).
   */
  public record Result(double generationSeconds, double rewardSeconds, double trainingSeconds, double stepSeconds,
      double trainingFlops, long trainedTokens, long completionTokens, double peakRssMiB, boolean peakRssSinceStart) {}

  /** {@link #run(LanguageModel, Shape, UnaryOperator)} with {@code prompts x generations x newTokens}, no extra settings. */
  public static Result run(LanguageModel policy, int prompts, int generations, int newTokens) {
    return run(policy, new Shape(prompts, generations, newTokens), UnaryOperator.identity());
  }

  /**
   * Runs two steps of {@code shape} (beta 0, num_iterations 1) on {@code policy} and returns the
   * second. {@code settings} adjusts the trainer's configuration before it is built (LoRA settings
   * for the {@code grpo_step_lora} measurement, for example).
   */
  public static Result run(LanguageModel policy, Shape shape, UnaryOperator<GrpoConfig.Builder> settings) {
    return run(policy, shape, settings, DemoData.keywordPrompts());
  }

  /**
   * {@code count} prompts of about {@code tokens} tokens each (story text cut to that length with the
   * policy's tokenizer), for measurements at a fixed prompt length.
   */
  public static List<Example> prompts(LanguageModel policy, int count, int tokens) {
    String story = "Once upon a time, there was a little girl named Lily. She liked to play with her red ball in the park. ";
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int[] ids = policy.tokenizer().encode((i + 1) + ". " + story.repeat(1 + tokens / 8), false);
      String text = policy.tokenizer().decode(java.util.Arrays.copyOf(ids, Math.min(ids.length, tokens - 1)), true);
      out.add(new Example("p" + i, Map.of("prompt", text), "", Map.of()));
    }
    return out;
  }

  /** {@link #run(LanguageModel, Shape, UnaryOperator)} on {@code prompts}. */
  public static Result run(LanguageModel policy, Shape shape, UnaryOperator<GrpoConfig.Builder> settings,
      List<Example> prompts) {
    GrpoConfig config = settings.apply(GrpoConfig.builder().learningRate(1e-6).lrSchedulerType(LrSchedulerType.CONSTANT)
        .perStepPrompts(shape.prompts()).numGenerations(shape.generations())
        .maxCompletionLength(shape.completionTokens()).minCompletionLength(shape.completionTokens()).beta(0)
        .numIterations(1).maxSteps(2).loggingSteps(1).seed(1)).build();
    List<int[]> lengths = new ArrayList<>(); // [prompt, completion] per rollout of the latest step
    int vocab = policy.config().vocabSize();
    Reward tieBreaker = new Reward() {
      @Override
      public String name() {
        return "mean_token_id";
      }

      @Override
      public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
        // called once per prompt's group: lengths gathers the step's groups, cleared after each step
        List<RewardResult> out = new ArrayList<>();
        for (RolloutGroup g : groups) {
          double[] s = new double[g.size()];
          for (int i = 0; i < s.length; i++) {
            Rollout r = g.rollouts().get(i);
            lengths.add(new int[] {g.promptIds().length, r.ids().length});
            double sum = 0;
            for (int id : r.ids()) sum += id;
            s[i] = r.ids().length == 0 ? 0 : 0.01 * sum / r.ids().length / vocab;
          }
          out.add(RewardResult.of(s));
        }
        return out;
      }
    };
    boolean reset = resetPeakRss();
    Result[] last = new Result[1];
    try (GrpoTrainer trainer = GrpoTrainer.builder(config).policy(policy)
        .reward(new KeywordReward(List.of("ball")), 1.0).reward(tieBreaker, 1.0)
        .dataset(prompts).listener((step, m) -> {
          last[0] = result(policy.config(), m, lengths);
          lengths.clear();
        })
        .build()) {
      trainer.train();
    }
    Result r = last[0];
    return new Result(r.generationSeconds(), r.rewardSeconds(), r.trainingSeconds(), r.stepSeconds(), r.trainingFlops(),
        r.trainedTokens(), r.completionTokens(), peakRssMiB(), !reset);
  }

  /** Resets the kernel's peak-RSS mark of this process (Linux: "5" to /proc/self/clear_refs); false where it cannot. */
  static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Peak resident memory (VmHWM) of this process in MiB, or -1 where /proc is unavailable. */
  static double peakRssMiB() {
    return statusMiB("VmHWM:");
  }

  /** Resident memory now (VmRSS) of this process in MiB, or -1 where /proc is unavailable. */
  public static double rssMiB() {
    return statusMiB("VmRSS:");
  }

  private static double statusMiB(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux
    }
    return -1;
  }

  private static Result result(ModelConfig c, Map<String, Object> m, List<int[]> lengths) {
    int[] p = new int[lengths.size()];
    int[] n = new int[lengths.size()];
    long tokens = 0;
    long completionTokens = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = lengths.get(i)[0];
      n[i] = lengths.get(i)[1];
      tokens += p[i] + n[i];
      completionTokens += n[i];
    }
    return new Result(num(m, "time/generation"), num(m, "time/reward"), num(m, "time/training"), num(m, "time/step"),
        trainingFlops(c, p, n, 1, false), tokens, completionTokens, -1, false);
  }

  private static double num(Map<String, Object> m, String key) {
    return ((Number) m.get(key)).doubleValue();
  }

  /** Prints the table header. */
  public static void header(PrintWriter out) {
    out.printf("%-36s %8s %8s %8s %8s %8s %10s %11s %7s %9s%n", "model (step 2)", "gen s", "reward s", "train s", "step s",
        "tokens", "train GF", "train GF/s", "% peak", "peak MiB");
  }

  /** Prints one row: the step's split and its training FLOP/s against {@code peak}. */
  public static void line(PrintWriter out, String name, Result r, double peak) {
    double rate = r.trainingFlops() / r.trainingSeconds();
    out.printf("%-36s %8.3f %8.3f %8.3f %8.3f %8d %10.2f %11.2f %6.1f%% %9.0f%n", name, r.generationSeconds(),
        r.rewardSeconds(), r.trainingSeconds(), r.stepSeconds(), r.trainedTokens(), r.trainingFlops() / 1e9,
        rate / 1e9, 100 * rate / peak, r.peakRssMiB());
    out.flush();
  }
}
