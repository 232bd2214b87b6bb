package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.LanguageModel;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.rl.config.GrpoConfig;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The GRPO step on stories260K with tiny shapes: the non-finite guard, bit-identical resume,
 * gradient accumulation, dynamic sampling, truncation masking, several iterations, the reference
 * policy. Rewards here vary within every group (text length), so a step that trains moves the
 * weights and a skipped one does not.
 */
class GrpoTrainerTest {
  /** Characters of the response / 100: differs between rollouts, so advantages are non-zero. */
  static final Reward LENGTH = new Reward.PerRollout() {
    @Override
    public String name() {
      return "length";
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return rollout.text().length() / 100.0;
    }
  };

  private static final List<LanguageModel> models = new ArrayList<>();

  @AfterAll
  static void close() {
    models.forEach(LanguageModel::close);
  }

  private static LanguageModel fresh() {
    LanguageModel lm = LanguageModel.loadDefault();
    models.add(lm);
    return lm;
  }

  static GrpoConfig.Builder tiny() {
    return GrpoConfig.builder().learningRate(1e-2).lrSchedulerType(LrSchedulerType.CONSTANT).perStepPrompts(2)
        .numGenerations(4).maxCompletionLength(8).maxSteps(4).seed(3);
  }

  static Map<String, float[]> weights(LanguageModel lm) {
    Map<String, float[]> out = new LinkedHashMap<>();
    lm.transformer().parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b) {
    assertThat(a.keySet()).isEqualTo(b.keySet());
    a.forEach((k, v) -> assertThat(b.get(k)).as(k).containsExactly(v));
  }

  @Test
  void nanRewardSkipsThatUpdateIsCountedAndTrainingGoesOn() {
    Reward flaky = new Reward() {
      int callsAtSecondStep;

      @Override
      public String name() {
        return "flaky";
      }

      @Override
      public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
        List<RewardResult> out = LENGTH.score(groups, context);
        // injected at the second step, into its second group (each group is scored on its own)
        if (context.step() == 1 && callsAtSecondStep++ == 1) out.get(0).scores()[2] = Double.NaN;
        return out;
      }
    };
    LanguageModel lm = fresh();
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().build()).policy(lm).reward(flaky, 1.0).build()) {
      Map<String, Object> first = t.step();
      Map<String, float[]> afterFirst = weights(lm);
      Map<String, Object> second = t.step();
      Map<String, float[]> afterSecond = weights(lm);
      Map<String, Object> third = t.step();

      assertThat(first).containsEntry("skipped_updates", 0L).containsKey("loss");
      assertThat(second).containsEntry("nonfinite_rewards", 1).containsEntry("skipped_updates", 1L)
          .doesNotContainKeys("loss", "grad_norm");
      assertThat((double) second.get("reward")).isNaN();
      assertSameWeights(afterFirst, afterSecond); // the update was skipped, momentum included
      assertThat(third).containsEntry("skipped_updates", 1L).containsEntry("updates_applied", 1);
      assertThat((double) third.get("grad_norm")).isFinite().isPositive();
      assertThat(weights(lm).get("model.norm.weight")).isNotEqualTo(afterSecond.get("model.norm.weight"));
    }
  }

  @Test
  void nonFiniteLossSkipsTheUpdateToo() {
    // finite rewards whose unscaled advantages overflow the fp32 loss: 8 tokens x -2.25e38 is -inf
    Reward huge = new Reward.PerRollout() {
      @Override
      public String name() {
        return "huge";
      }

      @Override
      public double score(Rollout rollout, RolloutGroup group) {
        return rollout == group.rollouts().get(0) ? 3e38 : 0;
      }
    };
    LanguageModel lm = fresh();
    GrpoConfig c = tiny().scaleRewards(ScaleRewards.NONE).lossType(LossType.DR_GRPO).build();
    try (GrpoTrainer t = GrpoTrainer.builder(c).policy(lm).reward(huge, 1.0).build()) {
      Map<String, float[]> before = weights(lm);
      Map<String, Object> m = t.step();
      assertThat(m).containsEntry("nonfinite_rewards", 0).containsEntry("skipped_updates", 1L)
          .containsEntry("updates_applied", 0);
      assertThat((double) m.get("loss")).isNaN(); // not a usable value: reported as NaN
      assertSameWeights(before, weights(lm));
    }
  }

  @Test
  void resumingFromAStepContinuesBitIdentically() {
    GrpoConfig config = tiny().saveSteps(2).numIterations(2).beta(0.04).build();
    List<Map<String, float[]>> savedWeights = new ArrayList<>();
    List<ResumeState> savedStates = new ArrayList<>();
    CheckpointSink sink = s -> {
      Map<String, float[]> w = new LinkedHashMap<>();
      s.model().parameters().forEach((k, v) -> w.put(k, v.toFloatArray()));
      savedWeights.add(w);
      savedStates.add(s.resumeState());
    };
    LanguageModel straight = fresh();
    List<Object> rewardsStraight = new ArrayList<>();
    try (GrpoTrainer t = GrpoTrainer.builder(config).policy(straight).reward(LENGTH, 1.0).checkpoints(sink)
        .listener((step, m) -> rewardsStraight.add(m.get("reward"))).build()) {
      TrainingSummary summary = t.train();
      assertThat(summary.steps()).isEqualTo(4);
    }
    assertThat(savedStates).extracting(ResumeState::step).containsExactly(2L, 4L);
    assertThat(savedStates.get(0).optimizerSteps()).isEqualTo(4); // 2 steps x 2 iterations

    LanguageModel resumed = fresh();
    savedWeights.get(0).forEach((k, v) -> resumed.transformer().parameters().get(k).set(FloatBuffer.wrap(v)));
    List<Object> rewardsResumed = new ArrayList<>();
    try (GrpoTrainer t = GrpoTrainer.builder(config).policy(resumed).reward(LENGTH, 1.0)
        .resumeFrom(savedStates.get(0)).listener((step, m) -> rewardsResumed.add(m.get("reward"))).build()) {
      assertThat(t.completedSteps()).isEqualTo(2);
      t.train();
    }
    assertThat(rewardsResumed).containsExactlyElementsOf(rewardsStraight.subList(2, 4));
    assertSameWeights(weights(straight), weights(resumed));
    assertSameWeights(savedWeights.get(1), weights(resumed));
  }

  @Test
  void gradientAccumulationSplitsTheStepWithoutChangingIt() {
    // Two micro-batches of 4 rows and three of 2, 3 and 3 rows: every loss type keeps the whole batch's
    // loss (each micro-batch contributes its share of the update's rows or tokens). Unequal token counts
    // per row are GrpoObjectiveFixtureTest's subject.
    for (LossType type : LossType.values()) {
      List<Double> norms = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      int[] splits = {1, 2, 3};
      for (int accumulation : splits) {
        GrpoConfig c = tiny().lossType(type).gradientAccumulationSteps(accumulation).maxSteps(1).build();
        try (GrpoTrainer t = GrpoTrainer.builder(c).policy(fresh()).reward(LENGTH, 1.0).build()) {
          Map<String, Object> m = t.step();
          assertThat(m.get("completions/min_length")).isEqualTo(m.get("completions/max_length"));
          norms.add((double) m.get("grad_norm"));
          losses.add((double) m.get("loss"));
        }
      }
      for (int k = 1; k < norms.size(); k++) {
        assertThat(Math.abs(norms.get(k) - norms.get(0)) / norms.get(0)).as(type.configName()).isLessThan(1e-5);
        assertThat(losses.get(k)).as(type.configName()).isCloseTo(losses.get(0), org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @Test
  void dynamicSamplingDropsGroupsWithoutRewardVariance() {
    Reward constant = new Reward.PerRollout() {
      @Override
      public String name() {
        return "constant";
      }

      @Override
      public double score(Rollout rollout, RolloutGroup group) {
        return 0.5;
      }
    };
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().dynamicSampling(true).build()).policy(fresh())
        .reward(constant, 1.0).build()) {
      Map<String, Object> m = t.step();
      assertThat(m).containsEntry("frac_reward_zero_std", 1.0).containsEntry("rows_trained", 0)
          .doesNotContainKey("loss");
    }
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().build()).policy(fresh()).reward(constant, 1.0).build()) {
      Map<String, Object> m = t.step();
      assertThat(m).containsEntry("frac_reward_zero_std", 1.0).containsEntry("rows_trained", 8);
      assertThat((double) m.get("grad_norm")).isZero(); // zero advantages, zero gradient
    }
  }

  @Test
  void maskedTruncatedCompletionsContributeNoGradient() {
    GrpoConfig.Builder cut = tiny().maxCompletionLength(3);
    try (GrpoTrainer t = GrpoTrainer.builder(cut.maskTruncatedCompletions(true).build()).policy(fresh())
        .reward(LENGTH, 1.0).build()) {
      Map<String, Object> m = t.step();
      assertThat(m).containsEntry("completions/clipped_ratio", 1.0);
      assertThat((double) m.get("grad_norm")).isZero();
      assertThat((double) m.get("loss")).isZero();
    }
    try (GrpoTrainer t = GrpoTrainer.builder(cut.maskTruncatedCompletions(false).build()).policy(fresh())
        .reward(LENGTH, 1.0).build()) {
      assertThat((double) t.step().get("grad_norm")).isPositive();
    }
  }

  @Test
  void severalIterationsUpdateSeveralTimesAgainstRecomputedOldLogProbs() {
    GrpoConfig c = tiny().numIterations(3).learningRate(5e-2).epsilon(0.01).maxSteps(2).build();
    try (GrpoTrainer t = GrpoTrainer.builder(c).policy(fresh()).reward(LENGTH, 1.0).build()) {
      Map<String, Object> m = t.step();
      assertThat(m).containsEntry("updates_applied", 3);
      // after the first update the ratio leaves [0.99, 1.01] for some tokens: the clip is active
      assertThat((double) m.get("clip_ratio/region_mean")).isPositive();
    }
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().maxSteps(2).build()).policy(fresh()).reward(LENGTH, 1.0).build()) {
      // one iteration: on-policy, the ratio is exactly 1 and nothing is clipped
      assertThat((double) t.step().get("clip_ratio/region_mean")).isZero();
    }
  }

  @Test
  void aReferencePolicyIsLoadedOnlyWhenBetaIsPositive() {
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().build()).policy(fresh()).reward(LENGTH, 1.0).build()) {
      assertThat(t.referencePolicy()).isNull();
      assertThat(t.step()).doesNotContainKey("kl");
    }
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().beta(0.1).maxSteps(2).build()).policy(fresh())
        .reward(LENGTH, 1.0).build()) {
      assertThat(t.referencePolicy()).isNotNull().isNotSameAs(t.policy());
      assertThat((double) t.step().get("kl")).isZero(); // policy == reference before the first update
      assertThat((double) t.step().get("kl")).isPositive();
    }
    LanguageModel lm = fresh();
    assertThatThrownBy(() -> GrpoTrainer.builder(tiny().beta(0.1).build()).policy(lm).referencePolicy(lm)
        .reward(LENGTH, 1.0).build()).hasMessageContaining("separate instance");
  }

  @Test
  void configuredRewardsAndBadSetups() {
    GrpoConfig c = tiny().rewards(List.of(dro4j.rl.config.RewardSpec.of("keyword", 2.0, Map.of("words", "ball"))))
        .maxSteps(1).build();
    try (GrpoTrainer t = GrpoTrainer.builder(c).policy(fresh()).build()) {
      assertThat(t.rewardNames()).containsExactly("keyword");
      Map<String, Object> m = t.step();
      assertThat((double) m.get("reward")).isEqualTo(2.0 * (double) m.get("rewards/keyword/mean"));
      assertThat(m).containsKeys("advantages/mean", "entropy", "completions/mean_length", "tokens_per_second",
          "time/generation", "time/reward", "time/training", "learning_rate", "epoch");
    }
    assertThatThrownBy(() -> GrpoTrainer.builder(tiny().build()).policy(fresh()).build())
        .hasMessageContaining("no rewards");
    GrpoConfig unknown = tiny().rewards(List.of(dro4j.rl.config.RewardSpec.of("no_such_reward"))).build();
    assertThatThrownBy(() -> GrpoTrainer.builder(unknown).policy(fresh()).build())
        .hasMessageContaining("unknown reward 'no_such_reward'");
  }

  /** A reward that counts how often it was closed. */
  static final class ClosingReward implements dro4j.reward.Reward.PerRollout, AutoCloseable {
    int closed;

    @Override
    public String name() {
      return "closing";
    }

    @Override
    public double score(dro4j.reward.Rollout rollout, dro4j.reward.RolloutGroup group) {
      return rollout.ids().length;
    }

    @Override
    public void close() {
      closed++;
    }
  }

  @Test
  void theTrainerClosesTheRewardsItCreatedAndNoOthers() {
    List<ClosingReward> created = new ArrayList<>();
    RewardFactory factory = (name, params) -> {
      ClosingReward r = new ClosingReward();
      created.add(r);
      // a combinator closes its components too
      return new dro4j.reward.compose.WeightedSum(List.of(new dro4j.reward.compose.WeightedSum.Component(r, 1.0)));
    };
    GrpoConfig c = tiny().rewards(List.of(dro4j.rl.config.RewardSpec.of("closing"))).maxSteps(1).build();
    try (GrpoTrainer t = GrpoTrainer.builder(c).policy(fresh()).rewardFactory(factory).build()) {
      t.step();
      assertThat(created).hasSize(1);
      assertThat(created.get(0).closed).isZero();
    }
    assertThat(created.get(0).closed).isEqualTo(1);
    // a reward handed to the builder stays the caller's
    ClosingReward given = new ClosingReward();
    try (GrpoTrainer t = GrpoTrainer.builder(tiny().maxSteps(1).build()).policy(fresh()).reward(given, 1.0).build()) {
      t.step();
    }
    assertThat(given.closed).isZero();
  }

  /** DRO end to end: the R3 reward configured by name scores rollouts from the generation's cache. */
  @Test
  void r3ConfiguredByNameTrainsAStep() {
    GrpoConfig c = tiny().rewards(List.of(dro4j.rl.config.RewardSpec.of("r3", 1.0, Map.of("split", "none"))))
        .maxSteps(1).build();
    List<dro4j.data.Example> data = List.of(
        new dro4j.data.Example("a", Map.of("prompt", "Once upon a time, there was a little girl named Lily."),
            " She went to the park.", Map.of()),
        new dro4j.data.Example("b", Map.of("prompt", "Tom had a red car."), " He liked to drive it fast.", Map.of()));
    LanguageModel lm = fresh();
    Map<String, float[]> before = weights(lm);
    try (GrpoTrainer t = GrpoTrainer.builder(c).policy(lm).dataset(data).build()) {
      assertThat(t.rewardNames()).containsExactly("r3");
      Map<String, Object> m = t.step();
      assertThat((double) m.get("rewards/r3/mean")).isFinite().isNegative(); // a weighted sum of log-probs
      assertThat(m.get("skipped_updates")).isEqualTo(0L);
    }
    assertThat(weights(lm).get("model.norm.weight")).isNotEqualTo(before.get("model.norm.weight"));
  }
}
