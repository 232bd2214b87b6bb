package dro4j.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.generate.SamplingParams;
import dro4j.reward.RewardContext;
import dro4j.reward.likelihood.ReferenceScorer;
import dro4j.rl.GrpoObjective;
import dro4j.rl.KlEstimator;
import dro4j.rl.LossType;
import dro4j.rl.PolicyBatch;
import dro4j.rl.SequenceLogProbs;
import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-turn rollout loop on a real chat template (Qwen2.5-Instruct's, with tools) and the
 * tiny-qwen2 model and tokenizer: a scripted policy (forced tokens through the production loop) calls
 * tools well, badly and too long; the trajectory's tokens, mask, log-probs and IGPO gains are checked
 * against independent computations.
 */
class TrajectoryRolloutTest {
  @TempDir static Path dir;
  static LanguageModel lm;
  static int imEnd;

  static final Example EXAMPLE = new Example("q1", Map.of("question", "What is 2 + 3?"), "5", Map.of());
  static final String ADD_CALL = "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call>";
  static final List<List<String>> SCRIPTS = List.of(
      List.of(ADD_CALL, "The answer is 5."),
      List.of("<tool_call>\n{not json}\n</tool_call>", "<tool_call>\n{\"name\": \"boom\", \"arguments\": {}}\n</tool_call>",
          "I cannot tell."),
      List.of("<tool_call>\n{\"name\": \"long\", \"arguments\": {}}\n</tool_call>", "Done: 5"),
      List.of("<tool_call>\n{\"name\": \"nope\", \"arguments\": {}}\n</tool_call>", "5"));

  @BeforeAll
  static void load() throws IOException {
    Path tiny = Fixtures.fixture("tiny-qwen2");
    try (var files = Files.list(tiny)) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
    }
    JsonNode qwen = new ObjectMapper().readTree(
        Fixtures.fixture("chat-templates", "qwen2.5-instruct", "tokenizer_config.json").toFile());
    Files.writeString(dir.resolve(ChatTemplate.JINJA_FILE), qwen.get("chat_template").asText());
    lm = LanguageModel.load(dir);
    imEnd = lm.tokenizer().tokenId("<|im_end|>");
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  /** A calculator task: tools add, boom (throws), long (a huge result); any answer ends the episode. */
  static final class Calculator implements Environment {
    @Override
    public String reset(Example example) {
      return example.field("question");
    }

    @Override
    public StepResult step(String action) {
      return StepResult.done("", action.contains("5") ? 1.0 : 0.0);
    }

    @Override
    public List<Tool> tools() {
      Map<String, Object> number = Map.of("type", "number", "description", "an operand");
      return List.of(
          Tool.of("add", "Adds two numbers.", ordered("a", number, "b", number), args -> {
            double v = ((Number) args.get("a")).doubleValue() + ((Number) args.get("b")).doubleValue();
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
          }),
          Tool.of("boom", "Always fails.", Map.of(), args -> {
            throw new IllegalStateException("kaput");
          }),
          Tool.of("long", "Returns a long text.", Map.of(), args -> "lorem ipsum ".repeat(200)));
    }
  }

  /** A two-key map in insertion order (the template renders keys in order). */
  static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }

  /** The token ids of each row's scripted turns, each ended by <|im_end|>. */
  static int[] scriptIds(int row, int turn) {
    int[] text = lm.tokenizer().encode(SCRIPTS.get(row).get(turn), false);
    int[] ids = Arrays.copyOf(text, text.length + 1);
    ids[text.length] = imEnd;
    return ids;
  }

  /** Forces each row's script, turn by turn (a new turn starts when nothing was generated yet). */
  static dro4j.generate.Generator.ForcedTokens script() {
    int[] turn = new int[SCRIPTS.size()];
    return (row, generated, count) -> {
      if (count == 0) turn[row]++;
      int[] ids = scriptIds(row, turn[row] - 1);
      return count < ids.length ? ids[count] : -1;
    };
  }

  static RolloutSettings settings() {
    return RolloutSettings.of(SamplingParams.defaults().withTemperature(1.0)).withLimits(4, 4, 200, 16);
  }

  static TrajectoryBatch scripted() {
    return new TrajectoryRollout(lm, settings().withForced(script())).run(List.of(EXAMPLE), Calculator::new, 4, 7);
  }

  @Test
  void tokensMaskAndTurnsFollowTheTemplateExactly() {
    try (TrajectoryBatch batch = scripted()) {
      List<Trajectory> ts = batch.trajectories();
      for (int r = 0; r < 4; r++) {
        Trajectory t = ts.get(r);
        assertThat(t.stopReason()).as("row " + r).isEqualTo(StopReason.DONE);
        assertThat(t.turns()).hasSize(SCRIPTS.get(r).size());
        // token by token: mask 1 exactly on the scripted (policy) tokens, 0 on everything appended
        int[] expectedMask = new int[t.tokens().length];
        int policy = 0;
        for (int k = 0; k < t.turns().size(); k++) {
          Turn turn = t.turns().get(k);
          assertThat(Arrays.copyOfRange(t.tokens(), turn.start(), turn.end())).containsExactly(scriptIds(r, k));
          Arrays.fill(expectedMask, turn.start(), turn.end(), 1);
          policy += turn.end() - turn.start();
          if (k + 1 < t.turns().size()) assertThat(t.turns().get(k + 1).start()).isEqualTo(turn.observationEnd());
        }
        assertThat(t.mask()).containsExactly(expectedMask);
        assertThat(t.policyTokens()).isEqualTo(policy);
      }
      // the appended tokens are the template's tool turn and next generation prompt
      Trajectory t0 = ts.get(0);
      Turn first = t0.turns().get(0);
      assertThat(lm.tokenizer().decode(Arrays.copyOfRange(t0.tokens(), first.end(), first.observationEnd()), false))
          .isEqualTo("\n<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n<|im_start|>assistant\n");
      // and the whole trajectory is the template's render of the conversation (Qwen2.5 re-renders alike)
      Map<String, Object> call = Map.of("type", "function",
          "function", Map.of("name", "add", "arguments", ordered("a", 2, "b", 3)));
      List<ChatMessage> conversation = List.of(ChatMessage.user("What is 2 + 3?"),
          new ChatMessage("assistant", "", Map.of("tool_calls", List.of(call))),
          new ChatMessage("tool", "5", Map.of("name", "add")), ChatMessage.assistant("The answer is 5."));
      List<Map<String, Object>> tools = new ArrayList<>();
      for (Tool tool : new Calculator().tools()) tools.add(tool.schema());
      String full = lm.chatTemplate().render(conversation, false, Map.of("tools", tools));
      int[] all = ReferenceScorer.concat(t0.promptIds(), t0.tokens());
      assertThat(lm.tokenizer().decode(all, false) + "\n").isEqualTo(full);
      // the failures are observations
      String row1 = lm.tokenizer().decode(ts.get(1).tokens(), false);
      assertThat(row1).contains("error: malformed tool call").contains("error: boom failed: kaput");
      assertThat(ts.get(1).toolErrors()).isEqualTo(2);
      assertThat(lm.tokenizer().decode(ts.get(2).tokens(), false)).contains("[tool response truncated:");
      assertThat(lm.tokenizer().decode(ts.get(3).tokens(), false)).contains("error: unknown tool 'nope'");
      assertThat(ts.get(0).turns().get(1).stepReward()).isEqualTo(1.0);
      assertThat(ts.get(1).turns().get(2).stepReward()).isEqualTo(0.0);
      // each turn keeps its calls and what the policy saw back (completions.jsonl's turns)
      Turn.ToolOutcome add = ts.get(0).turns().get(0).tools().get(0);
      assertThat(add.call().name()).isEqualTo("add");
      assertThat(add.call().arguments()).containsEntry("a", 2).containsEntry("b", 3);
      assertThat(add.result()).isEqualTo("5");
      assertThat(add.error()).isFalse();
      Turn.ToolOutcome malformed = ts.get(1).turns().get(0).tools().get(0);
      assertThat(malformed.call().wellFormed()).isFalse();
      assertThat(malformed.error()).isTrue();
      assertThat(malformed.result()).startsWith("error: malformed tool call");
      assertThat(ts.get(1).turns().get(1).tools().get(0).result()).isEqualTo("error: boom failed: kaput");
      assertThat(ts.get(0).turns().get(1).tools()).isEmpty();
      assertThat(ts.get(0).turns().get(1).observation()).isNull();
    }
  }

  @Test
  void cachedLogProbsEqualAFullReEncodingAndEnvironmentTokensGetNoGradient() {
    try (TrajectoryBatch batch = scripted()) {
      double worst = 0;
      for (Trajectory t : batch.trajectories()) worst = Math.max(worst, logprobDiff(t));
      System.out.println("[agents] scripted trajectory log-probs vs re-encoding: max |diff| = " + worst);
      assertThat(worst).isLessThan(1e-4);

      Trajectory t = batch.trajectories().get(1);
      PolicyBatch pb = PolicyBatch.masked(List.of(t.promptIds()), List.of(t.tokens()), List.of(t.lossMask()));
      assertThat(pb.lossTokens()).isEqualTo(t.policyTokens());
      float[] adv = new float[t.tokens().length];
      for (int i = 0; i < adv.length; i++) adv[i] = (float) Math.sin(i);
      float[] changed = adv.clone();
      for (int i = 0; i < adv.length; i++) if (t.mask()[i] == 0) changed[i] = 100f + i;
      float[] policyChanged = adv.clone();
      policyChanged[t.turns().get(0).start()] += 5f;
      float[] g1 = gradient(pb, adv);
      float[] g2 = gradient(pb, changed);
      float[] g3 = gradient(pb, policyChanged);
      double envDiff = maxDiff(g1, g2);
      System.out.println("[agents] gradient change from environment-token advantages: " + envDiff
          + " (from one policy token: " + maxDiff(g1, g3) + ")");
      assertThat(envDiff).isEqualTo(0.0);
      assertThat(maxDiff(g1, g3)).isGreaterThan(1e-6);
    }
  }

  @Test
  void informationGainEqualsReEncodedReferenceBeliefDifferences() {
    try (TrajectoryBatch batch = scripted(); NDManager m = lm.manager().newSubManager()) {
      RewardContext ctx = new RewardContext(lm, null, batch.generation(), 0);
      String prefix = "The answer is ";
      double[][] gains = TurnRewards.informationGain(batch, ctx, prefix, 1.0);
      ReferenceScorer.Target target = ReferenceScorer.tokenizeReference(lm.tokenizer(), prefix, "5");
      double worst = 0;
      for (int i = 0; i < gains.length; i++) {
        Trajectory t = batch.trajectories().get(i);
        int[] bounds = t.turnBoundaries();
        assertThat(gains[i]).hasSize(t.turns().size());
        double[] belief = new double[bounds.length];
        for (int k = 0; k < bounds.length; k++) {
          int[] context = ReferenceScorer.concat(t.promptIds(), Arrays.copyOf(t.tokens(), bounds[k]), target.prefixIds());
          belief[k] = TurnRewards.belief(
              lm.scorer().score(List.of(context), List.of(target.referenceIds()), 1.0, m).get(0).logprobs());
        }
        for (int k = 0; k < gains[i].length; k++) worst = Math.max(worst, Math.abs(gains[i][k] - (belief[k + 1] - belief[k])));
      }
      System.out.println("[agents] IGPO gains from the cache vs re-encoded prefixes: max |diff| = " + worst);
      assertThat(worst).isLessThan(1e-4);

      // advantages: turns get A_i plus the group-normalised gain; observation tokens follow their turn
      double[] a = {1, -1, 0.5, -0.5};
      List<float[]> tokenAdv = TurnRewards.tokenAdvantages(batch.trajectories(), a, gains, 4, 1.0);
      double[][] norm = TurnRewards.normalise(gains, 4);
      Turn turn = batch.trajectories().get(0).turns().get(0);
      assertThat((double) tokenAdv.get(0)[turn.start()]).isCloseTo(1 + norm[0][0], org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  @Test
  void r3OnTrajectoriesContinuesTheRolloutCacheAndMatchesReEncoding() {
    try (TrajectoryBatch batch = scripted()) {
      var r3 = new dro4j.reward.likelihood.ReasoningReflectionReward();
      var groups = batch.groups();
      double[] cached = r3.score(groups, new RewardContext(lm, null, batch.generation(), 0)).get(0).scores();
      double[] encoded = r3.score(groups, RewardContext.of(lm)).get(0).scores();
      double worst = 0;
      for (int i = 0; i < cached.length; i++) worst = Math.max(worst, Math.abs(cached[i] - encoded[i]));
      System.out.println("[agents] R3 on trajectories, cache vs re-encoding: max |diff| = " + worst);
      assertThat(worst).isLessThan(1e-4);
      // a rollout is the whole trajectory (ids) with the final turn as its text
      assertThat(groups.get(0).rollouts().get(0).ids()).isEqualTo(batch.trajectories().get(0).tokens());
      assertThat(groups.get(0).rollouts().get(0).text()).isEqualTo("The answer is 5.");
    }
  }

  @Test
  void endlessEnvironmentsFailingEnvironmentsAndToolLimitsEndCleanly() {
    RolloutSettings free = RolloutSettings.of(SamplingParams.defaults().withTemperature(1.0)).withLimits(3, 4, 24, 16);
    Example e = EXAMPLE;
    try (TrajectoryBatch batch = new TrajectoryRollout(lm, free).run(List.of(e, e), environment("Guess.", a -> StepResult.of("Again.")), 2, 11)) {
      double worst = 0;
      for (Trajectory t : batch.trajectories()) {
        assertThat(t.stopReason()).isIn(StopReason.MAX_TURNS, StopReason.MAX_COMPLETION_LENGTH);
        assertThat(t.turns().size()).isBetween(1, 3);
        assertThat(t.policyTokens()).isLessThanOrEqualTo(24);
        worst = Math.max(worst, logprobDiff(t));
      }
      System.out.println("[agents] sampled endless-environment trajectories: log-prob max |diff| = " + worst);
      assertThat(worst).isLessThan(1e-4);
    }
    try (TrajectoryBatch batch = new TrajectoryRollout(lm, free).run(List.of(e), environment("Go.", a -> {
      throw new IllegalStateException("broken");
    }), 2, 3)) {
      for (Trajectory t : batch.trajectories()) {
        assertThat(t.stopReason()).isIn(StopReason.ENVIRONMENT_ERROR, StopReason.MAX_COMPLETION_LENGTH);
        assertThat(t.turns()).hasSize(1);
      }
    }
    RolloutSettings noTools = settings().withLimits(4, 0, 200, 16).withForced(script());
    try (TrajectoryBatch batch = new TrajectoryRollout(lm, noTools).run(List.of(e), Calculator::new, 4, 7)) {
      assertThat(batch.trajectories().get(0).stopReason()).isEqualTo(StopReason.MAX_TOOL_CALLS);
      assertThat(batch.trajectories().get(0).turns()).hasSize(1);
    }
  }

  /**
   * A template that raises on what the policy wrote ends that trajectory (stop reason template) and
   * nothing else: the run goes on, the other rows of the batch are untouched.
   */
  @Test
  void groupsBatchedTogetherSampleWhatEachGroupSamplesAlone() {
    // turns of 2 or 3 sampled tokens (row j of a group ends its turn after 2 + j), so rows append ragged turns
    RolloutSettings free = RolloutSettings.of(SamplingParams.defaults().withTemperature(1.0)).withLimits(3, 4, 24, 16)
        .withForced((row, generated, count) -> count == 2 + row % 2 ? imEnd : -1);
    java.util.function.Supplier<Environment> asks = () -> new Environment() {
      @Override
      public String reset(Example example) {
        return example.field("question"); // prompts of different lengths: the batch pads the shorter
      }

      @Override
      public StepResult step(String action) {
        return StepResult.of(action.length() % 2 == 0 ? "Again." : "Try once more, please."); // ragged turns
      }
    };
    Example other = new Example("q2", Map.of("question", "What is the sum of 17 and 25, in words?"), "42", Map.of());
    List<Example> both = List.of(EXAMPLE, other);
    long[] seeds = {5, 9};
    TrajectoryRollout rollout = new TrajectoryRollout(lm, free);
    try (TrajectoryBatch together = rollout.runGroups(both, asks, 2, seeds)) {
      double worst = 0;
      for (int q = 0; q < 2; q++) {
        try (TrajectoryBatch alone = rollout.run(List.of(both.get(q)), asks, 2, seeds[q])) {
          for (int j = 0; j < 2; j++) {
            Trajectory a = alone.trajectories().get(j);
            Trajectory t = together.trajectories().get(q * 2 + j);
            // the same streams; the logits differ by the batch's fp32 rounding only, far below any
            // probability gap these draws met (a draw within 1e-6 of a boundary could flip a token)
            assertThat(t.tokens()).as("group %d row %d", q, j).containsExactly(a.tokens());
            assertThat(t.mask()).containsExactly(a.mask());
            assertThat(t.turns()).hasSameSizeAs(a.turns());
            for (int i = 0; i < a.tokens().length; i++) worst = Math.max(worst, Math.abs(t.logprobs()[i] - a.logprobs()[i]));
          }
        }
      }
      assertThat(worst).isLessThan(1e-4);
      assertThat(together.trajectories().stream().mapToInt(t -> t.turns().size()).max().orElse(0)).isGreaterThan(1);
    }
    // one group: exactly run's streams on the same batch, so the same bits
    try (TrajectoryBatch one = rollout.runGroups(List.of(other), asks, 2, new long[] {9});
        TrajectoryBatch plain = rollout.run(List.of(other), asks, 2, 9)) {
      for (int j = 0; j < 2; j++) {
        assertThat(one.trajectories().get(j).tokens()).containsExactly(plain.trajectories().get(j).tokens());
        assertThat(one.trajectories().get(j).logprobs()).containsExactly(plain.trajectories().get(j).logprobs());
      }
    }
  }

  @Test
  void aTemplateThatRaisesOnThePolicysTextEndsOnlyThatTrajectory(@TempDir Path other) throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) Files.copy(f, other.resolve(f.getFileName()));
    }
    String qwen = Files.readString(dir.resolve(ChatTemplate.JINJA_FILE));
    Files.writeString(other.resolve(ChatTemplate.JINJA_FILE),
        "{%- for m in messages %}{%- if m.role == 'assistant' and m.content and 'kaboom' in m.content %}"
            + "{{ raise_exception('no kaboom') }}{%- endif %}{%- endfor %}" + qwen);
    List<String> kaboom = List.of("kaboom " + ADD_CALL, "5");
    try (LanguageModel picky = LanguageModel.load(other)) {
      int[] turn = new int[2];
      dro4j.generate.Generator.ForcedTokens forced = (row, generated, count) -> {
        if (count == 0) turn[row]++;
        String text = row == 0 ? kaboom.get(turn[row] - 1) : SCRIPTS.get(0).get(turn[row] - 1);
        int[] t = picky.tokenizer().encode(text, false);
        return count < t.length ? t[count] : count == t.length ? imEnd : -1;
      };
      try (TrajectoryBatch batch = new TrajectoryRollout(picky, settings().withForced(forced))
          .run(List.of(EXAMPLE), Calculator::new, 2, 7)) {
        Trajectory raised = batch.trajectories().get(0);
        assertThat(raised.stopReason()).isEqualTo(StopReason.TEMPLATE);
        assertThat(raised.turns()).hasSize(1);
        Trajectory fine = batch.trajectories().get(1);
        assertThat(fine.stopReason()).isEqualTo(StopReason.DONE);
        assertThat(fine.turns()).hasSize(2);
      }
    }
  }

  /** An environment that opens with {@code first} and answers every turn with {@code step}. */
  static java.util.function.Supplier<Environment> environment(String first,
      java.util.function.Function<String, StepResult> step) {
    return () -> new Environment() {
      @Override
      public String reset(Example example) {
        return first;
      }

      @Override
      public StepResult step(String action) {
        return step.apply(action);
      }
    };
  }

  /** Max |sampling log-prob - re-encoded log-prob| over the policy's tokens. */
  static double logprobDiff(Trajectory t) {
    PolicyBatch pb = PolicyBatch.masked(List.of(t.promptIds()), List.of(t.tokens()), List.of(t.lossMask()));
    float[][] lp = SequenceLogProbs.toHost(lm.transformer(), pb, 1.0, lm.manager());
    double worst = 0;
    for (int i = 0; i < t.tokens().length; i++) {
      if (t.mask()[i] == 1) worst = Math.max(worst, Math.abs(lp[0][i] - t.logprobs()[i]));
    }
    return worst;
  }

  static float[] gradient(PolicyBatch pb, float[] adv) {
    var params = lm.transformer().parameters();
    for (NDArray p : params.values()) p.setRequiresGradient(true);
    dro4j.rl.Optimization.zeroGradients(lm.transformer());
    GrpoObjective.Settings s = new GrpoObjective.Settings(0.2, 0.2, 0, KlEstimator.K3, LossType.DAPO, 4096, 1.0);
    try (NDManager m = lm.manager().newSubManager();
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      GrpoObjective.Terms terms =
          GrpoObjective.microBatchPerToken(lm.transformer(), pb, new float[][] {adv}, null, null, s, 1, pb.lossTokens(), m);
      collector.backward(terms.loss());
    }
    List<Float> all = new ArrayList<>();
    for (NDArray p : params.values()) {
      try (NDArray g = p.getGradient()) {
        for (float v : g.toFloatArray()) all.add(v);
      }
    }
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) out[i] = all.get(i);
    return out;
  }

  static double maxDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  }
}
