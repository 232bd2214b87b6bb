package dro4j.generate;

import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation against transformers' greedy outputs, batching, seeding and stop conditions. */
class GeneratorTest {
  static LanguageModel stories;
  static LanguageModel qwen;

  @BeforeAll
  static void load() {
    stories = LanguageModel.load(Fixtures.fixture("stories260K"));
    qwen = LanguageModel.load(Fixtures.fixture("tiny-qwen2"));
  }

  @AfterAll
  static void close() {
    stories.close();
    qwen.close();
  }

  /**
   * Identical greedy ids are a fair demand of another correct fp32 implementation (another CPU's
   * kernels, another batch layout) only where every step's token leads the runner-up by more than
   * twice the logit tolerance: no logits within that tolerance of ours can then pick another token.
   * Checks that margin on {@code prompt + completion}, teacher-forced, and returns the smallest lead.
   * Measured smallest leads: stories260K 0.047 (greedy_prompt.json) to 0.13, tiny-qwen2 0.0055.
   */
  static double assertGreedyLeads(LanguageModel lm, int[] prompt, int[] completion, double logitTolerance) {
    int[] ids = dro4j.ReferenceData.concat(prompt, completion);
    int vocab = lm.transformer().config().vocabSize();
    float[] flat;
    try (ai.djl.ndarray.NDManager m = lm.manager().newSubManager();
        dro4j.model.KvCache cache = lm.transformer().newCache(m, 1, ids.length)) {
      boolean[][] valid = {new boolean[ids.length]};
      Arrays.fill(valid[0], true);
      flat = lm.transformer().logits(lm.transformer().forward(cache, new int[][] {ids}, valid, m)).toFloatArray();
    }
    double smallest = Double.POSITIVE_INFINITY;
    for (int j = 0; j < completion.length; j++) {
      int row = (prompt.length - 1 + j) * vocab;
      double runnerUp = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < vocab; k++) {
        if (k != completion[j]) {
          runnerUp = Math.max(runnerUp, flat[row + k]);
        }
      }
      double lead = flat[row + completion[j]] - runnerUp;
      assertThat(lead).as("greedy step %d: lead of token %d over the runner-up", j, completion[j])
          .isGreaterThan(2 * logitTolerance);
      smallest = Math.min(smallest, lead);
    }
    return smallest;
  }

  private static int[] greedyNewTokens(LanguageModel lm, int[] prompt, int maxNew) {
    try (Generation g = lm.generate(List.of(prompt), SamplingParams.greedy(maxNew), false)) {
      return g.completions().get(0).ids();
    }
  }

  @Test
  void storiesGreedyFromBosMatchesTransformers() {
    JsonNode ref = json(Fixtures.fixture("stories260K-reference", "greedy.json"));
    int[] prompt = ints(ref.get("prompt_ids"));
    int[] all = ints(ref.get("ids"));
    int[] expected = Arrays.copyOfRange(all, prompt.length, all.length);
    assertGreedyLeads(stories, prompt, expected, 1e-4); // the fixture README's logit tolerance on stories260K
    int[] actual = greedyNewTokens(stories, prompt, ref.get("max_new_tokens").asInt());
    assertThat(actual).containsExactly(expected);
    assertThat(stories.tokenizer().decode(all, true)).isEqualTo(ref.get("text").asText());
  }

  @Test
  void storiesGreedyFromTextPromptMatchesTransformers() {
    JsonNode ref = json(Fixtures.fixture("stories260K-reference", "greedy_prompt.json"));
    int[] prompt = ints(ref.get("prompt_ids"));
    int[] all = ints(ref.get("ids"));
    assertGreedyLeads(stories, prompt, Arrays.copyOfRange(all, prompt.length, all.length), 1e-4);
    int[] actual = greedyNewTokens(stories, prompt, all.length - prompt.length);
    assertThat(actual).containsExactly(Arrays.copyOfRange(all, prompt.length, all.length));
  }

  @Test
  void tinyQwen2GreedyMatchesTransformers() {
    JsonNode ref = json(Fixtures.fixture("tiny-qwen2-reference", "reference.json"));
    int[] prompt = ints(ref.get("ids"));
    int[] all = ints(ref.get("greedy_ids"));
    int[] expected = Arrays.copyOfRange(all, prompt.length, all.length);
    assertGreedyLeads(qwen, prompt, expected, 1e-3); // the fixture README's logit tolerance on tiny-qwen2
    int[] actual = greedyNewTokens(qwen, prompt, 20);
    assertThat(actual).containsExactly(expected);
  }

  @Test
  void batchedLeftPaddedGreedyEqualsOneAtATime() {
    int[] a = ints(json(Fixtures.fixture("stories260K-reference", "greedy.json")).get("prompt_ids"));
    int[] b = ints(json(Fixtures.fixture("stories260K-reference", "greedy_prompt.json")).get("prompt_ids"));
    int[] c = stories.tokenizer().encode("Tom had a red car.", true);
    List<int[]> prompts = List.of(a, b, c);
    try (Generation g = stories.generate(prompts, SamplingParams.greedy(30), false)) {
      for (int i = 0; i < prompts.size(); i++) {
        int[] alone = greedyNewTokens(stories, prompts.get(i), 30);
        // a left-padded batch row rounds differently from the row alone: exact ids need clear leads
        assertGreedyLeads(stories, prompts.get(i), alone, 1e-4);
        assertThat(g.completions().get(i).ids()).as("row %d", i).containsExactly(alone);
      }
    }
  }

  @Test
  void sameSeedSameSamplesDifferentSeedDifferentSamples() {
    int[] prompt = stories.tokenizer().encode("Once upon a time", true);
    SamplingParams p = SamplingParams.defaults().withMaxNewTokens(40).withSeed(123).withNumReturnSequences(4).withTemperature(1.0);
    List<Completion> first;
    try (Generation g = stories.generate(List.of(prompt), p, false)) {
      first = g.completions();
    }
    try (Generation g = stories.generate(List.of(prompt), p, false)) {
      for (int i = 0; i < 4; i++) {
        assertThat(g.completions().get(i).ids()).containsExactly(first.get(i).ids());
        assertThat(g.completions().get(i).logprobs()).containsExactly(first.get(i).logprobs());
      }
    }
    // the 4 rollouts of one prompt differ from each other, and another seed changes them
    assertThat(first.get(0).text()).isNotEqualTo(first.get(1).text());
    try (Generation g = stories.generate(List.of(prompt), p.withSeed(124), false)) {
      assertThat(g.completions().get(0).text()).isNotEqualTo(first.get(0).text());
    }
  }

  @Test
  void sampledLogprobsAreThePolicyLogprobsOfTheSampledTokens() {
    int[] prompt = stories.tokenizer().encode("Once upon a time", true);
    SamplingParams p = SamplingParams.defaults().withMaxNewTokens(20).withSeed(5).withTemperature(0.7).withTopP(0.9);
    try (Generation g = stories.generate(List.of(prompt), p, false)) {
      Completion c = g.completions().get(0);
      // teacher-forced scoring at the same temperature reproduces the logprobs reported while sampling
      var scores = stories.scorer().score(List.of(prompt), List.of(c.ids()), 0.7, stories.manager()).get(0);
      for (int j = 0; j < c.ids().length; j++) {
        assertThat(c.logprobs()[j]).isCloseTo(scores.logprobs()[j], org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void stopTokenAndStopStringAndLength() {
    int[] prompt = stories.tokenizer().encode("Once upon a time", true);
    try (Generation g = stories.generate(List.of(prompt), SamplingParams.greedy(60), false)) {
      Completion c = g.completions().get(0);
      assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(c.ids()).hasSize(60);
      // greedy text contains "Lily"; stopping at it cuts the text just before
      String text = c.text();
      assertThat(text).contains(" Lily");
      SamplingParams stopAtLily = SamplingParams.greedy(60).withStopStrings(List.of(" Lily"));
      try (Generation s = stories.generate(List.of(prompt), stopAtLily, false)) {
        Completion cut = s.completions().get(0);
        assertThat(cut.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(cut.text()).isEqualTo(text.substring(0, text.indexOf(" Lily")));
      }
      // a stop token id: the first generated token id of the greedy run ends the next run at once
      SamplingParams stopAtToken = SamplingParams.greedy(60).withStopTokenIds(List.of(c.ids()[3]));
      try (Generation s = stories.generate(List.of(prompt), stopAtToken, false)) {
        Completion stopped = s.completions().get(0);
        assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(stopped.ids()).containsExactly(Arrays.copyOf(c.ids(), 4));
      }
    }
  }

  @Test
  void minNewTokensKeepsStopTokensOutUntilThenAndIsSeeded() {
    int[] prompt = stories.tokenizer().encode("Once upon a time", true);
    SamplingParams free = SamplingParams.defaults().withMaxNewTokens(30).withSeed(9).withNumReturnSequences(4);
    java.util.Set<Integer> early = new java.util.TreeSet<>();
    try (Generation g = stories.generate(List.of(prompt), free, false)) {
      for (Completion c : g.completions()) {
        early.add(c.ids()[0]);
        early.add(c.ids()[1]);
      }
    }
    // the tokens each row drew first, as stop ids: without min_new_tokens every row ends within 2 tokens
    SamplingParams stops = free.withStopTokenIds(List.copyOf(early));
    try (Generation g = stories.generate(List.of(prompt), stops, false)) {
      for (Completion c : g.completions()) {
        assertThat(c.ids().length).isLessThanOrEqualTo(2);
      }
    }
    SamplingParams min = stops.withMinNewTokens(12);
    List<Completion> first;
    try (Generation g = stories.generate(List.of(prompt), min, false)) {
      first = g.completions();
    }
    boolean stoppedLater = false;
    for (Completion c : first) {
      assertThat(c.ids().length).isGreaterThanOrEqualTo(12);
      for (int j = 0; j < 12; j++) {
        assertThat(early).as("token %d of %s", j, java.util.Arrays.toString(c.ids())).doesNotContain(c.ids()[j]);
      }
      stoppedLater |= c.finishReason() == FinishReason.STOP;
    }
    assertThat(stoppedLater).as("stop ids end rows again after 12 tokens").isTrue();
    try (Generation g = stories.generate(List.of(prompt), min, false)) {
      for (int i = 0; i < first.size(); i++) {
        assertThat(g.completions().get(i).ids()).containsExactly(first.get(i).ids());
        assertThat(g.completions().get(i).logprobs()).containsExactly(first.get(i).logprobs());
      }
    }
  }

  /**
   * Groups decoded in one batch ({@link Generator#generateGroups}: prompts of three lengths, so the
   * shorter ones are right-aligned behind masked slots, and rows that stop at different steps) give
   * each group what its own generate call gives: the same ids, log-probs to the bit and finish
   * reasons, and a cache of the same slots that continues the same, on stories260K (heads narrower
   * than a vector) and tiny-qwen2 (grouped-query heads).
   */
  @Test
  void groupsDecodedInOneBatchEqualEachGroupAlone() {
    for (LanguageModel lm : List.of(stories, qwen)) {
      assertThat(lm.transformer().usesJavaDecode()).as("the Java decode kernels, where groups share a batch").isTrue();
      List<int[]> prompts = List.of(lm.tokenizer().encode("Once upon a time", true),
          lm.tokenizer().encode("The little dog ran to the park and saw a big red ball", true),
          lm.tokenizer().encode("Lily", true));
      long[] seeds = {11, 12, 13};
      SamplingParams free = SamplingParams.defaults().withMaxNewTokens(12).withTemperature(1.0).withTopP(0.95)
          .withNumReturnSequences(3);
      int stopId;
      try (Generation g = lm.generate(List.of(prompts.get(0)), free.withSeed(seeds[0]), false)) {
        stopId = g.completions().get(0).ids()[2]; // row 0 of group 0 stops at its third token, others elsewhere
      }
      SamplingParams p = free.withStopTokenIds(List.of(stopId));
      List<Generation> together = lm.generateGroups(prompts, seeds, p, true);
      try {
        boolean someStoppedEarly = false;
        for (int g = 0; g < prompts.size(); g++) {
          try (Generation alone = lm.generate(List.of(prompts.get(g)), p.withSeed(seeds[g]), true)) {
            Generation joint = together.get(g);
            assertThat(joint.promptIds()).containsExactly(prompts.get(g));
            for (int i = 0; i < 3; i++) {
              Completion a = alone.completions().get(i);
              Completion b = joint.completions().get(i);
              assertThat(b.ids()).as("group %d row %d", g, i).containsExactly(a.ids());
              assertThat(b.logprobs()).as("group %d row %d", g, i).containsExactly(a.logprobs());
              assertThat(b.finishReason()).isEqualTo(a.finishReason());
              assertThat(b.text()).isEqualTo(a.text());
              assertThat(b.promptIndex()).isZero();
              someStoppedEarly |= a.ids().length < 12;
            }
            KvCache ca = alone.cache();
            KvCache cb = joint.cache();
            assertThat(cb.length()).as("group %d slots", g).isEqualTo(ca.length());
            for (int r = 0; r < 3; r++) {
              for (int s = 0; s < ca.length(); s++) {
                assertThat(cb.isValid(r, s)).isEqualTo(ca.isValid(r, s));
              }
              assertThat(cb.validTokens(r)).containsExactly(ca.validTokens(r));
            }
            // the caches' keys and values: a libtorch append and Java decode steps from each give the same bits
            List<int[]> appended = new ArrayList<>();
            int[] budgets = new int[3];
            for (int r = 0; r < 3; r++) {
              int[] ids = alone.completions().get(r).ids();
              appended.add(new int[] {ids[ids.length - 1], 5, 7});
              budgets[r] = 4;
            }
            SamplingParams more = SamplingParams.defaults().withTemperature(1.0).withSeed(77);
            List<Completion> fromAlone = lm.generator().continueRows(ca, appended, more, budgets, null);
            List<Completion> fromJoint = lm.generator().continueRows(cb, appended, more, budgets, null);
            for (int r = 0; r < 3; r++) {
              assertThat(fromJoint.get(r).ids()).containsExactly(fromAlone.get(r).ids());
              assertThat(fromJoint.get(r).logprobs()).containsExactly(fromAlone.get(r).logprobs());
            }
          }
        }
        assertThat(someStoppedEarly).as("a row that stopped before the others").isTrue();
      } finally {
        together.forEach(Generation::close);
      }
    }
  }
}
