package dro4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dro4j.model.KvCache;
import dro4j.model.Transformer;
import dro4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Batched autoregressive sampling with a KV cache.
 *
 * <p>Each distinct prompt is prefilled once (left-padded with the others) and its cache rows are
 * copied to its {@code numReturnSequences} completions. Every completion draws from its own random
 * stream derived from the seed and its row, so a seed reproduces the same outputs. Rows that finish
 * keep their place in the batch as masked padding until every row is done.
 */
public final class Generator {
  private final Transformer model;
  private final Tokenizer tokenizer;

  /** A generator for {@code model}; {@code tokenizer} decodes completions and checks stop strings. */
  public Generator(Transformer model, Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /**
   * Samples {@code params.numReturnSequences()} completions of each prompt. Stop token ids are taken from
   * {@code params} only (callers add the model's EOS ids). With {@code keepCache} the returned
   * {@link Generation} owns the KV cache for scoring continuations; close it when done.
   */
  public Generation generate(List<int[]> prompts, SamplingParams params, boolean keepCache) {
    Prefilled p = prefillPrompts(prompts, params.numReturnSequences(), params.maxNewTokens());
    KvCache cache = p.cache();
    try {
      int rows = p.logits().length;
      SplittableRandom[] rng = new SplittableRandom[rows];
      for (int r = 0; r < rows; r++) {
        rng[r] = LogitsProcessing.rngFor(params.seed(), r);
      }
      List<Completion> completions = sample(cache, p.logits(), p.history(), p.historyLength(), p.promptIndex(),
          p.budget(), params, null, rng);
      Generation result = new Generation(prompts, completions, keepCache ? cache : null);
      if (!keepCache) {
        cache.close();
      }
      return result;
    } catch (RuntimeException e) {
      cache.close();
      throw e;
    }
  }

  /**
   * Rows that GRPO's rollouts, {@code eval} and {@code filter} decode together, as whole groups: the
   * decode kernels read each weight once for every row of a step, so rows share the cost of the weight
   * stream until the arithmetic dominates. On the Qwen2.5-0.5B shape (2-core Zen 4, 2026-12-03, one
   * process) batches of 1, 4, 8 and 16 rows gave 11-16, 37-39, 54-56 and 69-71 tokens/s. The bound
   * keeps the stacked KV cache (and its copy while it is cut back per group) a small multiple of one
   * group's.
   */
  public static final int BATCH_ROWS = 16;

  /**
   * {@code each} applied to consecutive runs of {@code items} that fill {@link #BATCH_ROWS} rows at
   * {@code samples} rows an item (at least one item a run), its results joined in order; {@code
   * progress} (may be null) is told the number of items done after each run.
   */
  public static <T, R> List<R> inBatches(List<T> items, int samples, Function<List<T>, List<R>> each,
      IntConsumer progress) {
    int perBatch = Math.max(1, BATCH_ROWS / Math.max(1, samples));
    List<R> out = new ArrayList<>(items.size());
    for (int from = 0; from < items.size(); from += perBatch) {
      out.addAll(each.apply(items.subList(from, Math.min(items.size(), from + perBatch))));
      if (progress != null) {
        progress.accept(out.size());
      }
    }
    return out;
  }

  /**
   * One {@link #generate} call per prompt, {@code generate(List.of(prompts.get(g)),
   * params.withSeed(seeds[g]), keepCache)}, with the same results bit for bit, but decoded together:
   * each prompt is prefilled alone as there, then the groups' caches are stacked ({@link
   * KvCache#stack}) and every decode step feeds the rows of all groups at once. On the Java decode
   * kernels a row's bits do not depend on the other rows of the batch, nor on the masked slots that
   * right-align a short prompt beside longer ones, so only the time changes: on the Qwen2.5-0.5B shape
   * a batch-8 step cost 134-140 ms against 95-114 ms at batch 4 (2-core Zen 4, 2026-12-03), so two
   * groups of four take about 30% less time together than one after the other. Where decoding runs
   * on libtorch ({@link Transformer#usesJavaDecode()} false), whose sums depend on the batch, the
   * groups are generated one after the other instead.
   *
   * @param seeds one sampling seed per prompt (the seed of {@code params} is not used)
   * @return one generation per prompt, each owning its own cache with {@code keepCache}
   */
  public List<Generation> generateGroups(List<int[]> prompts, long[] seeds, SamplingParams params, boolean keepCache) {
    if (seeds.length != prompts.size()) {
      throw new IllegalArgumentException(prompts.size() + " prompts but " + seeds.length + " seeds");
    }
    int n = params.numReturnSequences();
    int maxNew = params.maxNewTokens();
    int longest = 0;
    for (int[] p : prompts) {
      longest = Math.max(longest, p.length);
    }
    if (prompts.size() < 2 || !model.usesJavaDecode(prompts.size() * n, longest + maxNew)) {
      List<Generation> out = new ArrayList<>(prompts.size());
      try {
        for (int g = 0; g < prompts.size(); g++) {
          out.add(generate(List.of(prompts.get(g)), params.withSeed(seeds[g]), keepCache));
        }
      } catch (RuntimeException e) {
        out.forEach(Generation::close);
        throw e;
      }
      return out;
    }
    int groups = prompts.size();
    int rows = groups * n;
    List<KvCache> parts = new ArrayList<>(groups);
    float[][] logits = new float[rows][];
    int[][] history = new int[rows][];
    int[] historyLength = new int[rows];
    int[] budget = new int[rows];
    SplittableRandom[] rng = new SplittableRandom[rows];
    KvCache stacked = null;
    try {
      for (int g = 0; g < groups; g++) {
        Prefilled p = prefillPrompts(List.of(prompts.get(g)), n, maxNew);
        parts.add(p.cache());
        for (int j = 0; j < n; j++) {
          int r = g * n + j;
          logits[r] = p.logits()[j];
          history[r] = p.history()[j];
          historyLength[r] = p.historyLength()[j];
          budget[r] = p.budget()[j];
          rng[r] = LogitsProcessing.rngFor(seeds[g], j); // row j of the group's own call
        }
      }
      stacked = KvCache.stack(parts, longest + maxNew);
      for (KvCache part : parts) {
        part.close();
      }
      parts.clear();
      List<Completion> completions = sample(stacked, logits, history, historyLength, new int[rows], budget, params,
          null, rng);
      List<Generation> out = new ArrayList<>(groups);
      try {
        sliceGroups(stacked, completions, prompts, n, longest, maxNew, keepCache, out);
      } catch (RuntimeException e) {
        out.forEach(Generation::close);
        throw e;
      }
      return out;
    } finally {
      for (KvCache part : parts) {
        part.close();
      }
      if (stacked != null) {
        stacked.close();
      }
    }
  }

  /** Each group's completions of a stacked generation, with its rows and slots of the cache when kept. */
  private static void sliceGroups(KvCache stacked, List<Completion> completions, List<int[]> prompts, int n,
      int longest, int maxNew, boolean keepCache, List<Generation> out) {
    for (int g = 0; g < prompts.size(); g++) {
      List<Completion> own = completions.subList(g * n, (g + 1) * n);
      KvCache cache = null;
      if (keepCache) {
        // the group's own call would have fed every sampled token but each row's last, and stopped
        // once its last row finished: that many decode steps after its prompt
        int steps = 0;
        for (Completion c : own) {
          steps = Math.max(steps, c.ids().length - 1);
        }
        int length = prompts.get(g).length;
        cache = stacked.slice(g * n, n, longest - length, length + steps, length + maxNew);
      }
      out.add(new Generation(List.of(prompts.get(g)), List.copyOf(own), cache));
    }
  }

  /** Prompts prefilled for {@link #sample}: the cache with each prompt's rows, and every row's start. */
  private record Prefilled(KvCache cache, float[][] logits, int[][] history, int[] historyLength, int[] promptIndex,
      int[] budget) {}

  /**
   * Prefills each distinct prompt once (left-padded with the others) and copies its rows {@code n}
   * times, with each row's first logits, history and budget.
   */
  private Prefilled prefillPrompts(List<int[]> prompts, int n, int maxNew) {
    int numPrompts = prompts.size();
    int rows = numPrompts * n;
    int maxPrompt = 0;
    for (int[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: a prompt needs at least one token (e.g. BOS)");
      }
      maxPrompt = Math.max(maxPrompt, p.length);
    }
    NDManager parent = model.manager().getParentManager();
    int padId = 0;

    int[][] tokens = new int[numPrompts][maxPrompt];
    boolean[][] valid = new boolean[numPrompts][maxPrompt];
    for (int p = 0; p < numPrompts; p++) {
      int[] ids = prompts.get(p);
      int offset = maxPrompt - ids.length;
      Arrays.fill(tokens[p], padId);
      System.arraycopy(ids, 0, tokens[p], offset, ids.length);
      Arrays.fill(valid[p], offset, maxPrompt, true);
    }
    KvCache promptCache = model.newCache(parent, numPrompts, maxPrompt + maxNew);
    KvCache cache;
    float[][] logits = new float[rows][];
    try {
      float[][] byPrompt = forwardLogits(promptCache, tokens, valid, -1);
      for (int r = 0; r < rows; r++) {
        logits[r] = byPrompt[r / n].clone();
      }
      if (n == 1) {
        cache = promptCache;
      } else {
        int[] select = new int[rows];
        for (int r = 0; r < rows; r++) {
          select[r] = r / n;
        }
        cache = promptCache.selectRows(select);
        promptCache.close();
      }
    } catch (RuntimeException e) {
      promptCache.close();
      throw e;
    }
    int[][] history = new int[rows][maxPrompt + maxNew];
    int[] historyLength = new int[rows];
    int[] promptIndex = new int[rows];
    int[] budget = new int[rows];
    for (int r = 0; r < rows; r++) {
      int[] ids = prompts.get(r / n);
      System.arraycopy(ids, 0, history[r], 0, ids.length);
      historyLength[r] = ids.length;
      promptIndex[r] = r / n;
      budget[r] = maxNew;
    }
    return new Prefilled(cache, logits, history, historyLength, promptIndex, budget);
  }

  /**
   * Chooses some tokens instead of the sampler: forced (teacher-forced) decoding, for a scripted policy
   * in tests and demonstrations, or to start a turn with a fixed prefix. The forced token is fed back
   * like a sampled one and its log-prob is the model's, log softmax(logits / temperature), as for a
   * sampled token.
   */
  @FunctionalInterface
  public interface ForcedTokens {
    /**
     * The token row {@code row} must emit next, or -1 to sample freely.
     *
     * @param row the cache row
     * @param generated the tokens this call generated for the row so far
     * @param count how many entries of {@code generated} are set
     */
    int next(int row, int[] generated, int count);
  }

  /**
   * Prefills every prompt except its last token, once per distinct prompt, and copies each prompt's
   * rows {@code copies} times (row {@code p * copies + j}). The result is ready for {@link
   * #continueRows}, whose first appended token per row is the prompt's last token. Prompts are
   * right-padded (padding slots are invalid and never attended to; position ids count valid slots
   * only), which is the same computation as the left padding of {@link #generate}.
   */
  public KvCache prefill(List<int[]> prompts, int copies, int capacity) {
    int numPrompts = prompts.size();
    int width = 0;
    for (int[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: a prompt needs at least one token (e.g. BOS)");
      }
      width = Math.max(width, p.length - 1);
    }
    NDManager parent = model.manager().getParentManager();
    KvCache promptCache = model.newCache(parent, numPrompts, capacity);
    try {
      if (width > 0) {
        int[][] tokens = new int[numPrompts][width];
        boolean[][] valid = new boolean[numPrompts][width];
        for (int p = 0; p < numPrompts; p++) {
          int[] ids = prompts.get(p);
          System.arraycopy(ids, 0, tokens[p], 0, ids.length - 1);
          Arrays.fill(valid[p], 0, ids.length - 1, true);
        }
        try (NDManager m = parent.newSubManager()) {
          model.forward(promptCache, tokens, valid, m);
        }
      }
      if (copies == 1) {
        return promptCache;
      }
      int[] select = new int[numPrompts * copies];
      for (int r = 0; r < select.length; r++) {
        select[r] = r / copies;
      }
      KvCache out = promptCache.selectRows(select);
      promptCache.close();
      return out;
    } catch (RuntimeException e) {
      promptCache.close();
      throw e;
    }
  }

  /**
   * Appends {@code appended.get(r)} to row {@code r} of {@code cache} and samples up to {@code
   * maxNewTokens[r]} further tokens for it: the continuation of a multi-turn rollout, where the
   * appended tokens are what the cache lacks (the previous turn's last sampled token, which was never
   * fed back) followed by an observation and the template's next generation prompt. Rows of different
   * lengths batch: appended tokens are right-padded with invalid slots, so every row's positions count
   * its own valid tokens. A row with nothing appended is inactive: it gets an empty completion and only
   * invalid slots. Row {@code r} draws from {@link LogitsProcessing#rngFor rngFor(params.seed(), r)};
   * the stop ids and strings of {@code params} apply, and its {@code minNewTokens} counts each row's tokens
   * of this call ({@code numReturnSequences} and {@code maxNewTokens} do not). The cache keeps what was fed, as after {@link #generate}: everything but
   * each row's last sampled token. Completion {@code r}'s {@code promptIndex} is {@code r}.
   *
   * @param forced tokens to emit instead of sampling, or null
   */
  public List<Completion> continueRows(
      KvCache cache, List<int[]> appended, SamplingParams params, int[] maxNewTokens, ForcedTokens forced) {
    SplittableRandom[] random = new SplittableRandom[cache.batchSize()];
    for (int r = 0; r < random.length; r++) random[r] = LogitsProcessing.rngFor(params.seed(), r);
    return continueRows(cache, appended, params, maxNewTokens, forced, random);
  }

  /**
   * As {@link #continueRows(KvCache, List, SamplingParams, int[], ForcedTokens)}, but row {@code r}
   * draws from {@code random[r]} (which it advances) and the seed of {@code params} is not used: rows
   * of several groups batched together keep the streams each group would draw alone.
   */
  public List<Completion> continueRows(KvCache cache, List<int[]> appended, SamplingParams params, int[] maxNewTokens,
      ForcedTokens forced, SplittableRandom[] random) {
    int rows = cache.batchSize();
    if (random.length != rows) {
      throw new IllegalArgumentException("need one random stream per cache row: " + rows + " rows, " + random.length);
    }
    if (appended.size() != rows || maxNewTokens.length != rows) {
      throw new IllegalArgumentException("need one appended sequence and one budget per cache row: " + rows
          + " rows, " + appended.size() + " sequences, " + maxNewTokens.length + " budgets");
    }
    int width = 0;
    int maxNew = 0;
    for (int r = 0; r < rows; r++) {
      width = Math.max(width, appended.get(r).length);
      maxNew = Math.max(maxNew, maxNewTokens[r]);
    }
    float[][] logits = new float[rows][];
    int[][] history = new int[rows][];
    int[] historyLength = new int[rows];
    int[] promptIndex = new int[rows];
    int[] budget = new int[rows];
    for (int r = 0; r < rows; r++) {
      int[] before = cache.validTokens(r);
      int[] add = appended.get(r);
      history[r] = Arrays.copyOf(before, before.length + add.length + maxNew);
      System.arraycopy(add, 0, history[r], before.length, add.length);
      historyLength[r] = before.length + add.length;
      promptIndex[r] = r;
      budget[r] = add.length == 0 ? 0 : maxNewTokens[r];
    }
    if (width > 0) {
      int[][] tokens = new int[rows][width];
      boolean[][] valid = new boolean[rows][width];
      for (int r = 0; r < rows; r++) {
        int[] add = appended.get(r);
        System.arraycopy(add, 0, tokens[r], 0, add.length);
        Arrays.fill(valid[r], 0, add.length, true);
      }
      NDManager parent = model.manager().getParentManager();
      try (NDManager m = parent.newSubManager()) {
        NDArray hidden = model.forward(cache, tokens, valid, m);
        for (int r = 0; r < rows; r++) {
          int len = appended.get(r).length;
          if (len > 0) {
            logits[r] = model.logits(hidden.get(new NDIndex("{}, {}, :", r, len - 1))).toFloatArray();
          }
        }
      }
    }
    return sample(cache, logits, history, historyLength, promptIndex, budget,
        params.withMaxNewTokens(Math.max(maxNew, 1)), forced, random);
  }

  /** Feeds {@code tokens} through the cache (libtorch) and returns each row's logits at {@code column} (-1: the last). */
  private float[][] forwardLogits(KvCache cache, int[][] tokens, boolean[][] valid, int column) {
    try (NDManager m = model.manager().getParentManager().newSubManager()) {
      NDArray hidden = model.forward(cache, tokens, valid, m);
      NDArray at = model.logits(hidden.get(new NDIndex(":, " + column + ", :")));
      float[] flat = at.toFloatArray();
      int vocab = (int) at.getShape().get(1);
      float[][] out = new float[tokens.length][];
      for (int r = 0; r < out.length; r++) {
        out[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
      }
      return out;
    }
  }

  /** Sets the logits of {@code ids} to -infinity, as transformers' {@code MinNewTokensLengthLogitsProcessor} does. */
  private static void suppress(float[] logits, java.util.Set<Integer> ids) {
    for (int id : ids) {
      if (id < logits.length) logits[id] = Float.NEGATIVE_INFINITY;
    }
  }

  /**
   * The sampling loop shared by {@link #generate}, {@link #generateGroups} and {@link #continueRows}:
   * row {@code r} starts from {@code logits[r]} (null: inactive, an empty completion) and samples at
   * most {@code budget[r]} tokens from {@code rng[r]}, feeding each back through the cache until every
   * row is done.
   */
  private List<Completion> sample(KvCache cache, float[][] logits, int[][] history, int[] historyLength,
      int[] promptIndex, int[] budget, SamplingParams params, ForcedTokens forced, SplittableRandom[] rng) {
    int rows = logits.length;
    int maxNew = 0;
    for (int b : budget) {
      maxNew = Math.max(maxNew, b);
    }
    int[][] generated = new int[rows][];
    double[][] logprobs = new double[rows][];
    int[] count = new int[rows];
    FinishReason[] finish = new FinishReason[rows];
    String[] text = new String[rows];
    StopCriteria stop = StopCriteria.of(params, List.of());
    for (int r = 0; r < rows; r++) {
      generated[r] = new int[budget[r]];
      logprobs[r] = new double[budget[r]];
      if (logits[r] == null) {
        finish[r] = FinishReason.STOP;
      } else if (budget[r] == 0) {
        finish[r] = FinishReason.LENGTH;
      }
    }

    for (int step = 0; step < maxNew; step++) {
      int[] feed = new int[rows];
      boolean[] feedValid = new boolean[rows];
      boolean anyActive = false;
      for (int r = 0; r < rows; r++) {
        if (finish[r] != null) {
          continue;
        }
        int forcedToken = forced == null ? -1 : forced.next(r, generated[r], count[r]);
        if (forcedToken < 0 && count[r] < params.minNewTokens()) {
          suppress(logits[r], stop.stopTokenIds()); // min_new_tokens: no stop token yet
        }
        TokenChoice choice = forcedToken >= 0
            ? new TokenChoice(forcedToken, LogitsProcessing.logProb(logits[r], params.greedy() ? 1.0 : params.temperature(), forcedToken))
            : LogitsProcessing.sample(logits[r], history[r], historyLength[r], params, rng[r]);
        int token = choice.tokenId();
        generated[r][count[r]] = token;
        logprobs[r][count[r]] = choice.logprob();
        count[r]++;
        history[r][historyLength[r]++] = token;
        int[] completion = generated[r];
        FinishReason reason = stop.check(token, count[r], k -> tokenizer.decode(Arrays.copyOf(completion, k), true));
        if (reason == null && count[r] >= budget[r]) {
          reason = FinishReason.LENGTH;
        }
        if (reason != null) {
          finish[r] = reason;
          if (reason == FinishReason.STOP && !stop.stopStrings().isEmpty()) {
            String decoded = tokenizer.decode(Arrays.copyOf(completion, count[r]), true);
            text[r] = decoded.substring(0, stop.textEnd(decoded));
          }
        } else {
          feed[r] = token;
          feedValid[r] = true;
          anyActive = true;
        }
      }
      if (!anyActive) {
        break;
      }
      // one token per row: the Java decode kernels where available (Transformer#nextTokenLogits)
      float[][] next = model.nextTokenLogits(cache, feed, feedValid);
      for (int r = 0; r < rows; r++) {
        if (feedValid[r]) {
          logits[r] = next[r];
        }
      }
    }

    List<Completion> completions = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      int[] ids = Arrays.copyOf(generated[r], count[r]);
      String decoded = text[r] != null ? text[r] : tokenizer.decode(ids, true);
      completions.add(
          new Completion(promptIndex[r], ids, decoded, Arrays.copyOf(logprobs[r], count[r]), finish[r]));
    }
    return completions;
  }
}
