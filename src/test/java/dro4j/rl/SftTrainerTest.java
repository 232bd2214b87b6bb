package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.rl.config.SftConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SFT end to end on stories260K (held-out NLL falls) and its loss's invariants. */
class SftTrainerTest {

  @Test
  void heldOutNllFallsOnTheColourQuestions() {
    List<Example> all = DemoData.colorQuestions();
    List<Example> train = all.subList(0, 72);
    List<Example> heldOut = all.subList(72, 96); // name, colour and object combinations not trained on
    SftConfig config = SftConfig.builder().load(DemoData.job("sft.yaml"), Path.of("sft.yaml")).build();
    List<Double> losses = new ArrayList<>();
    double before;
    double after;
    long start = System.nanoTime();
    try (SftTrainer t = SftTrainer.builder(config).dataset(train).listener((s, m) -> losses.add((double) m.get("loss")))
        .build()) {
      before = t.evaluate(heldOut);
      t.train();
      after = t.evaluate(heldOut);
    }
    System.out.printf("SFT held-out NLL per token: %.4f -> %.4f (%d steps, %.1f s); train loss %.3f -> %.3f%n",
        before, after, losses.size(), (System.nanoTime() - start) / 1e9, losses.get(0), losses.get(losses.size() - 1));
    // measured: about 4.36 -> 0.06 nats per token
    assertThat(before).isGreaterThan(2.0);
    assertThat(after).isLessThan(0.5);
  }

  @Test
  void accumulationDoesNotChangeTheStepAndTheGuardCountsNothingWhenFinite() {
    List<Example> data = DemoData.colorQuestions().subList(0, 8);
    List<Double> norms = new ArrayList<>();
    for (int[] shape : new int[][] {{8, 1}, {4, 2}, {3, 3}}) {
      SftConfig c = SftConfig.builder().perDeviceTrainBatchSize(shape[0]).gradientAccumulationSteps(shape[1])
          .maxSteps(1).build();
      try (LanguageModel lm = LanguageModel.loadDefault();
          SftTrainer t = SftTrainer.builder(c).policy(lm).dataset(data).build()) {
        Map<String, Object> m = t.step();
        assertThat(m).containsEntry("skipped_updates", 0L);
        norms.add((double) m.get("grad_norm"));
      }
    }
    // 9 examples per step for 3 x 3 (one repeats), so only the first two are the same batch
    assertThat(Math.abs(norms.get(1) - norms.get(0)) / norms.get(0)).isLessThan(1e-5);
    assertThat(norms.get(2)).isNotEqualTo(norms.get(0));
  }

  @Test
  void assistantOnlyLossTrainsTheAssistantTurnsOfToolUseConversations() {
    List<Example> data = dro4j.rollout.FinQaToolUseData.synthetic(5, 2, dro4j.data.finqa.SyntheticFinQa.Settings.fixed(2, 2, 2));
    SftConfig c = SftConfig.builder().assistantOnlyLoss(true).perDeviceTrainBatchSize(2).maxSteps(1).build();
    try (LanguageModel lm = LanguageModel.load(Path.of("bundled:finqa-tiny"));
        SftTrainer t = SftTrainer.builder(c).policy(lm).dataset(data).build()) {
      long assistantTokens = 0;
      for (Example e : data) {
        List<dro4j.text.ChatMessage> messages = new ArrayList<>();
        for (Object m : (List<?>) e.metadata().get(SftTrainer.MESSAGES)) {
          messages.add(dro4j.text.ChatMessage.fromMap((Map<?, ?>) m, e.id()));
        }
        for (boolean p : dro4j.rollout.ConversationTokens.encode(lm, messages, List.of(), Map.of(), e.id()).policy()) {
          if (p) assistantTokens++;
        }
      }
      Map<String, Object> m = t.step();
      // two calls and the answer per conversation, each ended by EOS: the targets, nothing else
      assertThat(m.get("num_target_tokens")).isEqualTo(assistantTokens);
      assertThat((double) m.get("loss")).isFinite();
    }
    Example plain = DemoData.colorQuestions().get(0);
    try (LanguageModel lm = LanguageModel.loadDefault();
        SftTrainer t = SftTrainer.builder(c).policy(lm).dataset(List.of(plain, plain)).build()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(t::step).isInstanceOf(dro4j.BadInputException.class)
          .hasMessageContaining("example " + plain.id()).hasMessageContaining("messages");
    }
  }

  @Test
  void promptTokensAreNotTrainedOnUnlessAsked() {
    Example e = DemoData.colorQuestions().get(0);
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      SftConfig onlyCompletion = SftConfig.builder().perDeviceTrainBatchSize(1).build();
      SftConfig everything = SftConfig.builder().perDeviceTrainBatchSize(1).completionOnlyLoss(false).build();
      double a;
      double b;
      try (SftTrainer t = SftTrainer.builder(onlyCompletion).policy(lm).dataset(List.of(e)).build()) {
        a = (long) t.step().get("num_target_tokens");
      }
      try (SftTrainer t = SftTrainer.builder(everything).policy(lm).dataset(List.of(e)).build()) {
        b = (long) t.step().get("num_target_tokens");
      }
      int prompt = lm.tokenizer().encode(e.field("prompt"), true).length;
      int completion = lm.tokenizer().encode(e.reference(), false).length + 1; // + EOS
      assertThat(a).isEqualTo(completion);
      assertThat(b).isEqualTo(prompt + completion - 1);
    }
  }

  @Test
  void gradientsSurviveGarbageCollectionBeforeBackward() {
    List<Example> data = DemoData.colorQuestions().subList(0, 4);
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      SftBatch batch = trainableBatch(lm, data);
      float[][] grads = new float[2][];
      for (int run = 0; run < 2; run++) {
        Optimization.zeroGradients(lm.transformer());
        try (NDManager m = lm.manager().newSubManager();
            GradientCollector c = Engine.getInstance().newGradientCollector()) {
          NDArray loss = SftObjective.microBatch(lm.transformer(), batch, 37, m).loss();
          if (run == 1) dro4j.Churn.collectAndOverwrite();
          c.backward(loss);
        }
        try (NDArray g = lm.transformer().parameters().get("model.embed_tokens.weight").getGradient()) {
          grads[run] = g.toFloatArray();
        }
      }
      assertThat(dro4j.Churn.maxAbsDiff(grads[0], grads[1])).isZero();
    }
  }

  /**
   * With gradient checkpointing (and the garbage collector run between forward and backward, which
   * would expose a Java-backed array that the recomputation reads) loss, accuracy and every gradient
   * equal the recorded graph's to fp32 rounding (1e-5 of each tensor's norm).
   */
  @Test
  void checkpointedGradientsEqualTheRecordedOnes() {
    List<Example> data = DemoData.colorQuestions().subList(0, 3);
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      SftBatch batch = trainableBatch(lm, data);
      List<List<float[]>> grads = new ArrayList<>();
      SftObjective.Terms[] terms = new SftObjective.Terms[2];
      for (int run = 0; run < 2; run++) {
        Optimization.zeroGradients(lm.transformer());
        try (NDManager m = lm.manager().newSubManager();
            GradientCollector c = Engine.getInstance().newGradientCollector()) {
          terms[run] = SftObjective.microBatch(lm.transformer(), batch, 37, run == 1, m);
          if (run == 1) dro4j.Churn.collectAndOverwrite();
          terms[run].backward();
        }
        List<float[]> g = new ArrayList<>();
        for (NDArray p : lm.transformer().parameters().values()) {
          try (NDArray gp = p.getGradient()) {
            g.add(gp.toFloatArray());
          }
        }
        grads.add(g);
      }
      assertThat(terms[1].pass().checkpointed()).isTrue();
      assertThat(terms[1].lossValue()).isCloseTo(terms[0].lossValue(), org.assertj.core.data.Offset.offset(1e-6));
      assertThat(terms[1].correct()).isEqualTo(terms[0].correct());
      for (int i = 0; i < grads.get(0).size(); i++) {
        float[] want = grads.get(0).get(i);
        float[] got = grads.get(1).get(i);
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < want.length; k++) {
          diff += Math.pow(got[k] - want[k], 2);
          norm += Math.pow(want[k], 2);
        }
        assertThat(Math.sqrt(diff)).as("parameter " + i).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm));
      }
    }
  }

  /** {@code data} as one SFT batch (prompt with BOS, completion), with every parameter of {@code lm} trainable. */
  private static SftBatch trainableBatch(LanguageModel lm, List<Example> data) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> completions = new ArrayList<>();
    for (Example e : data) {
      prompts.add(lm.tokenizer().encode(e.field("prompt"), true));
      completions.add(lm.tokenizer().encode(e.reference(), false));
    }
    for (NDArray p : lm.transformer().parameters().values()) p.setRequiresGradient(true);
    return SftBatch.of(prompts, completions, true);
  }
}
