package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.reward.RewardContext;

/**
 * Which model scores the reference for a likelihood reward. DRO (Xu et al. 2025, arXiv 2506.13351,
 * section 3) computes R3 with the policy being trained; the paper leaves open whether a frozen or a
 * slowly moving scorer works better, so all three are offered:
 *
 * <ul>
 *   <li>{@link #current()} (default): {@link RewardContext#policy()}. The only choice that can reuse the
 *       generation's KV cache, since the cache holds this model's keys and values: the reference is then
 *       scored after each rollout without re-encoding it. The caller must score before the policy's
 *       weights change (right after generation), or the cache is stale.
 *   <li>{@link #reference()}: {@link RewardContext#referencePolicy()}, a frozen model; prompt and
 *       reasoning are re-encoded.
 *   <li>{@link #lagged(int)}: a copy of the policy whose weights are refreshed from the policy every N
 *       training steps (as TRL's {@code sync_ref_model} with {@code ref_model_sync_steps = N} and
 *       {@code ref_model_mixup_alpha = 1}); re-encodes. The copy is made at the first call and its weights copied in place
 *       when {@code step - lastRefresh >= N} (or when the step goes backwards: a new run). Close the
 *       policy object (or the reward holding it) to free the copy.
 * </ul>
 *
 * <p>An instance of {@code lagged} is stateful (it owns the copy); share one instance between rewards to
 * share the copy. The other two are stateless.
 */
public final class ScoringPolicy implements AutoCloseable {

  /** The kind of scoring model. */
  public enum Kind {
    /** The policy being trained. */
    CURRENT,
    /** The frozen reference policy. */
    REFERENCE,
    /** A copy of the policy refreshed every N steps. */
    LAGGED
  }

  private final Kind kind;
  private final int refreshEverySteps;
  private LanguageModel copy;
  private long refreshedAt;

  private ScoringPolicy(Kind kind, int refreshEverySteps) {
    this.kind = kind;
    this.refreshEverySteps = refreshEverySteps;
  }

  /** Score with the current policy (default); reuses the generation's KV cache. */
  public static ScoringPolicy current() {
    return new ScoringPolicy(Kind.CURRENT, 0);
  }

  /** Score with the frozen reference policy of the context. */
  public static ScoringPolicy reference() {
    return new ScoringPolicy(Kind.REFERENCE, 0);
  }

  /** Score with a copy of the policy refreshed every {@code refreshEverySteps} (&gt;= 1) steps. */
  public static ScoringPolicy lagged(int refreshEverySteps) {
    if (refreshEverySteps < 1) {
      throw new BadInputException("lagged scoring policy: refresh interval must be >= 1 step, got " + refreshEverySteps);
    }
    return new ScoringPolicy(Kind.LAGGED, refreshEverySteps);
  }

  /** The {@code kind} setting. */
  public Kind kind() {
    return kind;
  }

  /** Refresh interval in steps of a lagged policy (0 for the others). */
  public int refreshEverySteps() {
    return refreshEverySteps;
  }

  /**
   * The model that scores in this context (for a lagged policy: its copy, made or refreshed as the
   * step requires).
   *
   * @throws BadInputException when the context lacks the model this choice needs
   */
  public synchronized LanguageModel model(RewardContext ctx) {
    switch (kind) {
      case CURRENT:
        return require(ctx.policy(), "the current policy");
      case REFERENCE:
        return require(ctx.referencePolicy(), "a reference policy");
      default:
        LanguageModel policy = require(ctx.policy(), "the current policy (to copy for the lagged scorer)");
        if (copy == null) {
          copy = policy.copy();
          refreshedAt = ctx.step();
        } else if (ctx.step() - refreshedAt >= refreshEverySteps || ctx.step() < refreshedAt) {
          copy.copyWeightsFrom(policy);
          refreshedAt = ctx.step();
        }
        return copy;
    }
  }

  /** Step at which the lagged copy last took the policy's weights (0 before the first call). */
  public synchronized long refreshedAt() {
    return refreshedAt;
  }

  /**
   * Whether scores may continue the generation's KV cache: only the current policy's own cache, and
   * only when the context carries one.
   */
  public boolean usesGenerationCache(RewardContext ctx) {
    return kind == Kind.CURRENT && ctx.generation() != null && ctx.generation().cache() != null;
  }

  private LanguageModel require(LanguageModel m, String what) {
    if (m == null) {
      throw new BadInputException("scoring policy " + kind.name().toLowerCase() + " needs " + what
          + " in the reward context, which has none");
    }
    return m;
  }

  /** Frees a lagged copy. */
  @Override
  public synchronized void close() {
    if (copy != null) {
      copy.close();
      copy = null;
    }
  }

  @Override
  public String toString() {
    return kind == Kind.LAGGED ? "lagged(" + refreshEverySteps + ")" : kind.name().toLowerCase();
  }
}
