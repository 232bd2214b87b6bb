package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.model.KvCache;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import dro4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The machinery the likelihood rewards share: teacher-forced scores of a target (the reference answer,
 * a follow-up) after each rollout's reasoning or response, for every rollout of every group in one
 * batched call.
 *
 * <p>With the {@link ScoringPolicy#current() current} policy and a generation whose cache was kept, the
 * scores continue the generation's KV cache ({@link dro4j.score.Scorer#scoreContinuation}): each row
 * keeps the longest cached prefix of its context (prompt + reasoning is always a prefix of prompt +
 * rollout), so the reference costs a forward pass over the reference tokens only and the prompt and
 * reasoning are never re-encoded. Otherwise (no cache, a rollout without a cache row, another scoring
 * model) every context is re-encoded, batched. Both paths give the same numbers to float precision.
 *
 * <p>Passes whose context is the same for the whole group (R3's masked-reasoning baseline, RLPR's
 * no-reasoning score) use one row per group: on the cache path a copy of one cache row of the group,
 * whose prompt prefix is reused.
 */
public final class ReferenceScorer {
  private ReferenceScorer() {}

  /**
   * One scoring request.
   *
   * @param cacheRow the generation cache row whose prefix may be reused, or -1
   * @param context the full context (prompt first); never empty
   * @param target the scored tokens
   */
  public record Request(int cacheRow, int[] context, int[] target) {}

  /** Scores of a batch of requests, and whether they came from the KV cache. */
  public record Scored(List<TokenScores> scores, boolean fromCache) {}

  /**
   * A tokenized answer prefix and reference.
   *
   * @param prefixIds context tokens placed after the reasoning
   * @param referenceIds the scored tokens
   */
  public record Target(int[] prefixIds, int[] referenceIds) {}

  /**
   * The reference scored after each rollout's reasoning, for one group.
   *
   * @param target the tokenized answer prefix and reference (the same for every rollout)
   * @param splits each rollout's reasoning/outcome split
   * @param scores per rollout, the scores of {@code target.referenceIds()}
   */
  public record GroupScores(Target target, List<ReasoningSplit.Split> splits, List<TokenScores> scores) {

    /** {@code l[i][j]}: log-prob of reference token j after rollout i's reasoning. */
    public double[][] logprobs() {
      double[][] l = new double[scores.size()][];
      for (int i = 0; i < l.length; i++) {
        float[] lp = scores.get(i).logprobs();
        l[i] = new double[lp.length];
        for (int j = 0; j < lp.length; j++) {
          l[i][j] = lp[j];
        }
      }
      return l;
    }

    /** Number of reference tokens. */
    public int referenceLength() {
      return target.referenceIds().length;
    }
  }

  /** Scores after reasoning for every group, and whether the KV cache was used. */
  public record Batch(List<GroupScores> groups, boolean fromCache) {}

  /**
   * Tokenizes {@code answerPrefix + reference} without special tokens and splits it into context and
   * target (see {@link ScoringOptions}).
   */
  public static Target tokenizeReference(Tokenizer tokenizer, String answerPrefix, String reference) {
    int[] joint = tokenizer.encode(answerPrefix + reference, false);
    if (answerPrefix.isEmpty()) {
      return new Target(new int[0], joint);
    }
    int[] prefix = tokenizer.encode(answerPrefix, false);
    int p = 0;
    while (p < prefix.length && p < joint.length && prefix[p] == joint[p]) {
      p++;
    }
    return new Target(Arrays.copyOf(joint, p), Arrays.copyOfRange(joint, p, joint.length));
  }

  /**
   * The tokenizer rollouts are split with: the policy's (it generated them), else the scoring model's.
   */
  static LanguageModel splitModel(RewardContext ctx, LanguageModel scoring) {
    return ctx.policy() != null ? ctx.policy() : scoring;
  }

  /** Splits every rollout of every group with {@code options.split()}. */
  public static List<List<ReasoningSplit.Split>> split(
      List<RolloutGroup> groups, RewardContext ctx, ScoringOptions options) {
    LanguageModel lm = splitModel(ctx, options.policy().model(ctx));
    List<Integer> stops = lm.eosTokenIds();
    List<List<ReasoningSplit.Split>> out = new ArrayList<>(groups.size());
    for (RolloutGroup g : groups) {
      List<ReasoningSplit.Split> s = new ArrayList<>(g.size());
      for (Rollout r : g.rollouts()) {
        s.add(options.split().split(r, lm.tokenizer(), stops));
      }
      out.add(s);
    }
    return out;
  }

  /**
   * The reference of each group scored after {@code prompt + reasoning_i + answerPrefix} for every
   * rollout i: l_ij of DRO's R3, in one batched call over all groups.
   */
  public static Batch scoreAfterReasoning(List<RolloutGroup> groups, RewardContext ctx, ScoringOptions options) {
    LanguageModel model = options.policy().model(ctx);
    List<List<ReasoningSplit.Split>> splits = split(groups, ctx, options);
    List<Target> targets = new ArrayList<>(groups.size());
    List<Request> requests = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      RolloutGroup group = groups.get(g);
      Target t = tokenizeReference(model.tokenizer(), options.answerPrefix(), group.reference());
      targets.add(t);
      for (int i = 0; i < group.size(); i++) {
        int[] context = concat(group.promptIds(), splits.get(g).get(i).reasoningIds(), t.prefixIds());
        requests.add(new Request(group.rollouts().get(i).cacheRow(), checked(context, g), t.referenceIds()));
      }
    }
    Scored scored = score(requests, ctx, options.policy(), options.temperature());
    List<GroupScores> out = new ArrayList<>(groups.size());
    int n = 0;
    for (int g = 0; g < groups.size(); g++) {
      int size = groups.get(g).size();
      out.add(new GroupScores(targets.get(g), splits.get(g), scored.scores().subList(n, n + size)));
      n += size;
    }
    return new Batch(out, scored.fromCache());
  }

  /**
   * The reference of each group scored once after {@code prompt + reasoningIds + answerPrefix}, the
   * same reasoning for every group (empty: the prompt alone). One result per group.
   */
  public static Scored scoreAfterFixedReasoning(
      List<RolloutGroup> groups, RewardContext ctx, ScoringOptions options, int[] reasoningIds) {
    LanguageModel model = options.policy().model(ctx);
    List<Request> requests = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      RolloutGroup group = groups.get(g);
      Target t = tokenizeReference(model.tokenizer(), options.answerPrefix(), group.reference());
      int row = group.size() > 0 ? group.rollouts().get(0).cacheRow() : -1;
      requests.add(new Request(row, checked(concat(group.promptIds(), reasoningIds, t.prefixIds()), g), t.referenceIds()));
    }
    return score(requests, ctx, options.policy(), options.temperature());
  }

  /**
   * {@code targetIds} scored after each full response ({@code prompt + rollout}, trailing stop tokens
   * removed), for every rollout of every group; flattened in group order.
   */
  public static Scored scoreAfterResponse(
      List<RolloutGroup> groups, RewardContext ctx, ScoringOptions options, int[] targetIds) {
    LanguageModel model = options.policy().model(ctx);
    LanguageModel splitter = splitModel(ctx, model);
    List<Integer> stops = splitter.eosTokenIds();
    List<Request> requests = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      RolloutGroup group = groups.get(g);
      for (Rollout r : group.rollouts()) {
        // The whole response: a split that never matches and keeps everything as "reasoning".
        int[] response = ReasoningSplit.wholeRollout().split(r, splitter.tokenizer(), stops).reasoningIds();
        requests.add(new Request(r.cacheRow(), checked(concat(group.promptIds(), response), g), targetIds));
      }
    }
    return score(requests, ctx, options.policy(), options.temperature());
  }

  /**
   * Scores requests with the chosen policy: continuing the generation's KV cache when the policy is
   * the current one, a cache is kept and every request names a row of it; otherwise re-encoding.
   */
  public static Scored score(List<Request> requests, RewardContext ctx, ScoringPolicy policy, double temperature) {
    Scored scored = scoreEach(requests, ctx, policy, temperature);
    return new Scored(shareIdentical(requests, scored.scores()), scored.fromCache());
  }

  /**
   * Requests with the same context and target get the very scores of the first of them. A batched
   * float32 forward may round the same sequence differently in different rows (the GEMM blocking
   * depends on the CPU and the batch layout); identical reasonings must get identical rewards on any
   * machine, so the group statistics of R3 and the filter see no rounding noise between them.
   */
  static List<TokenScores> shareIdentical(List<Request> requests, List<TokenScores> scores) {
    Map<Sequence, Integer> first = new HashMap<>();
    List<TokenScores> out = new ArrayList<>(scores.size());
    for (int i = 0; i < requests.size(); i++) {
      Sequence key = new Sequence(requests.get(i).context(), requests.get(i).target());
      Integer earlier = first.putIfAbsent(key, i);
      out.add(earlier == null ? scores.get(i) : out.get(earlier));
    }
    return out;
  }

  /** A scored token sequence by content (arrays compared element by element). */
  private record Sequence(int[] context, int[] target) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Sequence q && Arrays.equals(q.context, context) && Arrays.equals(q.target, target);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(context) + Arrays.hashCode(target);
    }
  }

  static Scored scoreEach(List<Request> requests, RewardContext ctx, ScoringPolicy policy, double temperature) {
    LanguageModel model = policy.model(ctx);
    List<int[]> contexts = new ArrayList<>(requests.size());
    List<int[]> targets = new ArrayList<>(requests.size());
    for (Request r : requests) {
      contexts.add(r.context());
      targets.add(r.target());
    }
    if (requests.isEmpty()) {
      return new Scored(List.of(), false);
    }
    KvCache cache = policy.usesGenerationCache(ctx) ? ctx.generation().cache() : null;
    int[] rows = cache == null ? null : rows(requests, cache.batchSize());
    if (rows == null) {
      return new Scored(model.scorer().score(contexts, targets, temperature, model.manager()), false);
    }
    if (isIdentity(rows, cache.batchSize())) {
      return new Scored(model.scorer().scoreContinuation(cache, contexts, targets, temperature), true);
    }
    if (isPermutation(rows, cache.batchSize())) {
      // Every row once, in another order: reorder the requests rather than copy the cache.
      List<int[]> c = new ArrayList<>(contexts);
      List<int[]> t = new ArrayList<>(targets);
      for (int i = 0; i < rows.length; i++) {
        c.set(rows[i], contexts.get(i));
        t.set(rows[i], targets.get(i));
      }
      List<TokenScores> byRow = model.scorer().scoreContinuation(cache, c, t, temperature);
      List<TokenScores> out = new ArrayList<>(rows.length);
      for (int row : rows) {
        out.add(byRow.get(row));
      }
      return new Scored(out, true);
    }
    // A subset of rows, or rows used twice: continue a copy of just those rows.
    try (KvCache sub = cache.selectRows(rows)) {
      return new Scored(model.scorer().scoreContinuation(sub, contexts, targets, temperature), true);
    }
  }

  /** The cache row of every request, or null when one has none. */
  private static int[] rows(List<Request> requests, int batch) {
    int[] rows = new int[requests.size()];
    for (int i = 0; i < rows.length; i++) {
      int row = requests.get(i).cacheRow();
      if (row < 0 || row >= batch) {
        return null;
      }
      rows[i] = row;
    }
    return rows;
  }

  private static boolean isIdentity(int[] rows, int batch) {
    if (rows.length != batch) {
      return false;
    }
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] != i) {
        return false;
      }
    }
    return true;
  }

  private static boolean isPermutation(int[] rows, int batch) {
    if (rows.length != batch) {
      return false;
    }
    boolean[] seen = new boolean[batch];
    for (int r : rows) {
      if (seen[r]) {
        return false;
      }
      seen[r] = true;
    }
    return true;
  }

  private static int[] checked(int[] context, int group) {
    if (context.length == 0) {
      throw new BadInputException("group " + group + ": empty prompt and reasoning; a prompt needs at least one token (BOS)");
    }
    return context;
  }

  /** The arrays joined in order. */
  public static int[] concat(int[]... parts) {
    int n = 0;
    for (int[] p : parts) {
      n += p.length;
    }
    int[] out = new int[n];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
