package dro4j.reward.likelihood;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.FinishReason;
import dro4j.generate.Generation;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds reward inputs for the model-backed tests. */
final class RewardFixtures {
  private RewardFixtures() {}

  static Example example(String reference) {
    return new Example("test", Map.of(), reference, Map.of());
  }

  /** Groups aligned with a generation: prompt p owns completions p * n .. p * n + n - 1 (its cache rows). */
  static List<RolloutGroup> groups(Generation g, List<String> references) {
    int prompts = g.promptIds().size();
    int n = g.completions().size() / prompts;
    List<RolloutGroup> out = new ArrayList<>();
    for (int p = 0; p < prompts; p++) {
      List<Rollout> rollouts = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        int row = p * n + j;
        rollouts.add(Rollout.of(g.completions().get(row), row));
      }
      out.add(new RolloutGroup(example(references.get(p)), g.promptIds().get(p), rollouts));
    }
    return out;
  }

  /** A group of hand-written rollouts (no cache), each tokenized without special tokens. */
  static RolloutGroup handWritten(LanguageModel lm, String prompt, String reference, List<String> rollouts) {
    List<Rollout> rs = new ArrayList<>();
    for (String text : rollouts) {
      rs.add(new Rollout(lm.tokenizer().encode(text, false), text, new double[0], FinishReason.STOP, -1));
    }
    return new RolloutGroup(example(reference), lm.tokenizer().encode(prompt, true), rs);
  }

  /** GRPO's group advantage (r - mean) / (std + 1e-4), std unbiased as torch.std. */
  static double[] advantages(double[] r) {
    double mean = 0;
    for (double x : r) {
      mean += x;
    }
    mean /= r.length;
    double var = 0;
    for (double x : r) {
      var += (x - mean) * (x - mean);
    }
    double std = Math.sqrt(var / (r.length - 1));
    double[] a = new double[r.length];
    for (int i = 0; i < r.length; i++) {
      a[i] = (r[i] - mean) / (std + 1e-4);
    }
    return a;
  }

  static double maxAbsDiff(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths " + a.length + " != " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths " + a.length + " != " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
