package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dro4j.Fixtures;
import dro4j.ReferenceData;
import dro4j.model.ModelConfig;
import dro4j.model.SafeTensors;
import dro4j.model.TensorEngine;
import dro4j.model.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer's micro-batch loss ({@link GrpoObjective#microBatch}) through the real stories260K
 * against {@code stories260K-reference/grpo_loss.json} and {@code grpo_gradients.safetensors}
 * (PyTorch + transformers, {@code tools/make_reference.py}): one group of four completions
 * after one prompt, right-padded; old and reference log-probs given as deltas from the current ones.
 * Loss, mean KL and clip fraction within 1e-5 relative (the fixture README's loss tolerance); every
 * stored gradient tensor (layer 0, embeddings, final norm) within 1e-4 of its norm and the grad norm
 * within 1e-4 relative (the gradient tolerance), for every loss_type. Measured worst on AVX-512, AVX2 and
 * scalar ATen kernels: loss 2e-7, mean KL 3.6e-7, clip fraction 0 (no ratio is within 8e-3 of a clip
 * bound), grad norm 6.2e-7, gradients 4.8e-6.
 */
class GrpoObjectiveFixtureTest {
  private static NDManager manager;
  private static Transformer model;
  private static JsonNode ref;
  private static Map<String, float[]> gradients;
  private static final Map<String, Double> worst = new java.util.TreeMap<>();

  @BeforeAll
  static void load() {
    ref = ReferenceData.json(Fixtures.fixture("stories260K-reference", "grpo_loss.json"));
    gradients = new HashMap<>();
    try (SafeTensors t = SafeTensors.openFile(Fixtures.fixture("stories260K-reference", "grpo_gradients.safetensors"))) {
      for (String name : t.names()) gradients.put(name, t.floats(name));
    }
    manager = TensorEngine.newManager();
    Path dir = Fixtures.fixture("stories260K");
    model = Transformer.load(dir, ModelConfig.loadFromDir(dir), manager);
    for (NDArray p : model.parameters().values()) p.setRequiresGradient(true);
  }

  @AfterAll
  static void close() {
    System.out.println("GRPO fixture, worst relative errors: " + worst);
    manager.close();
  }

  @org.junit.jupiter.api.Test
  void gradientCheckpointingReachesTheLossSettingsFromTheJob() {
    assertThat(GrpoObjective.Settings.of(dro4j.rl.config.GrpoConfig.defaults()).gradientCheckpointing()).isFalse();
    GrpoObjective.Settings on = GrpoObjective.Settings.of(
        dro4j.rl.config.GrpoConfig.builder().gradientCheckpointing(true).build());
    assertThat(on.gradientCheckpointing()).isTrue();
    assertThat(on.withMaxCompletionLength(7).gradientCheckpointing()).isTrue();
  }

  /** Every loss type; dapo also with gradient checkpointing (layers recomputed in backward). */
  @ParameterizedTest
  @CsvSource({"grpo, false", "bnpo, false", "dr_grpo, false", "dapo, false", "dapo, true"})
  void lossGradientsKlAndClipFractionMatchPyTorch(String mode, boolean checkpointing) {
    JsonNode expected = ref.get("modes").get(mode);
    int[] prompt = ReferenceData.ints(ref.get("prompt_ids"));
    List<int[]> prompts = new ArrayList<>();
    List<int[]> completions = new ArrayList<>();
    for (JsonNode c : ref.get("completion_ids")) {
      prompts.add(prompt);
      completions.add(ReferenceData.ints(c));
    }
    PolicyBatch batch = PolicyBatch.of(prompts, completions);
    int maxLen = ref.get("max_completion_length").asInt();
    assertThat(batch.completionWidth()).isEqualTo(maxLen);
    double[] advantages = AdvantageEstimatorTest.doubles(ref.get("advantages"));
    // The reference advantages are GRPO's group-scaled ones: our estimator reproduces them.
    Advantages mine = AdvantageEstimator.GRPO.compute(
        new double[][] {AdvantageEstimatorTest.doubles(ref.get("rewards"))}, ScaleRewards.GROUP, false);
    for (int i = 0; i < advantages.length; i++) {
      assertThat(mine.get(i)).isCloseTo(advantages[i], org.assertj.core.data.Offset.offset(1e-6));
    }

    // old = logp - delta and ref = logp - delta, with logp from a no-grad forward of the same rows
    float[][] logp = SequenceLogProbs.toHost(model, batch, 1.0, manager);
    float[][] old = minus(logp, ref.get("old_logprob_delta"));
    float[][] refLogp = minus(logp, ref.get("ref_logprob_delta"));
    GrpoObjective.Settings settings = new GrpoObjective.Settings(
        ref.get("eps_low").asDouble(), ref.get("eps_high").asDouble(), ref.get("beta").asDouble(),
        KlEstimator.K3, LossType.byName(mode), maxLen, 1.0, checkpointing);

    Optimization.zeroGradients(model);
    GrpoObjective.Terms terms;
    try (NDManager step = manager.newSubManager();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      terms = GrpoObjective.microBatch(model, batch, advantages, old, refLogp, settings, batch.rows(), batch.lossTokens(), step);
      assertThat(terms.pass().checkpointed()).isEqualTo(checkpointing);
      terms.backward();
    }
    record("loss", mode, relative(terms.lossValue(), expected.get("loss").asDouble()));
    record("mean_kl", mode, relative(terms.klMean(), expected.get("mean_kl").asDouble()));
    record("clip_fraction", mode, relative(terms.clip().region(), expected.get("clip_fraction").asDouble()));
    assertThat(relative(terms.lossValue(), expected.get("loss").asDouble())).isLessThan(1e-5);
    assertThat(relative(terms.klMean(), expected.get("mean_kl").asDouble())).isLessThan(1e-5);
    assertThat(relative(terms.clip().region(), expected.get("clip_fraction").asDouble())).isLessThan(1e-5);

    double sumSq = 0;
    int compared = 0;
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      float[] grad;
      try (NDArray g = e.getValue().getGradient()) {
        grad = g.toFloatArray();
      }
      for (float v : grad) sumSq += (double) v * v;
      float[] want = gradients.get(mode + "." + e.getKey());
      if (want == null) continue;
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < want.length; i++) {
        diff += Math.pow(grad[i] - want[i], 2);
        norm += Math.pow(want[i], 2);
      }
      double rel = Math.sqrt(diff) / Math.sqrt(norm);
      record("gradient", mode, rel);
      assertThat(rel).as(mode + "." + e.getKey()).isLessThan(1e-4);
      compared++;
    }
    assertThat(compared).as("stored gradients found").isEqualTo(
        (int) gradients.keySet().stream().filter(k -> k.startsWith(mode + ".")).count()).isGreaterThan(5);
    double gradNorm = Math.sqrt(sumSq);
    record("grad_norm", mode, relative(gradNorm, expected.get("grad_norm").asDouble()));
    // the norm is off by at most the gradient's own error, so the gradient tolerance (1e-4) bounds it
    assertThat(relative(gradNorm, expected.get("grad_norm").asDouble())).isLessThan(1e-4);
  }

  /**
   * Gradient accumulation over micro-batches of unequal rows and tokens (8 rows in micro-batches of 3,
   * 3 and 2, as GrpoUpdate splits them): the summed gradients equal the whole batch's gradient, tensor
   * by tensor, for every loss type.
   */
  @ParameterizedTest
  @ValueSource(strings = {"grpo", "bnpo", "dr_grpo", "dapo"})
  void accumulatedUnequalMicroBatchesGiveTheWholeBatchGradient(String mode) {
    int[] prompt = ReferenceData.ints(ref.get("prompt_ids"));
    List<int[]> completions = new ArrayList<>();
    for (JsonNode c : ref.get("completion_ids")) completions.add(ReferenceData.ints(c));
    List<int[]> rows = new ArrayList<>(completions);
    rows.addAll(completions);
    double[] fixture = AdvantageEstimatorTest.doubles(ref.get("advantages"));
    double[] adv = new double[8];
    for (int i = 0; i < 8; i++) adv[i] = i < 4 ? fixture[i] : -0.5 * fixture[i - 4] + 0.1 * i;
    List<int[]> prompts = java.util.Collections.nCopies(8, prompt);
    GrpoObjective.Settings settings = new GrpoObjective.Settings(0.2, 0.28, 0, KlEstimator.K3, LossType.byName(mode), 16, 1.0);
    PolicyBatch all = PolicyBatch.of(prompts, rows);
    Map<String, float[]> whole = gradients(List.of(all), List.of(adv), settings, 8, all.lossTokens());
    List<PolicyBatch> chunks = new ArrayList<>();
    List<double[]> chunkAdv = new ArrayList<>();
    long tokens = 0;
    for (int[] range : new int[][] {{0, 3}, {3, 6}, {6, 8}}) {
      PolicyBatch c = PolicyBatch.of(prompts.subList(range[0], range[1]), rows.subList(range[0], range[1]));
      chunks.add(c);
      chunkAdv.add(java.util.Arrays.copyOfRange(adv, range[0], range[1]));
      tokens += c.lossTokens();
    }
    assertThat(tokens).isEqualTo(all.lossTokens());
    assertThat(chunks.get(0).lossTokens()).isNotEqualTo(chunks.get(2).lossTokens() * 3 / 2);
    Map<String, float[]> split = gradients(chunks, chunkAdv, settings, 8, tokens);
    for (Map.Entry<String, float[]> e : whole.entrySet()) {
      float[] want = e.getValue();
      float[] got = split.get(e.getKey());
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < want.length; i++) {
        diff += Math.pow(got[i] - want[i], 2);
        norm += Math.pow(want[i], 2);
      }
      // a batch split differently rounds differently: measured up to 1.5e-6 of the norm with AVX-512 and
      // 2.0e-6 with AVX2 kernels (the same terms summed in another order), so 1e-5 leaves a factor 5; a
      // wrong micro-batch share is off by a tenth or more
      assertThat(Math.sqrt(diff)).as("%s %s", mode, e.getKey()).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpo", "bnpo", "dr_grpo", "dapo"})
  void gradientsSurviveGarbageCollectionBeforeBackward(String mode) {
    int[] prompt = ReferenceData.ints(ref.get("prompt_ids"));
    List<int[]> completions = new ArrayList<>();
    for (JsonNode c : ref.get("completion_ids")) completions.add(ReferenceData.ints(c));
    PolicyBatch batch = PolicyBatch.of(List.of(prompt, prompt, prompt, prompt), completions);
    float[][] logp = SequenceLogProbs.toHost(model, batch, 0.7, manager);
    float[][] old = minus(logp, ref.get("old_logprob_delta"));
    float[][] refLogp = minus(logp, ref.get("ref_logprob_delta"));
    double[] adv = AdvantageEstimatorTest.doubles(ref.get("advantages"));
    GrpoObjective.Settings settings =
        new GrpoObjective.Settings(0.2, 0.28, 0.04, KlEstimator.K2, LossType.byName(mode), 16, 0.7);
    float[][] grads = new float[2][];
    for (int run = 0; run < 2; run++) {
      Optimization.zeroGradients(model);
      try (NDManager step = manager.newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = GrpoObjective.microBatch(model, batch, adv, old, refLogp, settings, 8, 100, step).loss();
        if (run == 1) dro4j.Churn.collectAndOverwrite();
        collector.backward(loss);
      }
      List<Float> all = new ArrayList<>();
      for (NDArray p : model.parameters().values()) {
        try (NDArray g = p.getGradient()) {
          for (float v : g.toFloatArray()) all.add(v);
        }
      }
      grads[run] = new float[all.size()];
      for (int i = 0; i < all.size(); i++) grads[run][i] = all.get(i);
    }
    assertThat(dro4j.Churn.maxAbsDiff(grads[0], grads[1])).isZero();
  }

  /** Every parameter's gradient after back-propagating each chunk's share of the whole batch. */
  private static Map<String, float[]> gradients(List<PolicyBatch> chunks, List<double[]> advantages,
      GrpoObjective.Settings settings, long rows, long tokens) {
    Optimization.zeroGradients(model);
    for (int i = 0; i < chunks.size(); i++) {
      try (NDManager step = manager.newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(GrpoObjective.microBatch(model, chunks.get(i), advantages.get(i), null, null, settings,
            rows, tokens, step).loss());
      }
    }
    Map<String, float[]> out = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
      try (NDArray g = p.getValue().getGradient()) {
        out.put(p.getKey(), g.toFloatArray());
      }
    }
    return out;
  }

  private static float[][] minus(float[][] logp, JsonNode delta) {
    float[][] out = new float[logp.length][];
    for (int i = 0; i < logp.length; i++) {
      out[i] = new float[logp[i].length];
      for (int t = 0; t < logp[i].length; t++) {
        out[i][t] = (float) (logp[i][t] - delta.get(i).get(t).asDouble());
      }
    }
    return out;
  }

  private static double relative(double actual, double expected) {
    return Math.abs(actual - expected) / Math.abs(expected);
  }

  private static synchronized void record(String what, String mode, double rel) {
    worst.merge(what, rel, Math::max);
  }
}
