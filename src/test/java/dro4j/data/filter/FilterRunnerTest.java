package dro4j.data.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.filter.DynamicFilter.Decision;
import dro4j.data.filter.DynamicFilter.Outcome;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.reward.likelihood.R3Config;
import dro4j.reward.likelihood.ReasoningReflectionReward;
import dro4j.reward.likelihood.ScoringPolicy;
import dro4j.task.PromptRenderer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The filter end to end on the bundled stories260K (a TinyStories model), with examples whose fate is
 * known by construction: the "reasoning" is the story's next sentence (sampling stops at ".", the
 * template's reasoning end) and the reference is the sentence after it. A plain TinyStories sentence is
 * within the model's reach after some sampled sentence; a string of rare characters, a run of decimals
 * or a FinQA-style sentence full of numbers is not, whatever the model wrote before.
 */
class FilterRunnerTest {
  static final String LILY = "Once upon a time, there was a little girl named Lily.";
  /** The prompt as is; the reasoning is the next sentence. */
  static final PromptTemplate STORY = new PromptTemplate("story", null, "{prompt}", ".");
  static final FilterRunner.Options OPTIONS = FilterRunner.Options.of(STORY)
      .withSampling(FilterRunner.Options.of(STORY).sampling().withMaxNewTokens(48));
  static final List<Example> REACHABLE = List.of(
      ex("lily", LILY, "She went to the park."),
      ex("tim", "Tim had a big red ball.", "He played with it every day."),
      ex("sun", "One day, the sun was shining.", "Lily and her mom went to the park."));
  static final List<Example> UNREACHABLE = List.of(
      ex("rare", LILY, "Zyx qvq 7%^ Kjw Xq."),
      ex("decimals", LILY, "3.14159 2.71828 1.41421 1.73205 0.57721"),
      ex("finqa", "The revenue in 2019 was", "$ 1,284.73 million, up 17.4% from $ 1,094.35 million in 2018"));

  static LanguageModel lm;

  static Example ex(String id, String prompt, String reference) {
    return new Example(id, Map.of("prompt", prompt), reference, Map.of());
  }

  @BeforeAll
  static void load() {
    lm = LanguageModel.loadDefault();
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  static List<Example> candidates() {
    List<Example> all = new ArrayList<>(REACHABLE);
    all.addAll(UNREACHABLE);
    return all;
  }

  @Test
  void keepsReachableReferencesDropsTheRestAndCarriesAShareForward() {
    // rho 0.25, k 40; stage 2 drops floor(0.34 * 3) = 1 of the 3 reachable; 30% of 11 previous carried
    FilterConfig config = new FilterConfig(8, 0.25, 40, 0.34, 0.3, 0, 7);
    List<Example> previous = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      previous.add(ex("old" + i, "Old story " + i + ".", "The end."));
    }
    previous.add(REACHABLE.get(0));
    FilterRunner runner = new FilterRunner(config, OPTIONS);
    long t0 = System.nanoTime();
    FilterRunner.Result result = runner.run(lm, candidates(), previous, 0);
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Outcome> outcomes = result.round().outcomes();
    for (Outcome o : outcomes) {
      PromptStatistics s = o.statistics();
      System.out.printf("filter %-9s %-22s best worst-rank avg %7.2f  max sigma %6.3f  tokens %2d%n", o.example().id(),
          o.decision(), s == null ? Double.NaN : s.bestWorstRankAverage(), s == null ? Double.NaN : s.maxSigma(),
          s == null ? 0 : s.sigma().length);
    }
    System.out.printf("filter: 6 examples x 8 samples in %.2f s, %d of %d samples closed their sentence%n",
        seconds, result.samplesWithSplit(), result.samples());

    assertThat(result.samples()).isEqualTo(48);
    assertThat(result.samplesWithSplit()).isGreaterThan(24); // most samples end their sentence within 48 tokens
    // stage 1, known by construction
    for (int i = 0; i < 6; i++) {
      PromptStatistics s = outcomes.get(i).statistics();
      assertThat(s.exampleId()).isEqualTo(outcomes.get(i).example().id());
      assertThat(s.worstRankAverages()).hasSize(8);
      assertThat(s.sigma()).hasSize(lm.tokenizer().encode(outcomes.get(i).example().reference(), false).length);
      if (i < 3) {
        assertThat(outcomes.get(i).decision()).isIn(Decision.KEPT, Decision.DROPPED_LOW_VARIATION);
        assertThat(s.bestWorstRankAverage()).as(s.exampleId()).isLessThan(20);
      } else {
        assertThat(outcomes.get(i).decision()).isEqualTo(Decision.DROPPED_OUT_OF_REACH);
        assertThat(s.bestWorstRankAverage()).as(s.exampleId()).isGreaterThan(100);
      }
    }
    // stage 2: exactly the reachable example with the smallest max sigma
    Outcome lowest = outcomes.subList(0, 3).stream()
        .min((a, b) -> Double.compare(a.statistics().maxSigma(), b.statistics().maxSigma())).orElseThrow();
    assertThat(result.round().count(Decision.DROPPED_LOW_VARIATION)).isEqualTo(1);
    assertThat(lowest.decision()).isEqualTo(Decision.DROPPED_LOW_VARIATION);
    // carry-forward: round(0.3 * 11) = 3 of the previous set, never "lily" twice when it is kept
    assertThat(result.round().count(Decision.CARRIED_FORWARD)).isEqualTo(3);
    assertThat(result.round().trainingSet()).hasSize(2 + 3);
    assertThat(result.round().trainingSet()).extracting(Example::id).doesNotHaveDuplicates();

    // the same seed and round reproduce the round; another round samples anew
    FilterRunner.Result again = runner.run(lm, candidates(), previous, 0);
    assertThat(again.round().trainingSet()).extracting(Example::id)
        .containsExactlyElementsOf(result.round().trainingSet().stream().map(Example::id).toList());
    assertThat(again.round().outcomes().get(0).statistics().worstRankAverages())
        .containsExactly(outcomes.get(0).statistics().worstRankAverages());
    DynamicFilter.Round next = runner.refilter(lm, REACHABLE.subList(0, 1), previous, 1);
    assertThat(next.outcomes().get(0).statistics().worstRankAverages())
        .isNotEqualTo(outcomes.get(0).statistics().worstRankAverages());
  }

  @Test
  void filterSigmaIsR3SigmaOnTheSameSamples() {
    FilterConfig config = new FilterConfig(6, 0.25, 40, 0.0, 0.0, 0, 3);
    Example lily = REACHABLE.get(0);
    PromptStatistics filtered = new FilterRunner(config, OPTIONS).run(lm, List.of(lily), List.of(), 2)
        .round().outcomes().get(0).statistics();

    // The runner's samples, drawn again by hand, scored by R3 with the same split.
    int[] prompt = new PromptRenderer(lm, STORY, null).ids(lily);
    SamplingParams params = OPTIONS.sampling().withNumReturnSequences(6).withSeed(FilterRunner.exampleSeed(3, 2, "lily"));
    try (Generation g = lm.generate(List.of(prompt), params, true)) {
      List<Rollout> rollouts = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        rollouts.add(Rollout.of(g.completions().get(i), i));
      }
      RolloutGroup group = new RolloutGroup(lily, prompt, rollouts);
      R3Config r3 = R3Config.defaults().withScoring(OPTIONS.scoring());
      RewardResult result = new ReasoningReflectionReward(r3).score(List.of(group), new RewardContext(lm, null, g, 0)).get(0);
      assertThat(result.diagnostics().get("kv_cache")).isEqualTo(true);
      double[] sigma = (double[]) result.diagnostics().get("sigma");
      assertThat(filtered.sigma()).containsExactly(sigma);
      assertThat(filtered.maxSigma()).isEqualTo(Arrays.stream(sigma).max().orElseThrow());
      assertThat(filtered.maxSigma()).isGreaterThan(0.01); // different sentences: the reference does vary
    }
  }

  @Test
  void promptsUseTheChatTemplateWhenTheModelHasOne() {
    Example lily = REACHABLE.get(0);
    assertThat(PromptRenderer.chatTemplateOrNull(lm)).isNull();
    int[] plain = new PromptRenderer(lm, STORY, null).ids(lily);
    assertThat(plain).containsExactly(lm.tokenizer().encode(LILY, true));
    assertThat(plain[0]).isEqualTo(lm.tokenizer().bosTokenId());
    try (LanguageModel qwen = LanguageModel.load(Fixtures.fixture("tiny-qwen2"))) {
      var chat = PromptRenderer.chatTemplateOrNull(qwen);
      assertThat(chat).isNotNull();
      int[] ids = new PromptRenderer(qwen, PromptTemplates.PLAIN, null).ids(lily);
      assertThat(ids).containsExactly(qwen.encodeChat(PromptTemplates.PLAIN.messages(lily), true));
      assertThat(qwen.tokenizer().decode(ids, false)).contains(LILY).contains("<|im_start|>assistant");
    }
    Example noPrompt = new Example("q1", Map.of("question", "Why?", "context", "None."), "Because.", Map.of());
    assertThatThrownBy(() -> new PromptRenderer(lm, PromptTemplates.PLAIN, null).ids(noPrompt))
        .isInstanceOf(BadInputException.class).hasMessageContaining("needs field 'prompt'");
  }

  @Test
  void optionsFollowTheTemplateAndRefuseAnotherScoringModel() {
    FilterRunner.Options math = FilterRunner.Options.of(PromptTemplates.MATH);
    assertThat(math.sampling().stopStrings()).containsExactly("</think>");
    assertThat(math.sampling().topP()).isEqualTo(0.95);
    assertThat(math.sampling().temperature()).isEqualTo(1.0);
    assertThat(math.scoring().split().matchEnd("a</think>b</think>c")).isEqualTo(18);
    FilterRunner.Options plain = FilterRunner.Options.of(PromptTemplates.PLAIN);
    assertThat(plain.sampling().stopStrings()).isEmpty();
    assertThat(plain.scoring().split().toString()).isEqualTo(ReasoningSplit.wholeRollout().toString());
    assertThatThrownBy(() -> plain.withScoring(plain.scoring().withPolicy(ScoringPolicy.lagged(2))))
        .isInstanceOf(BadInputException.class).hasMessageContaining("scoring policy current");
  }

  @Test
  void refilterIsDueEveryFilterEverySteps() {
    FilterRunner every3 = new FilterRunner(new FilterConfig(2, 0.1, 10, 0.2, 0.1, 3, 0), OPTIONS);
    assertThat(List.of(0L, 1L, 2L, 3L, 4L, 6L, 7L).stream().map(every3::due).toList())
        .containsExactly(false, false, false, true, false, true, false);
    FilterRunner once = new FilterRunner(FilterConfig.defaults(), OPTIONS);
    assertThat(once.due(1)).isFalse();
    assertThat(once.due(100)).isFalse();
  }

  @Test
  void seedsDependOnSeedRoundAndExample() {
    assertThat(FilterRunner.roundSeed(1, 0)).isNotEqualTo(FilterRunner.roundSeed(1, 1)).isNotEqualTo(FilterRunner.roundSeed(2, 0));
    assertThat(FilterRunner.exampleSeed(1, 0, "a")).isNotEqualTo(FilterRunner.exampleSeed(1, 0, "b"))
        .isNotEqualTo(FilterRunner.exampleSeed(1, 1, "a")).isNotEqualTo(FilterRunner.exampleSeed(2, 0, "a"));
  }

  @Test
  void anExamplesStatisticsDoNotDependOnTheOtherCandidatesOrTheirOrder() {
    FilterConfig config = new FilterConfig(4, 0.25, 40, 0.0, 0.0, 0, 5);
    FilterRunner runner = new FilterRunner(config, OPTIONS.withSampling(OPTIONS.sampling().withMaxNewTokens(16)));
    List<Example> two = List.of(REACHABLE.get(1), REACHABLE.get(0));
    List<Outcome> both = runner.run(lm, two, List.of(), 3).round().outcomes();
    List<Outcome> alone = runner.run(lm, REACHABLE.subList(0, 1), List.of(), 3).round().outcomes();
    assertThat(both.get(1).example().id()).isEqualTo("lily");
    assertThat(alone.get(0).statistics().worstRankAverages()).containsExactly(both.get(1).statistics().worstRankAverages());
    assertThat(alone.get(0).statistics().sigma()).containsExactly(both.get(1).statistics().sigma());
  }
}
