package dro4j.score;

import static dro4j.ReferenceData.concat;
import static dro4j.ReferenceData.floats;
import static dro4j.ReferenceData.ints;
import static dro4j.ReferenceData.json;
import static dro4j.ReferenceData.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.model.KvCache;
import dro4j.model.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Teacher-forced scoring, by re-encoding and by KV-cache continuation, against transformers. */
class ScorerTest {
  static LanguageModel lm;
  static JsonNode reference;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Fixtures.fixture("stories260K"));
    reference = json(Fixtures.fixture("stories260K-reference", "reference_logprobs.json"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static List<int[]> contexts() {
    List<int[]> out = new ArrayList<>();
    for (JsonNode c : reference.get("cases")) {
      out.add(concat(ints(c.get("prompt_ids")), ints(c.get("reasoning_ids"))));
    }
    return out;
  }

  private static List<int[]> targets() {
    List<int[]> out = new ArrayList<>();
    for (JsonNode c : reference.get("cases")) {
      out.add(ints(c.get("reference_ids")));
    }
    return out;
  }

  private static void assertMatchesReference(List<TokenScores> scores) {
    JsonNode cases = reference.get("cases");
    assertThat(scores).hasSize(cases.size());
    for (int i = 0; i < cases.size(); i++) {
      float[] expected = floats(cases.get(i).get("reference_token_logprobs"));
      assertThat(maxAbsDiff(scores.get(i).logprobs(), expected)).as("case %d", i).isLessThan(1e-4);
    }
  }

  /**
   * A rank counts the vocabulary tokens whose log-prob is strictly above the target's, so a token within
   * rounding of the target's can fall on either side when the same scores come from another batch layout
   * or another CPU's kernels. Two rankings of one target sequence must therefore agree up to the number
   * of such near-ties at each position: tokens whose logit (from a fresh single-row forward) is within
   * {@code logitWidth} of the target's. Where there is none, as for every position measured here (the
   * closest logit was 3.2e-4 from a target's), the ranks must be equal.
   */
  private static void assertRanksAgree(int[] context, int[] target, int[] a, int[] b, double logitWidth) {
    Transformer model = lm.transformer();
    int vocab = model.config().vocabSize();
    int[] ids = concat(context, target);
    float[] logits;
    try (NDManager m = lm.manager().newSubManager(); KvCache cache = model.newCache(m, 1, ids.length)) {
      boolean[][] valid = {new boolean[ids.length]};
      Arrays.fill(valid[0], true);
      logits = model.logits(model.forward(cache, new int[][] {ids}, valid, m)).toFloatArray();
    }
    for (int j = 0; j < target.length; j++) {
      int row = (context.length - 1 + j) * vocab;
      float own = logits[row + target[j]];
      int nearTies = 0;
      for (int k = 0; k < vocab; k++) {
        if (k != target[j] && Math.abs(logits[row + k] - own) <= logitWidth) {
          nearTies++;
        }
      }
      assertThat(Math.abs(a[j] - b[j])).as("rank of target %d: %d vs %d, %d near-ties", j, a[j], b[j], nearTies)
          .isLessThanOrEqualTo(nearTies);
    }
  }

  @Test
  void reencodingMatchesTransformers() {
    assertMatchesReference(lm.scorer().score(contexts(), targets(), 1.0, lm.manager()));
  }

  @Test
  void storiesTokenLogprobsMatchTransformers() {
    for (JsonNode c : json(Fixtures.fixture("stories260K-reference", "logits_cases.json"))) {
      int[] ids = ints(c.get("ids"));
      TokenScores s = lm.score(new int[] {ids[0]}, Arrays.copyOfRange(ids, 1, ids.length));
      try (var ref = dro4j.model.SafeTensors.openFile(Fixtures.fixture("stories260K-reference", "logits.safetensors"))) {
        assertThat(maxAbsDiff(s.logprobs(), ref.floats("token_logprobs." + c.get("index").asInt()))).isLessThan(1e-4);
      }
      // each of the n log-probs may be off by the fixture tolerance 1e-4, so their sum by n * 1e-4
      assertThat(s.sum()).isCloseTo(c.get("sum_logprob").asDouble(), org.assertj.core.data.Offset.offset(s.length() * 1e-4));
    }
  }

  /**
   * A cache built the way generation builds it: the prompt prefilled once and shared by four rows, then
   * each row's reasoning fed one token per step, rows of different lengths padded with masked slots.
   */
  @Test
  void continuationFromAGenerationStyleCacheMatchesTransformers() {
    List<int[]> contexts = contexts();
    JsonNode cases = reference.get("cases");
    int rows = cases.size();
    int[] prompt = ints(cases.get(0).get("prompt_ids"));
    Transformer model = lm.transformer();
    try (NDManager m = lm.manager().newSubManager();
        KvCache promptCache = model.newCache(m, 1, 8)) {
      boolean[][] all = {new boolean[prompt.length]};
      Arrays.fill(all[0], true);
      model.forward(promptCache, new int[][] {prompt}, all, m);
      try (KvCache cache = promptCache.selectRows(new int[rows])) {
        int longest = 0;
        for (JsonNode c : cases) {
          longest = Math.max(longest, c.get("reasoning_ids").size());
        }
        for (int step = 0; step < longest; step++) {
          int[][] feed = new int[rows][1];
          boolean[][] valid = new boolean[rows][1];
          for (int r = 0; r < rows; r++) {
            int[] reasoning = ints(cases.get(r).get("reasoning_ids"));
            if (step < reasoning.length) {
              feed[r][0] = reasoning[step];
              valid[r][0] = true;
            }
          }
          model.forward(cache, feed, valid, m);
        }
        for (int r = 0; r < rows; r++) {
          assertThat(cache.validTokens(r)).containsExactly(contexts.get(r));
        }
        assertMatchesReference(lm.scorer().scoreContinuation(cache, contexts, targets(), 1.0));
        // The cache is unchanged by scoring: a second continuation gives the same numbers.
        int lengthBefore = cache.length();
        assertMatchesReference(lm.scorer().scoreContinuation(cache, contexts, targets(), 1.0));
        assertThat(cache.length()).isEqualTo(lengthBefore);
        // A shorter prefix of the same cache: the prompt alone (the masked-reasoning baseline of R3).
        List<int[]> promptOnly = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
          promptOnly.add(prompt);
        }
        List<TokenScores> fromCache = lm.scorer().scoreContinuation(cache, promptOnly, targets(), 1.0);
        List<TokenScores> fresh = lm.scorer().score(promptOnly, targets(), 1.0, lm.manager());
        for (int r = 0; r < rows; r++) {
          assertThat(maxAbsDiff(fromCache.get(r).logprobs(), fresh.get(r).logprobs())).isLessThan(1e-4);
        }
      }
    }
  }

  /** Score a reference after real sampled rollouts, from the generation's own cache and from scratch. */
  @Test
  void continuationAfterSampledRolloutsEqualsReencoding() {
    int[] prompt = lm.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true);
    int[] target = lm.tokenizer().encode(" She went to the park and played with her ball.", false);
    SamplingParams params = SamplingParams.defaults().withMaxNewTokens(24).withSeed(7).withNumReturnSequences(6);
    try (Generation g = lm.generate(List.of(prompt), params, true)) {
      List<int[]> contexts = new ArrayList<>();
      List<int[]> targets = new ArrayList<>();
      for (Completion c : g.completions()) {
        // Use part of each rollout as its "reasoning": cut points differ per row.
        int cut = Math.max(0, c.ids().length - 1 - contexts.size() % 3);
        contexts.add(concat(prompt, Arrays.copyOf(c.ids(), cut)));
        targets.add(target);
      }
      // the full rollout too, including its last token that the cache never saw
      Completion last = g.completions().get(5);
      contexts.set(5, concat(prompt, last.ids()));
      List<TokenScores> cached = lm.scorer().scoreContinuation(g.cache(), contexts, targets, 1.0);
      List<TokenScores> fresh = lm.scorer().score(contexts, targets, 1.0, lm.manager());
      for (int r = 0; r < contexts.size(); r++) {
        assertThat(maxAbsDiff(cached.get(r).logprobs(), fresh.get(r).logprobs())).as("row %d", r).isLessThan(1e-4);
        assertRanksAgree(contexts.get(r), targets.get(r), cached.get(r).ranks(), fresh.get(r).ranks(), 1e-4);
        assertThat(maxAbsDiff(cached.get(r).entropies(), fresh.get(r).entropies())).isLessThan(1e-4);
      }
    }
  }

  @Test
  void ranksAndEntropiesAreConsistentWithLogprobs() {
    int[] context = lm.tokenizer().encode("Once upon a time", true);
    int[] target = lm.tokenizer().encode(", there was", false);
    TokenScores s = lm.score(context, target);
    for (int j = 0; j < s.length(); j++) {
      assertThat(s.ranks()[j]).isBetween(1, 512);
      assertThat(s.entropies()[j]).isBetween(0f, (float) Math.log(512) + 1e-4f);
      // a token with log-prob above log(1/2) must be the most likely one
      if (s.logprobs()[j] > Math.log(0.5)) {
        assertThat(s.ranks()[j]).isEqualTo(1);
      }
    }
    // temperature 2 flattens the distribution: higher entropy everywhere
    TokenScores hot = lm.scorer().score(List.of(context), List.of(target), 2.0, lm.manager()).get(0);
    for (int j = 0; j < s.length(); j++) {
      assertThat(hot.entropies()[j]).isGreaterThan(s.entropies()[j]);
    }
    // the order of the logits is the same at any temperature: equal ranks, up to near-ties within
    // rounding of the log-probs at either temperature (1e-4 at temperature 2 is 2e-4 in logits)
    assertRanksAgree(context, target, hot.ranks(), s.ranks(), 2e-4);
  }

  @Test
  void emptyContextIsRejected() {
    assertThatThrownBy(() -> lm.score(new int[0], new int[] {5}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty context");
  }
}
