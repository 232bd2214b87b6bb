package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.LanguageModel;
import dro4j.model.BundledModel;
import dro4j.rl.checkpoint.CheckpointStore;
import dro4j.rl.config.GrpoConfig;
import dro4j.rl.config.SftConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training a LoRA adapter ({@code use_peft}) on stories260K: only the adapter changes and holds
 * optimizer state, GRPO with an adapter learns the keyword demo, and a LoRA run resumed from its
 * adapter checkpoint ends bit-identical to a straight run.
 */
class LoraTrainingTest {

  static Map<String, float[]> adapterWeights(LanguageModel lm) {
    Map<String, float[]> out = new LinkedHashMap<>();
    lm.adapter().parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  @Test
  void threeSftStepsTrainTheAdapterOnlyAndLeaveTheBaseUnchanged() {
    SftConfig config = SftConfig.builder().load(DemoData.job("sft.yaml"), Path.of("sft.yaml"))
        .usePeft(true).loraR(4).loraAlpha(8).learningRate(1e-3).maxSteps(3).build();
    try (LanguageModel lm = LanguageModel.loadDefault()) {
      Map<String, float[]> before = GrpoTrainerTest.weights(lm);
      try (SftTrainer t = SftTrainer.builder(config).policy(lm).build()) {
        t.train();
        assertThat(t.snapshot().optimizer().stateNames()).isEqualTo(lm.adapter().parameters().keySet());
      }
      GrpoTrainerTest.assertSameWeights(before, GrpoTrainerTest.weights(lm));
      for (NDArray p : lm.transformer().parameters().values()) {
        assertThat(p.hasGradient()).as("frozen base parameter %s has a gradient", p.getName()).isFalse();
      }
      int nonZero = 0;
      for (Map.Entry<String, float[]> e : adapterWeights(lm).entrySet()) {
        if (!e.getKey().endsWith("lora_B.weight")) continue;
        boolean any = false;
        for (float v : e.getValue()) any |= v != 0;
        if (any) nonZero++;
      }
      assertThat(nonZero).isEqualTo(7 * lm.config().numLayers());
    }
  }

  /**
   * Gradient checkpointing recomputes each layer with its adapter and the same dropout masks: loss and
   * gradient norm of two LoRA SFT steps equal the recorded graph's to fp32 rounding.
   */
  @Test
  void checkpointedLoraStepsEqualRecordedOnes() {
    List<List<Double>> runs = new java.util.ArrayList<>();
    for (boolean checkpointing : new boolean[] {false, true}) {
      SftConfig config = SftConfig.builder().load(DemoData.job("sft.yaml"), Path.of("sft.yaml"))
          .usePeft(true).loraR(4).loraAlpha(8).loraDropout(0.2).learningRate(1e-3).maxSteps(2)
          .gradientCheckpointing(checkpointing).build();
      List<Double> values = new java.util.ArrayList<>();
      try (LanguageModel lm = LanguageModel.loadDefault();
          SftTrainer t = SftTrainer.builder(config).policy(lm).build()) {
        for (int step = 0; step < 2; step++) {
          Map<String, Object> m = t.step();
          values.add(((Number) m.get("loss")).doubleValue());
          values.add(((Number) m.get("grad_norm")).doubleValue());
        }
      }
      runs.add(values);
    }
    for (int i = 0; i < runs.get(0).size(); i++) {
      double want = runs.get(0).get(i);
      assertThat(runs.get(1).get(i)).as("value %d", i).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(want) + 1e-7));
    }
  }

  @Test
  void atBetaZeroTheReferenceForR3IsTheBaseWithTheAdapterOff() {
    try (LanguageModel lm = LanguageModel.loadDefault();
        GrpoTrainer t = GrpoTrainer.builder(GrpoTrainerTest.tiny().usePeft(true).beta(0).build()).policy(lm)
            .reward(GrpoTrainerTest.LENGTH, 1.0).build()) {
      dro4j.reward.RewardContext ctx = new dro4j.reward.RewardContext(t.policy(), t.referencePolicy(), null, 0);
      LanguageModel scoring = dro4j.reward.likelihood.ScoringPolicy.reference().model(ctx);
      assertThat(scoring).isNotSameAs(lm);
      assertThat(scoring.adapter()).isNull();
      assertThat(lm.adapter()).isNotNull();
      assertThat(scoring.transformer().parameters().get("model.norm.weight"))
          .isSameAs(lm.transformer().parameters().get("model.norm.weight"));
    }
  }

  @Test
  void grpoWithLoraLearnsTheKeywordDemo() {
    int steps = 12;
    // the demo job with an adapter (r 16, alpha 32, dropout 0.05; an adapter wants a larger rate than full
    // training) and 16-token completions, to keep the test cheap
    GrpoConfig config = GrpoConfig.builder().load(DemoData.job("keyword.yaml"), Path.of("keyword.yaml"))
        .usePeft(true).learningRate(5e-3).maxSteps(steps).maxCompletionLength(16).build();
    List<Double> rewards = new ArrayList<>();
    try (GrpoTrainer t = GrpoTrainer.builder(config).listener((s, m) -> rewards.add((double) m.get("reward"))).build()) {
      assertThat(t.referencePolicy().adapter()).isNull();
      assertThat(t.referencePolicy().transformer().parameters().get("model.embed_tokens.weight"))
          .as("the reference shares the base").isSameAs(t.policy().transformer().parameters().get("model.embed_tokens.weight"));
      t.train();
    }
    double before = rewards.subList(0, 3).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double after = rewards.subList(steps - 5, steps).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    System.out.printf("GRPO+LoRA keyword reward: first 3 steps %.3f, last 5 %.3f; %s%n", before, after,
        rewards.stream().map(r -> String.format("%.2f", r)).toList());
    // measured with this seed: about 0.005 -> 0.73
    assertThat(before).isLessThan(0.15);
    assertThat(after).isGreaterThan(0.5);
  }

  @Test
  void aLoraRunResumedFromItsAdapterCheckpointEqualsAStraightRun(@TempDir Path dir) throws Exception {
    Path straightDir = dir.resolve("straight");
    Path resumedDir = dir.resolve("resumed");
    GrpoConfig.Builder base = GrpoTrainerTest.tiny().usePeft(true).loraR(4).loraDropout(0.2).learningRate(1e-2)
        .saveSteps(2).numIterations(2).beta(0.04);
    Map<String, float[]> straight;
    try (LanguageModel lm = LanguageModel.loadDefault();
        GrpoTrainer t = GrpoTrainer.builder(base.outputDir(straightDir).build()).policy(lm)
            .reward(GrpoTrainerTest.LENGTH, 1.0).checkpoints(new CheckpointStore()).build()) {
      t.train();
      straight = adapterWeights(lm);
    }
    // a checkpoint is a PEFT adapter folder with the trainer files, not a full model
    Path first = straightDir.resolve("checkpoint-2");
    assertThat(first.resolve("adapter_config.json")).isRegularFile();
    assertThat(first.resolve("adapter_model.safetensors")).isRegularFile();
    assertThat(first.resolve("model.safetensors")).doesNotExist();
    assertThat(first.resolve("tokenizer.json")).isRegularFile();
    JsonNode cfg = new ObjectMapper().readTree(first.resolve("adapter_config.json").toFile());
    assertThat(cfg.get("lora_dropout").asDouble()).isEqualTo(0.2);
    assertThat(Path.of(cfg.get("base_model_name_or_path").asText())).isEqualTo(BundledModel.directory().toAbsolutePath().normalize());

    CheckpointStore store = new CheckpointStore();
    ResumeState state = store.load(first);
    assertThat(state.expAvg().keySet()).allMatch(k -> k.startsWith("base_model.model.") && k.contains(".lora_"));
    try (LanguageModel resumed = LanguageModel.load(BundledModel.directory(), first);
        GrpoTrainer t = GrpoTrainer.builder(base.outputDir(resumedDir).build()).policy(resumed)
            .reward(GrpoTrainerTest.LENGTH, 1.0).resumeFrom(state).build()) {
      t.train();
      Map<String, float[]> after = adapterWeights(resumed);
      GrpoTrainerTest.assertSameWeights(straight, after);
    }
    // and the final checkpoint holds that adapter
    try (LanguageModel fromCheckpoint = LanguageModel.load(BundledModel.directory(), straightDir.resolve("checkpoint-4"))) {
      GrpoTrainerTest.assertSameWeights(straight, adapterWeights(fromCheckpoint));
    }
  }
}
