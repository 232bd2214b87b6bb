package dro4j.reward.likelihood;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import dro4j.score.TokenScores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Follow-up likelihood as reward (FLR; Zhang et al. 2024, "Aligning Language Models Using Follow-up
 * Likelihood as Reward Signal", arXiv 2409.13948): how likely the model finds a user's follow-up after
 * the whole response. A response that served the user makes "Thanks, that helps" likely and "That is
 * wrong" unlikely:
 *
 * <pre>
 *   r_i = mean_{f in positive} s(f | q, o_i) - mean_{f in negative} s(f | q, o_i)
 *   s(f | q, o_i) = (1/|f|) sum_t log pi(f_t | q, o_i, f_&lt;t)     (perToken, default)
 *                 = sum_t log pi(f_t | q, o_i, f_&lt;t)             (otherwise)
 * </pre>
 *
 * <p>o_i is the full rollout (reasoning and outcome, trailing stop tokens removed; the split rule is not
 * used). Each follow-up is tokenized without special tokens and must carry any turn markers itself (for
 * a chat model, for example {@code "<|im_end|>\n<|im_start|>user\nThank you!"}). On the KV-cache path
 * the follow-up continues each rollout's cache: one batched call per follow-up text.
 */
public final class FollowUpLikelihoodReward implements Reward, AutoCloseable {

  /**
   * Settings of {@link FollowUpLikelihoodReward}.
   *
   * @param scoring temperature and scoring policy (split and answer prefix unused); default {@link
   *     ScoringOptions#defaults()}
   * @param positive follow-ups a good response makes likely; at least one
   * @param negative follow-ups a good response makes unlikely; may be empty (default)
   * @param perToken average log-probs over the follow-up's tokens (default true, so follow-ups of
   *     different lengths weigh alike) or sum them
   */
  public record Config(ScoringOptions scoring, List<String> positive, List<String> negative, boolean perToken) {
    /** Validates the settings. */
    public Config {
      Objects.requireNonNull(scoring, "scoring");
      positive = positive == null ? List.of() : List.copyOf(positive);
      negative = negative == null ? List.of() : List.copyOf(negative);
      if (positive.isEmpty()) {
        throw new BadInputException("follow-up likelihood reward needs at least one positive follow-up text");
      }
      for (String f : positive) {
        checkText(f);
      }
      for (String f : negative) {
        checkText(f);
      }
    }

    private static void checkText(String f) {
      if (f.isEmpty()) {
        throw new BadInputException("follow-up texts must not be empty");
      }
    }

    /** One positive follow-up, no negative, per-token mean, default scoring options. */
    public static Config of(String positiveFollowUp) {
      return new Config(ScoringOptions.defaults(), List.of(positiveFollowUp), List.of(), true);
    }

    /** A copy with {@code negative} replaced. */
    public Config withNegative(List<String> v) {
      return new Config(scoring, positive, v, perToken);
    }

    /** A copy with {@code perToken} replaced. */
    public Config withPerToken(boolean v) {
      return new Config(scoring, positive, negative, v);
    }

    /** A copy with {@code scoring} replaced. */
    public Config withScoring(ScoringOptions v) {
      return new Config(v, positive, negative, perToken);
    }
  }

  private final Config config;

  /** With the given settings. */
  public FollowUpLikelihoodReward(Config config) {
    this.config = config;
  }

  /** The settings. */
  public Config config() {
    return config;
  }

  @Override
  public String name() {
    return "follow_up";
  }

  /** {@code s(f)}: the mean ({@code perToken}) or sum of a follow-up's token log-probs. */
  public static double followUpScore(float[] logprobs, boolean perToken) {
    return perToken ? ReferenceLogProbReward.mean(logprobs) : ReferenceLogProbReward.sum(logprobs);
  }

  /** {@code mean(positive) - mean(negative)} (0 for no negatives). */
  public static double contrast(double[] positive, double[] negative) {
    double p = 0;
    for (double v : positive) {
      p += v;
    }
    double n = 0;
    for (double v : negative) {
      n += v;
    }
    return p / positive.length - (negative.length == 0 ? 0 : n / negative.length);
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext ctx) {
    LanguageModel model = config.scoring().policy().model(ctx);
    boolean[] cache = {true};
    List<double[]> pos = scoreAll(groups, ctx, model, config.positive(), cache);
    List<double[]> neg = scoreAll(groups, ctx, model, config.negative(), cache);
    List<RewardResult> out = new ArrayList<>(groups.size());
    int n = 0;
    for (RolloutGroup g : groups) {
      double[] scores = new double[g.size()];
      double[] posMean = new double[g.size()];
      for (int i = 0; i < g.size(); i++, n++) {
        double[] p = column(pos, n);
        double[] q = column(neg, n);
        scores[i] = contrast(p, q);
        posMean[i] = contrast(p, new double[0]);
      }
      Map<String, Object> diag = new LinkedHashMap<>();
      diag.put("kv_cache", cache[0]);
      diag.put("positive", posMean);
      out.add(new RewardResult(scores, diag));
    }
    return out;
  }

  /** For each follow-up text, its score after every rollout (flattened in group order). */
  private List<double[]> scoreAll(
      List<RolloutGroup> groups, RewardContext ctx, LanguageModel model, List<String> texts, boolean[] fromCache) {
    List<double[]> out = new ArrayList<>(texts.size());
    for (String f : texts) {
      int[] ids = model.tokenizer().encode(f, false);
      ReferenceScorer.Scored scored = ReferenceScorer.scoreAfterResponse(groups, ctx, config.scoring(), ids);
      fromCache[0] &= scored.fromCache();
      List<TokenScores> s = scored.scores();
      double[] v = new double[s.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = followUpScore(s.get(i).logprobs(), config.perToken());
      }
      out.add(v);
    }
    return out;
  }

  private static double[] column(List<double[]> perText, int rollout) {
    double[] out = new double[perText.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = perText.get(k)[rollout];
    }
    return out;
  }

  /** Frees the scoring policy's lagged copy, if any. */
  @Override
  public void close() {
    config.scoring().policy().close();
  }
}
