package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.SamplingParams;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.reward.compose.Normalization;
import dro4j.reward.compose.NormalizedReward;
import dro4j.reward.likelihood.ReasoningReflectionReward;
import dro4j.rl.config.GrpoConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each prompt's group is sampled and scored on its own ({@link GroupRollout}), seeded by (seed, step,
 * example id): what lets rollout workers on other machines reproduce the in-process step. And the
 * settings that go with it: rollout_workers, and rewards that compare groups refused in training.
 */
class GroupRolloutTest {
  private static LanguageModel lm;

  @BeforeAll
  static void load() {
    lm = LanguageModel.loadDefault();
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  static Example example(String id, String prompt) {
    return new Example(id, Map.of("prompt", prompt), "", Map.of());
  }

  /** Records the rollout texts of every group it scores, by example id. */
  static final class Recording implements Reward.PerRollout {
    final Map<String, List<String>> texts = new LinkedHashMap<>();

    @Override
    public String name() {
      return "length";
    }

    @Override
    public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
      for (RolloutGroup g : groups) {
        List<String> t = new ArrayList<>();
        g.rollouts().forEach(r -> t.add(r.text()));
        texts.put(g.example().id(), t);
      }
      return Reward.PerRollout.super.score(groups, context);
    }

    @Override
    public double score(dro4j.reward.Rollout rollout, RolloutGroup group) {
      return rollout.text().length();
    }
  }

  static Map<String, List<String>> firstStep(List<Example> data) {
    Recording reward = new Recording();
    GrpoConfig config = GrpoTrainerTest.tiny().perStepPrompts(data.size()).maxSteps(1).shuffleDataset(false)
        .maxCompletionLength(12).build();
    try (LanguageModel policy = LanguageModel.loadDefault();
        GrpoTrainer t = GrpoTrainer.builder(config).policy(policy).dataset(data).reward(reward, 1.0).build()) {
      t.step();
    }
    return reward.texts;
  }

  @Test
  void aGroupDoesNotDependOnTheOtherPromptsOfItsStepOrItsPlaceInIt() {
    Example a = example("a", "Once upon a time");
    Map<String, List<String>> first = firstStep(List.of(a, example("b", "Tim had a big red ball.")));
    Map<String, List<String>> second = firstStep(List.of(example("c", "The cat sat on the mat."), a));
    assertThat(second.get("a")).hasSize(4).isEqualTo(first.get("a"));
    // the group's rows differ from each other, so equal groups are not equal by accident
    assertThat(first.get("a").stream().distinct().count()).isGreaterThan(1);
    assertThat(second.get("c")).isNotEqualTo(first.get("b"));
  }

  /**
   * The trainer decodes a step's groups in one batch ({@link GroupRollout#sampleAll}); each group's
   * rollouts and rewards are those of the group sampled alone, to the bit, R3 included, which
   * continues the generation's cache with the reference answer.
   */
  @Test
  void groupsSampledInOneBatchEqualEachGroupSampledAlone() {
    List<Example> data = List.of(new Example("a", Map.of("prompt", "Once upon a time"), "She found a ball.", Map.of()),
        new Example("b", Map.of("prompt", "Tim had a big red ball. He liked to play."), "He was happy.", Map.of()),
        new Example("c", Map.of("prompt", "Lily"), "The end.", Map.of()));
    List<int[]> ids = new ArrayList<>();
    for (Example e : data) ids.add(lm.tokenizer().encode(e.fields().get("prompt"), true));
    SamplingParams sampling = GroupRollout.sampling(GrpoTrainerTest.tiny().maxCompletionLength(10).build());
    RewardScoring rewards = new RewardScoring(List.of(
        new RewardScoring.Weighted(new ReasoningReflectionReward(), 1.0),
        new RewardScoring.Weighted(GrpoTrainerTest.LENGTH, 0.5)));
    List<GroupRollout.Group> groups = GroupRollout.groups(5, 2, data, ids);
    List<GroupRollout.Result> together = GroupRollout.sampleAll(lm, null, rewards, sampling, groups, 2);
    for (int g = 0; g < groups.size(); g++) {
      GroupRollout.Result alone = GroupRollout.sample(lm, null, rewards, sampling, groups.get(g), 2);
      GroupRollout.Result joint = together.get(g);
      for (int i = 0; i < alone.completions().size(); i++) {
        assertThat(joint.completions().get(i).ids()).as("group %d row %d", g, i)
            .containsExactly(alone.completions().get(i).ids());
        assertThat(joint.completions().get(i).logprobs()).containsExactly(alone.completions().get(i).logprobs());
      }
      assertThat(joint.rewards().keySet()).containsExactlyElementsOf(alone.rewards().keySet());
      for (String name : alone.rewards().keySet()) {
        assertThat(joint.rewards().get(name)).as("group %d %s", g, name).containsExactly(alone.rewards().get(name));
      }
      assertThat(joint.total()).containsExactly(alone.total());
    }
  }

  @Test
  void groupSeedsComeFromSeedStepAndExampleAndARepeatGetsItsOwn() {
    Example a = example("a", "x");
    int[] ids = {1, 2};
    List<GroupRollout.Group> twice = GroupRollout.groups(7, 3, List.of(a, example("b", "y"), a), List.of(ids, ids, ids));
    assertThat(twice.get(0).seed()).isEqualTo(Seeds.groupRollouts(7, 3, "a", 0))
        .isEqualTo(GroupRollout.groups(7, 3, List.of(a), List.<int[]>of(ids)).get(0).seed());
    assertThat(twice.get(2).seed()).isEqualTo(Seeds.groupRollouts(7, 3, "a", 1)).isNotEqualTo(twice.get(0).seed());
    assertThat(Seeds.groupRollouts(7, 4, "a", 0)).isNotEqualTo(twice.get(0).seed());
    assertThat(Seeds.groupRollouts(8, 3, "a", 0)).isNotEqualTo(twice.get(0).seed());
  }

  @Test
  void rolloutWorkersIsLocalOrSparkAndSparkNeedsLoraAndTheSparkCommand() {
    assertThat(GrpoConfig.defaults().rolloutWorkers()).isEqualTo("local");
    assertThatThrownBy(() -> GrpoConfig.builder().rolloutWorkers("ray").build())
        .hasMessageContaining("rollout_workers must be local or spark");
    assertThatThrownBy(() -> GrpoConfig.builder().rolloutWorkers("spark").build())
        .hasMessageContaining("rollout_workers: spark needs use_peft: true");
    GrpoConfig spark = GrpoTrainerTest.tiny().rolloutWorkers("spark").usePeft(true).build();
    assertThatThrownBy(() -> GrpoTrainer.builder(spark).policy(lm).reward(GrpoTrainerTest.LENGTH, 1.0).build())
        .hasMessageContaining("dro4j-spark.jar train");
  }

  @Test
  void trainingRefusesRewardsThatCompareGroups() {
    Reward batch = new NormalizedReward(GrpoTrainerTest.LENGTH, Normalization.BATCH_ZSCORE, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, 1e-6);
    Reward group = new NormalizedReward(GrpoTrainerTest.LENGTH, Normalization.GROUP_ZSCORE, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, 1e-6);
    assertThat(group.scoresGroupsIndependently()).isTrue();
    assertThatThrownBy(() -> GrpoTrainer.builder(GrpoTrainerTest.tiny().build()).policy(lm).reward(batch, 1.0).build())
        .hasMessageContaining("scale_rewards: batch");
  }
}
