package dro4j.rl;

import dro4j.generate.Completion;
import dro4j.generate.FinishReason;
import java.util.List;
import java.util.Map;

/** Fills a step's metric map, with TRL GRPOTrainer's metric names where one exists. */
final class StepMetrics {
  private StepMetrics() {}

  /** {@code reward}, {@code reward_std} of the total and {@code rewards/<name>/mean|std} of each reward. */
  static void rewards(Map<String, Object> m, RewardScoring.Scores scores) {
    m.put("reward", Stats.mean(scores.total()));
    m.put("reward_std", Stats.std(scores.total()));
    for (Map.Entry<String, double[]> e : scores.perReward().entrySet()) {
      m.put("rewards/" + e.getKey() + "/mean", Stats.mean(e.getValue()));
      m.put("rewards/" + e.getKey() + "/std", Stats.std(e.getValue()));
    }
  }

  /** Completion lengths in tokens and the share cut at max_completion_length. */
  static void completions(Map<String, Object> m, List<Completion> completions) {
    double[] lengths = new double[completions.size()];
    int truncated = 0;
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = completions.get(i).ids().length;
      if (completions.get(i).finishReason() == FinishReason.LENGTH) truncated++;
    }
    m.put("completions/mean_length", Stats.mean(lengths));
    m.put("completions/min_length", Stats.min(lengths));
    m.put("completions/max_length", Stats.max(lengths));
    m.put("completions/clipped_ratio", (double) truncated / Math.max(1, lengths.length));
  }

  /** Advantage statistics and the share of prompts whose rewards did not vary. */
  static void advantages(Map<String, Object> m, Advantages a) {
    m.put("frac_reward_zero_std", a.fracRewardZeroStd());
    m.put("advantages/mean", a.advantageMean());
    m.put("advantages/std", a.advantageStd());
    m.put("advantages/min", Stats.min(a.advantages()));
    m.put("advantages/max", Stats.max(a.advantages()));
  }

  /** Loss, KL, clip fractions, entropy and gradient norm of the step's updates (absent when none ran). */
  static void update(Map<String, Object> m, GrpoUpdate.Result r, boolean withKl) {
    if (r == null) return;
    m.put("loss", r.loss());
    if (withKl) m.put("kl", r.klMean());
    m.put("clip_ratio/low_mean", r.clip().low());
    m.put("clip_ratio/high_mean", r.clip().high());
    m.put("clip_ratio/region_mean", r.clip().region());
    m.put("entropy", r.entropy());
    m.put("grad_norm", r.gradNorm());
    m.put("updates_applied", r.applied());
  }

  /** Throughput and the seconds spent in each phase of a step ({@code time/...}). */
  static void timing(Map<String, Object> m, List<Completion> completions, GrpoUpdate.Result r, double generationSeconds,
      double rewardSeconds, double trainSeconds, double stepSeconds) {
    long generated = 0;
    for (Completion c : completions) generated += c.ids().length;
    m.put("tokens_per_second", generated / Math.max(generationSeconds, 1e-9));
    if (r != null) m.put("train_tokens_per_second", r.inputTokens() / Math.max(trainSeconds, 1e-9));
    m.put("time/generation", generationSeconds);
    m.put("time/reward", rewardSeconds);
    m.put("time/training", trainSeconds);
    m.put("time/step", stepSeconds);
  }
}
