package dro4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.filter.FilterConfig;
import dro4j.data.filter.FilterRunner;
import dro4j.eval.EvalOptions;
import dro4j.eval.CompletionResult;
import dro4j.eval.Evaluator;
import dro4j.eval.ExampleResult;
import dro4j.reward.Reward;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.rl.GrpoTrainer;
import dro4j.rl.LrSchedulerType;
import dro4j.rl.config.GrpoConfig;
import dro4j.text.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One task path: filter, train and eval build the same prompt ids from the same example (template,
 * system prompt on a base model, max_prompt_length cut), and training evaluates with the same code.
 */
class TaskPathTest {
  static final String SYSTEM = "Be brief.";
  static final List<Example> MATH = List.of(
      new Example("m1", Map.of("question", "Tom has 2 apples and gets 3 more. How many?"), "5", Map.of("answer_value", 5)),
      new Example("m2", Map.of("question", "Sue had 9 cats and gave 4 away. How many are left?"), "5",
          Map.of("answer_value", 5)));

  static LanguageModel lm;

  @BeforeAll
  static void load() {
    lm = LanguageModel.loadDefault();
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  static GrpoConfig.Builder tiny() {
    return GrpoConfig.builder().learningRate(1e-3).lrSchedulerType(LrSchedulerType.CONSTANT).perStepPrompts(2)
        .numGenerations(2).maxCompletionLength(4).maxSteps(1).seed(3);
  }

  @Test
  void filterTrainAndEvalRenderTheSamePromptIds() {
    Task gsm8k = Tasks.byName("gsm8k");
    int max = 24; // the math prompt is longer: every command cuts it the same way
    // filter: as FilterCommand sets it up (--task gsm8k --system-prompt ... --max-prompt-length 24)
    FilterRunner filter = new FilterRunner(FilterConfig.defaults(),
        FilterRunner.Options.of(PromptRenderer.template(gsm8k, null, SYSTEM)).withMaxPromptLength(max));
    PromptRenderer filterPrompts = filter.prompts(lm);
    // eval: as EvalCommand sets it up
    PromptRenderer evalPrompts = PromptRenderer.forTask(lm, gsm8k, null, SYSTEM, max);
    // train: the ids the rewards see
    Map<String, int[]> trained = new HashMap<>();
    Reward capture = new Reward.PerRollout() {
      @Override
      public String name() {
        return "capture";
      }

      @Override
      public double score(Rollout rollout, RolloutGroup group) {
        trained.put(group.example().id(), group.promptIds());
        return 0;
      }
    };
    GrpoConfig config = tiny().task("gsm8k").systemPrompt(SYSTEM).maxPromptLength(max).build();
    try (GrpoTrainer t = GrpoTrainer.builder(config).policy(lm).dataset(MATH).reward(capture, 1).build()) {
      Map<String, Object> m = t.step();
      assertThat(m.get("prompts/truncated")).isEqualTo(2L);
    }
    Evaluator.Evaluation evaluated = new Evaluator(gsm8k, EvalOptions.defaults().withMaxNewTokens(2))
        .run(lm, evalPrompts, MATH, null);
    for (int i = 0; i < MATH.size(); i++) {
      Example e = MATH.get(i);
      int[] ids = evalPrompts.ids(e);
      assertThat(ids).hasSize(max);
      assertThat(filterPrompts.ids(e)).containsExactly(ids);
      assertThat(trained.get(e.id())).containsExactly(ids);
      assertThat(evaluated.results().get(i).promptTokens()).isEqualTo(max);
      // the cut keeps the end of the full prompt, whose text has the system prompt before the math template
      String text = evalPrompts.text(e);
      assertThat(text).startsWith(SYSTEM + "\n\nSolve the problem.").endsWith(e.field("question"));
      int[] full = lm.tokenizer().encode(text, true);
      assertThat(ids).containsExactly(Arrays.copyOfRange(full, full.length - max, full.length));
    }
    assertThat(filterPrompts.truncated()).isEqualTo(2);
    assertThat(evaluated.summary().get("truncated_prompts")).isEqualTo(2L);
  }

  /**
   * Eval decodes several examples in one batch ({@link Evaluator#evaluateAll}); each example's sampled
   * completions are those it gets evaluated alone, and do not depend on its neighbours or order.
   */
  @Test
  void evalGivesEachExampleWhatItGetsAloneThoughExamplesShareADecodeBatch() {
    Task gsm8k = Tasks.byName("gsm8k");
    PromptRenderer prompts = PromptRenderer.forTask(lm, gsm8k, null, null, null);
    List<Example> three = new ArrayList<>(MATH);
    three.add(new Example("m3", Map.of("question", "How many legs does a dog have?"), "4", Map.of("answer_value", 4)));
    Evaluator evaluator = new Evaluator(gsm8k, EvalOptions.defaults().withSamples(3).withSampling(1.0, 0.95)
        .withMaxNewTokens(12).withSeed(4));
    List<ExampleResult> together = evaluator.run(lm, prompts, three, null).results();
    List<ExampleResult> reversed = evaluator.evaluateAll(lm, prompts, List.of(three.get(2), three.get(1), three.get(0)));
    for (int i = 0; i < three.size(); i++) {
      ExampleResult alone = evaluator.evaluate(lm, prompts, three.get(i));
      assertThat(together.get(i)).as("example %d", i).isEqualTo(alone);
      assertThat(reversed.get(2 - i)).isEqualTo(alone);
    }
    assertThat(together.get(0).completions().stream().map(CompletionResult::text).distinct().count())
        .as("sampled completions differ, so equal ones are not equal by accident").isGreaterThan(1);
  }

  @Test
  void templatesByNameOrTextAndChatModels() {
    Task jsonl = Tasks.byName("jsonl");
    Example story = new Example("s", Map.of("story", "Once upon a time"), "", Map.of());
    PromptRenderer plain = PromptRenderer.forTask(lm, jsonl, null, null, null);
    assertThat(plain.usesChatTemplate()).isFalse();
    assertThat(plain.ids(story)).containsExactly(lm.tokenizer().encode("Once upon a time", true)); // the only field
    Example two = new Example("t", Map.of("a", "1", "b", "2"), "", Map.of());
    assertThatThrownBy(() -> plain.ids(two)).hasMessageContaining("needs field 'prompt'");
    assertThat(PromptRenderer.template(jsonl, "math", null)).isSameAs(dro4j.data.prompt.PromptTemplates.MATH);
    assertThat(PromptRenderer.forTask(lm, jsonl, "[{a}] {b} {{x}}", null, null).text(two)).isEqualTo("[1] 2 {x}");
    assertThat(PromptRenderer.truncateLeft(new int[] {1, 2, 3}, 2)).containsExactly(2, 3);
    try (LanguageModel qwen = LanguageModel.load(Fixtures.fixture("tiny-qwen2"))) {
      PromptRenderer chat = PromptRenderer.forTask(qwen, jsonl, "Q: {a}", SYSTEM, null);
      assertThat(chat.usesChatTemplate()).isTrue();
      assertThat(chat.ids(two)).containsExactly(
          qwen.encodeChat(List.of(ChatMessage.system(SYSTEM), ChatMessage.user("Q: 1")), true));
    }
  }

  @Test
  void trainingEvaluatesEveryEvalStepsAndTasksGiveDefaultRewards(@TempDir Path dir) throws IOException {
    Path eval = dir.resolve("eval.jsonl");
    Files.writeString(eval, String.join("\n",
        "{\"id\": \"e1\", \"fields\": {\"prompt\": \"Once upon a time\"}, \"reference\": \"there was\"}",
        "{\"id\": \"e2\", \"fields\": {\"prompt\": \"Tom had a red ball.\"}, \"reference\": \"He\"}") + "\n");
    GrpoConfig config = tiny().maxSteps(3).evalDataset(eval).evalStrategy("steps").evalSteps(2).numGenerationsEval(4)
        .rewards(List.of(dro4j.rl.config.RewardSpec.of("keyword", 1.0, Map.of("words", "ball")))).build();
    List<Map<String, Object>> steps = new ArrayList<>();
    try (LanguageModel policy = lm.copy();
        GrpoTrainer t = GrpoTrainer.builder(config).policy(policy).listener((s, m) -> steps.add(m)).build()) {
      t.train();
    }
    assertThat(steps).hasSize(3);
    assertThat(steps.get(0)).doesNotContainKey("eval/pass@1");
    for (Map<String, Object> m : List.of(steps.get(1), steps.get(2))) { // step 2 (eval_steps) and the last
      assertThat(m).containsKeys("eval/pass@1", "eval/pass@2", "eval/pass@4", "eval/mean_completion_tokens",
          "eval/seconds");
      assertThat((double) m.get("eval/pass@1")).isBetween(0.0, 1.0);
      assertThat((double) m.get("eval/mean_completion_tokens")).isBetween(1.0, 4.0);
    }

    try (GrpoTrainer t = GrpoTrainer.builder(tiny().task("gsm8k").build()).policy(lm).dataset(MATH).build()) {
      assertThat(t.rewardNames()).containsExactly("numeric_match");
    }
    assertThatThrownBy(() -> tiny().evalStrategy("steps").build()).hasMessageContaining("needs eval_dataset");
    assertThatThrownBy(() -> tiny().evalStrategy("epoch").build()).hasMessageContaining("eval_strategy must be no or steps");
  }
}
