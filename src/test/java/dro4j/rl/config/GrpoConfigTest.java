package dro4j.rl.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.rl.DemoData;
import dro4j.rl.LossType;
import dro4j.rl.LrSchedulerType;
import dro4j.rl.ScaleRewards;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration: defaults, YAML, flag overrides, the builder, and errors that name the file and key. */
class GrpoConfigTest {

  @Test
  void defaultsFollowTrlGrpoConfig() {
    GrpoConfig c = GrpoConfig.defaults();
    assertThat(c.training().learningRate()).isEqualTo(1e-6);
    assertThat(c.numGenerations()).isEqualTo(8);
    assertThat(c.beta()).isZero();
    assertThat(c.epsilon()).isEqualTo(0.2);
    assertThat(c.epsilonHigh()).isNull();
    assertThat(c.effectiveEpsilonHigh()).isEqualTo(0.2);
    assertThat(c.lossType()).isEqualTo(LossType.DAPO);
    assertThat(c.scaleRewards()).isEqualTo(ScaleRewards.GROUP);
    assertThat(c.temperature()).isEqualTo(1.0);
    assertThat(c.minCompletionLength()).isZero();
    assertThat(c.training().lrSchedulerType()).isEqualTo(LrSchedulerType.LINEAR);
    assertThat(c.training().adamBeta2()).isEqualTo(0.999);
    assertThat(c.training().seed()).isEqualTo(42);
    assertThat(c.training().model()).isNull();
    assertThat(c.rewards()).isEmpty();
  }

  @Test
  void sftOverridesTwoSharedDefaultsLikeTrlSftConfig() {
    SftConfig s = SftConfig.defaults();
    assertThat(s.training().learningRate()).isEqualTo(2e-5);
    assertThat(s.training().shuffleDataset()).isFalse();
    assertThat(s.maxLength()).isEqualTo(1024);
    assertThat(s.completionOnlyLoss()).isTrue();
    // the shared record's own defaults are unchanged for GRPO
    assertThat(GrpoConfig.defaults().training().shuffleDataset()).isTrue();
  }

  @Test
  void everySettingIsDocumentedWithItsDefault() {
    for (ConfigSchema<?> schema : List.of(GrpoConfig.schema(), SftConfig.schema())) {
      for (ConfigSchema.SettingInfo s : schema.settings()) {
        assertThat(s.help()).as(s.key()).hasSizeGreaterThan(20);
        assertThat(s.help()).as(s.key() + " states its default").containsIgnoringCase("default");
      }
    }
    assertThat(GrpoConfig.schema().settings()).extracting(ConfigSchema.SettingInfo::key)
        .contains("learning_rate", "per_step_prompts", "num_generations", "num_iterations", "beta", "epsilon",
            "epsilon_high", "loss_type", "scale_rewards", "mask_truncated_completions", "dynamic_sampling",
            "max_prompt_length", "max_completion_length", "temperature", "top_p", "top_k",
            "gradient_accumulation_steps", "max_grad_norm", "weight_decay", "adam_beta1", "adam_beta2",
            "adam_epsilon", "lr_scheduler_type", "warmup_ratio", "max_steps", "num_train_epochs", "save_steps",
            "save_total_limit", "logging_steps", "seed", "output_dir", "model", "dataset", "rewards");
  }

  @Test
  void yamlFileSetsValuesAndFlagsOverrideIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("job.yaml");
    Files.writeString(file, String.join("\n",
        "learning_rate: 1e-5   # YAML 1.1 reads this as text; it is still a number here",
        "loss_type: dr_grpo",
        "scale_rewards: none",
        "epsilon_high: 0.28",
        "mask_truncated_completions: true",
        "max_prompt_length: ~",
        "model: models/qwen",
        "rewards:",
        "  - name: keyword",
        "    weight: 0.5",
        "    words: [ball, dog]",
        "  - format",
        ""));
    GrpoConfig c = GrpoConfig.builder().load(file).setText("learning_rate", "3e-4").setText("beta", "0.001").build();
    assertThat(c.training().learningRate()).isEqualTo(3e-4);
    assertThat(c.beta()).isEqualTo(0.001);
    assertThat(c.lossType()).isEqualTo(LossType.DR_GRPO);
    assertThat(c.scaleRewards()).isEqualTo(ScaleRewards.NONE);
    assertThat(c.effectiveEpsilonHigh()).isEqualTo(0.28);
    assertThat(c.maskTruncatedCompletions()).isTrue();
    assertThat(c.maxPromptLength()).isNull();
    assertThat(c.training().model()).isEqualTo(Path.of("models/qwen"));
    assertThat(c.rewards()).containsExactly(
        RewardSpec.of("keyword", 0.5, Map.of("words", List.of("ball", "dog"))), RewardSpec.of("format"));
  }

  @Test
  void unknownKeyIsRejectedWithFileKeyAndSuggestion(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("job.yaml");
    Files.writeString(file, "learning_rate: 1e-5\nnum_generation: 4\n");
    assertThatThrownBy(() -> GrpoConfig.builder().load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("unknown key 'num_generation'")
        .hasMessageContaining("did you mean 'num_generations'");
    // an SFT key is unknown to GRPO and vice versa
    assertThatThrownBy(() -> GrpoConfig.builder().set("max_length", 10)).hasMessageContaining("unknown key 'max_length'");
    assertThatThrownBy(() -> SftConfig.builder().set("beta", 0.1)).hasMessageContaining("unknown key 'beta'");
  }

  @Test
  void wrongValuesNameFileAndKey(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "num_generations: many\n");
    assertThatThrownBy(() -> GrpoConfig.builder().load(file))
        .hasMessageContaining(file.toString()).hasMessageContaining("key 'num_generations'")
        .hasMessageContaining("expected an integer");
    Files.writeString(file, "loss_type: ppo\n");
    assertThatThrownBy(() -> GrpoConfig.builder().load(file))
        .hasMessageContaining("key 'loss_type'").hasMessageContaining("grpo, bnpo, dr_grpo, dapo");
    Files.writeString(file, "- a\n- b\n");
    assertThatThrownBy(() -> GrpoConfig.builder().load(file)).hasMessageContaining("mapping of settings");
    Files.writeString(file, "beta: 0.1\nbeta: 0.2\n");
    assertThatThrownBy(() -> GrpoConfig.builder().load(file)).hasMessageContaining("not valid YAML")
        .hasMessageContaining("beta");
    assertThatThrownBy(() -> GrpoConfig.builder().setText("top_p", "1.5").build()).hasMessageContaining("top_p");
    assertThatThrownBy(() -> GrpoConfig.builder().numGenerations(1).build()).hasMessageContaining("num_generations");
    assertThatThrownBy(() -> GrpoConfig.builder().setText("num_iterations", "2.5"))
        .hasMessageContaining("--num_iterations").hasMessageContaining("integer");
    assertThatThrownBy(() -> GrpoConfig.builder().setText("rewards", "[{weight: 2}]"))
        .hasMessageContaining("needs a 'name'");
    assertThatThrownBy(() -> GrpoConfig.builder().saveDtype("fp8").build()).hasMessageContaining("save_dtype");
    assertThatThrownBy(() -> GrpoConfig.builder().setText("min_completion_length", "-1").build())
        .hasMessageContaining("min_completion_length must be >= 0");
  }

  @Test
  void minCompletionLengthBecomesTheRolloutsMinNewTokens() {
    GrpoConfig c = GrpoConfig.builder().setText("min_completion_length", "24").maxCompletionLength(32).build();
    assertThat(c.minCompletionLength()).isEqualTo(24);
    assertThat(dro4j.rl.GroupRollout.sampling(c).minNewTokens()).isEqualTo(24);
    assertThat(dro4j.rl.GroupRollout.sampling(c).maxNewTokens()).isEqualTo(32);
  }

  @Test
  void emptyFileKeepsDefaultsAndTextFlagsParseLikeYaml(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("empty.yaml");
    Files.writeString(file, "# nothing\n");
    assertThat(GrpoConfig.builder().load(file).build()).isEqualTo(GrpoConfig.defaults());
    GrpoConfig c = GrpoConfig.builder()
        .setText("rewards", "[{name: keyword, words: [ball]}]")
        .setText("prompt_template", "Q: {question} A: yes: no")
        .setText("max_prompt_length", "~")
        .setText("dynamic_sampling", "true")
        .setText("chat_template_kwargs", "{enable_thinking: false}")
        .build();
    assertThat(c.training().chatTemplateKwargs()).isEqualTo(Map.of("enable_thinking", false));
    assertThat(GrpoConfig.defaults().training().chatTemplateKwargs()).isNull();
    assertThatThrownBy(() -> GrpoConfig.builder().setText("chat_template_kwargs", "thinking"))
        .hasMessageContaining("--chat_template_kwargs").hasMessageContaining("expected a mapping");
    assertThatThrownBy(() -> GrpoConfig.builder().setText("chat_template_kwargs", "{messages: []}").build())
        .hasMessageContaining("chat_template_kwargs");
    assertThat(c.rewards().get(0).params()).containsEntry("words", List.of("ball"));
    assertThat(c.training().promptTemplate()).isEqualTo("Q: {question} A: yes: no");
    assertThat(c.maxPromptLength()).isNull();
    assertThat(c.dynamicSampling()).isTrue();
  }

  @Test
  void resolvedMapRoundTripsThroughYaml(@TempDir Path dir) throws IOException {
    GrpoConfig c = GrpoConfig.builder().learningRate(2e-6).lossType(LossType.BNPO).epsilonHigh(0.28)
        .model(Path.of("m")).rewards(List.of(RewardSpec.of("keyword", 2.0, Map.of("words", "cat")))).build();
    Map<String, Object> map = c.toMap();
    assertThat(map).containsEntry("loss_type", "bnpo").containsEntry("model", "m").containsEntry("learning_rate", 2e-6);
    StringBuilder yaml = new StringBuilder();
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
    yaml.append(mapper.writeValueAsString(new LinkedHashMap<>(map)));
    Path file = dir.resolve("resolved.yaml");
    Files.writeString(file, yaml);
    assertThat(GrpoConfig.builder().load(file).build()).isEqualTo(c);
  }

  @Test
  void bundledDemoJobsLoad() {
    GrpoConfig grpo = GrpoConfig.builder().load(DemoData.job("train.yaml"), Path.of("train.yaml")).build();
    assertThat(grpo.rewards()).isEmpty(); // the DRO job uses its task's default reward, r3
    assertThat(grpo.training().task()).isEqualTo("finqa_program");
    assertThat(grpo.filterDataset()).isTrue();
    assertThat(grpo.training().maxSteps()).isPositive();
    GrpoConfig keyword = GrpoConfig.builder().load(DemoData.job("keyword.yaml"), Path.of("keyword.yaml")).build();
    assertThat(keyword.rewards()).extracting(RewardSpec::name).containsExactly("keyword");
    SftConfig sft = SftConfig.builder().load(DemoData.job("sft.yaml"), Path.of("sft.yaml")).build();
    assertThat(sft.training().maxSteps()).isPositive();
  }

  @Test
  void totalStepsFromEpochs() {
    TrainingArguments a = GrpoConfig.builder().numTrainEpochs(2.5).build().training();
    assertThat(a.totalSteps(10, 4)).isEqualTo(7); // ceil(25 / 4)
    assertThat(GrpoConfig.builder().maxSteps(3).build().training().totalSteps(10, 4)).isEqualTo(3);
  }
}
