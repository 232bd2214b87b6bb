package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.reward.Reward;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.rl.checkpoint.CheckpointStore;
import dro4j.rl.config.GrpoConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DRO's dynamic data filtering inside a GRPO run (filter_dataset, filter_every_steps): the rounds
 * choose the examples trained on, they are logged, and a checkpoint carries the round and its set so a
 * resumed run is bit-identical.
 */
class FilteredTrainingTest {
  static final String LILY = "Once upon a time, there was a little girl named Lily.";
  /** Three references stories260K can reach after some reasoning, three it cannot (see FilterRunnerTest). */
  static final List<Example> DATA = List.of(
      ex("lily", LILY, "She went to the park."),
      ex("tim", "Tim had a big red ball.", "He played with it every day."),
      ex("sun", "One day, the sun was shining.", "Lily and her mom went to the park."),
      ex("rare", LILY, "Zyx qvq 7%^ Kjw Xq."),
      ex("decimals", LILY, "3.14159 2.71828 1.41421 1.73205 0.57721"),
      ex("finqa", "The revenue in 2019 was", "$ 1,284.73 million, up 17.4% from $ 1,094.35 million in 2018"));
  static final Set<String> UNREACHABLE = Set.of("rare", "decimals", "finqa");

  private static final List<LanguageModel> models = new ArrayList<>();

  @AfterAll
  static void close() {
    models.forEach(LanguageModel::close);
  }

  static Example ex(String id, String prompt, String reference) {
    return new Example(id, Map.of("prompt", prompt), reference, Map.of());
  }

  private static LanguageModel fresh() {
    LanguageModel lm = LanguageModel.loadDefault();
    models.add(lm);
    return lm;
  }

  static GrpoConfig config() {
    return builder().build();
  }

  static GrpoConfig.Builder builder() {
    return GrpoTrainerTest.tiny().task(dro4j.task.StoryTask.NAME).maxSteps(4).filterDataset(true).filterEverySteps(2).filterSamplesPerPrompt(4)
        .filterMaxNewTokens(48).saveSteps(2).filterRankThreshold(40).filterLowVariationDropFraction(0.34)
        .filterCarryForwardFraction(0.5);
  }

  /** A reward that records which examples each step trained on. */
  static final class Recording implements Reward.PerRollout {
    /** The example ids each step scored (each group is scored on its own call, so by the context's step). */
    final List<Set<String>> perStep = new ArrayList<>();

    @Override
    public String name() {
      return "length";
    }

    @Override
    public List<dro4j.reward.RewardResult> score(List<RolloutGroup> groups, dro4j.reward.RewardContext context) {
      while (perStep.size() <= context.step()) perStep.add(new LinkedHashSet<>());
      for (RolloutGroup g : groups) perStep.get((int) context.step()).add(g.example().id());
      return Reward.PerRollout.super.score(groups, context);
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return DISTINCT.score(rollout, group);
    }
  }

  /** Distinct tokens of a rollout: a reward that varies, so the policy moves between rounds. */
  static final Reward.PerRollout DISTINCT = new Reward.PerRollout() {
    @Override
    public String name() {
      return "distinct";
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return java.util.Arrays.stream(rollout.ids()).distinct().count();
    }
  };

  @Test
  void filterRoundsChooseTheTrainingSetAndAreLogged() {
    Recording reward = new Recording();
    List<Map<String, Object>> metrics = new ArrayList<>();
    List<TrainingSetState> sets = new ArrayList<>();
    try (GrpoTrainer t = GrpoTrainer.builder(config()).policy(fresh()).dataset(DATA).reward(reward, 1.0)
        .listener((step, m) -> metrics.add(m)).checkpoints(s -> sets.add(s.trainingSet())).build()) {
      t.train();
    }
    // round 0 before step 1, round 1 before step 3; the steps between log no filter keys
    assertThat(metrics.get(0)).containsEntry("filter/round", 0L).containsKeys("filter/kept",
        "filter/dropped_out_of_reach", "filter/dropped_low_variation", "filter/carried_forward", "filter/training_set",
        "filter/seconds");
    assertThat(metrics.get(1)).doesNotContainKey("filter/round");
    assertThat(metrics.get(2)).containsEntry("filter/round", 1L);
    assertThat(metrics.get(3)).doesNotContainKey("filter/round");
    // every unreachable reference is dropped, so round 0 trains only on reachable examples
    assertThat((long) metrics.get(0).get("filter/dropped_out_of_reach")).isEqualTo(3);
    assertThat(sets.get(0).round()).isEqualTo(0);
    assertThat(sets.get(0).exampleIds()).doesNotContainAnyElementsOf(UNREACHABLE)
        .hasSize(((Number) metrics.get(0).get("filter/training_set")).intValue());
    for (int step = 0; step < 2; step++) {
      assertThat(sets.get(0).exampleIds()).containsAll(reward.perStep.get(step));
    }
    // round 1 filtered again with the trained policy (lr 1e-2 moves it far: fewer references are in reach)
    // and carried half of round 0 forward: another set
    assertThat(sets.get(1).round()).isEqualTo(1);
    assertThat(sets.get(1).roundStartStep()).isEqualTo(2);
    assertThat((long) metrics.get(2).get("filter/carried_forward")).isPositive();
    assertThat(sets.get(1).exampleIds()).isNotEqualTo(sets.get(0).exampleIds());
    for (int step = 2; step < 4; step++) {
      assertThat(sets.get(1).exampleIds()).containsAll(reward.perStep.get(step));
    }
    // epochs count over the current set: 2 steps x 2 prompts over round 0's set, then over round 1's
    double expected = 4.0 / sets.get(0).exampleIds().size() + 4.0 / sets.get(1).exampleIds().size();
    assertThat((double) metrics.get(3).get("epoch")).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void aResumedFilteredRunIsBitIdentical(@TempDir Path dir) {
    GrpoConfig straightConfig = builder().outputDir(dir.resolve("straight")).saveSteps(3).build();
    CheckpointStore store = new CheckpointStore();
    LanguageModel straight = fresh();
    try (GrpoTrainer t = GrpoTrainer.builder(straightConfig).policy(straight).dataset(DATA)
        .reward(DISTINCT, 1.0).checkpoints(store).build()) {
      t.train();
    }
    // resume from checkpoint-3: inside round 1, whose set was chosen by a policy the checkpoint no longer holds
    Path checkpoint = dir.resolve("straight").resolve("checkpoint-3");
    ResumeState state = store.load(checkpoint);
    assertThat(state.trainingSet()).isNotNull();
    assertThat(state.trainingSet().round()).isEqualTo(1);
    LanguageModel resumed = LanguageModel.load(checkpoint);
    models.add(resumed);
    try (GrpoTrainer t = GrpoTrainer.builder(straightConfig).policy(resumed).dataset(DATA)
        .reward(DISTINCT, 1.0).resumeFrom(state).build()) {
      assertThat(t.completedSteps()).isEqualTo(3);
      t.train();
    }
    GrpoTrainerTest.assertSameWeights(GrpoTrainerTest.weights(straight), GrpoTrainerTest.weights(resumed));
    // a resume needs the data set the run started with
    List<Example> other = new ArrayList<>(DATA.subList(1, DATA.size()));
    LanguageModel again = LanguageModel.load(checkpoint);
    models.add(again);
    assertThatThrownBy(() -> GrpoTrainer.builder(straightConfig).policy(again).dataset(other)
        .reward(DISTINCT, 1.0).resumeFrom(state).build())
        .hasMessageContaining("which the data set does not have");
  }

  @Test
  void filteringNeedsDistinctIds() {
    List<Example> twice = List.of(DATA.get(0), DATA.get(0));
    assertThatThrownBy(() -> GrpoTrainer.builder(config()).policy(fresh()).dataset(twice)
        .reward(DISTINCT, 1.0).build()).hasMessageContaining("appears twice");
  }

  @Test
  void withoutFilteringTheOrderIsTheRunsSeededOrder() {
    TrainingSet plain = new TrainingSet(DATA, null, 0, 3, true);
    DataOrder order = new DataOrder(DATA.size(), 3, true);
    for (long step = 0; step < 5; step++) {
      assertThat(plain.filterDue(step)).isFalse();
      List<Example> expected = new ArrayList<>();
      for (int i : order.indices(step * 4, 4)) expected.add(DATA.get(i));
      assertThat(plain.examples(step, 4)).isEqualTo(expected);
      assertThat(plain.epoch(step + 1, 4)).isEqualTo(order.epoch((step + 1) * 4));
    }
    assertThat(plain.state()).isNull();
    Map<String, Object> none = new LinkedHashMap<>(plain.beforeStep(0, null, 4));
    assertThat(none).isEmpty();
  }
}
