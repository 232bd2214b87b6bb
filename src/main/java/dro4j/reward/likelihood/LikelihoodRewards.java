package dro4j.reward.likelihood;

import static dro4j.reward.RewardRegistry.Param.optional;
import static dro4j.reward.RewardRegistry.Param.required;

import dro4j.BadInputException;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.Reward;
import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardRegistry.Param;
import dro4j.reward.RewardRegistry.Params;
import dro4j.reward.RewardRegistry.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Registers the likelihood rewards in a {@link RewardRegistry}: {@code r3} (DRO's Reasoning Reflection
 * Reward with every {@link R3Config} option), {@code logprob_sum}, {@code logprob_mean}, {@code
 * verifree}, {@code rlpr}, {@code nover} and {@code follow_up}. All of them score with a model, so each
 * entry needs one.
 *
 * <p>The rewards that score a reference after the reasoning share the {@link ScoringOptions}
 * parameters {@code split}, {@code split_text}, {@code split_occurrence}, {@code split_fallback},
 * {@code answer_prefix}, {@code temperature}, {@code scoring_policy} and {@code refresh_steps}.
 */
public final class LikelihoodRewards {
  private LikelihoodRewards() {}

  /** Adds r3, logprob_sum, logprob_mean, verifree, rlpr, nover and follow_up. */
  public static void register(RewardRegistry registry) {
    List<Param> r3 = new ArrayList<>(scoringParams());
    r3.addAll(List.of(
        optional("weighting", Type.STRING, "sigma",
            "token weights w(sigma): sigma (sigma_j / sum sigma), softmax (softmax(sigma / tau)), top_k (1/k on"
                + " the k largest sigma), uniform (1/m: the mean log-prob); uniform whenever all sigma are 0")
            .choices("sigma", "softmax", "top_k", "uniform"),
        optional("tau", Type.NUMBER, TokenWeighting.DEFAULT_TEMPERATURE, "softmax temperature of weighting=softmax (> 0)"),
        optional("k", Type.INTEGER, TokenWeighting.DEFAULT_K, "tokens kept by weighting=top_k (>= 1)"),
        optional("baseline", Type.STRING, "off",
            "masked-CoT baseline subtracted per token: off, prompt (the reference right after the prompt) or"
                + " filler (the reasoning replaced by the filler text); cancels in group-centred advantages")
            .choices("off", "prompt", "filler"),
        optional("filler", Type.STRING, "", "the text standing in for the reasoning with baseline=filler,"
            + " e.g. <think>\\n</think>"),
        optional("propagation", Type.BOOLEAN, false,
            "controlled propagation: discount the certainty reasoning-reflective tokens lend later ones"),
        optional("gamma", Type.NUMBER, ControlledPropagation.DEFAULT_GAMMA,
            "decay per token of controlled propagation (>= 0; ours, the paper gives none)"),
        optional("length_penalty_weight", Type.NUMBER, 0.0,
            "weight of DRO's outcome length penalty r_len = 1 - beta | |y| - |y^| | / |y| added to R3 (0: off)"),
        optional("length_penalty_beta", Type.NUMBER, 1.0, "beta of the length penalty (>= 0)")));
    registry.register(new RewardRegistry.Entry("r3",
        "DRO's Reasoning Reflection Reward (Xu et al. 2025, arXiv 2506.13351): the reference scored after each"
            + " rollout's reasoning, l_ij = log pi(y_j | q, c_i, y_<j); sigma_j = population std over the group;"
            + " R3_i = sum_j w(sigma)_j l_ij. Diagnostics: sigma, weights, logprob_sum, r3, split_found.",
        r3, true, p -> guard(p, () -> new ReasoningReflectionReward(r3Config(p)))));

    for (ReferenceLogProbReward.Aggregation a : ReferenceLogProbReward.Aggregation.values()) {
      boolean sum = a == ReferenceLogProbReward.Aggregation.SUM;
      registry.register(new RewardRegistry.Entry(sum ? "logprob_sum" : "logprob_mean",
          sum
              ? "DRO-Aggr (Xu et al. 2025, arXiv 2506.13351): sum_j log pi(y_j | q, c_i, y_<j), the reference's"
                  + " log-prob after the reasoning."
              : "Mean over reference tokens of log pi(y_j | q, c_i, y_<j): DRO-Aggr normalised by length (R3 with"
                  + " uniform weights).",
          scoringParams(), true, p -> guard(p, () -> new ReferenceLogProbReward(scoring(p), a))));
    }

    registry.register(new RewardRegistry.Entry("verifree",
        "VeriFree (Zhou et al. 2025, arXiv 2505.21493): pi(y | q, c_i) = exp(sum_j l_ij), the probability of the"
            + " whole reference after the reasoning; in [0, 1], for short references.",
        scoringParams(), true, p -> guard(p, () -> new VeriFreeReward(scoring(p)))));

    List<Param> rlpr = new ArrayList<>(scoringParams());
    rlpr.addAll(List.of(
        optional("debias", Type.BOOLEAN, true, "subtract the same score with no reasoning and clip to [0, 1] (RLPR)"),
        optional("std_filter", Type.BOOLEAN, false,
            "flatten groups whose reward std is below an EMA threshold (RLPR's std filtering; stateful)"),
        optional("std_filter_decay", Type.NUMBER, 0.99, "EMA decay of the std threshold, in [0, 1)")));
    registry.register(new RewardRegistry.Entry("rlpr",
        "RLPR (Yu et al. 2025, arXiv 2506.18254): mean token probability of the reference after the reasoning,"
            + " (1/m) sum_j pi(y_j | q, c_i, y_<j), debiased by the no-reasoning score: clip(r - r', 0, 1).",
        rlpr, true,
        p -> guard(p, () -> new RlprReward(new RlprReward.Config(scoring(p), p.bool("debias"), p.bool("std_filter"),
            p.number("std_filter_decay"))))));

    List<Param> nover = new ArrayList<>(scoringParams());
    nover.addAll(List.of(
        optional("output", Type.STRING, "rank",
            "rank: NOVER's group rank reward (n - k) / n by increasing perplexity; negative_perplexity: -P_r")
            .choices("rank", "negative_perplexity"),
        optional("require_split", Type.BOOLEAN, true,
            "rollouts without a found reasoning split are invalid (reward 0, as NOVER); false: use the fallback")));
    registry.register(new RewardRegistry.Entry("nover",
        "NOVER (Liu et al. 2025, arXiv 2505.16022): reasoning perplexity of the reference,"
            + " P_r = exp(-sum_j l_ij / (|y| max(1, 1 + log10 |c_i|))), turned into a rank reward within the group.",
        nover, true,
        p -> guard(p, () -> new NoverReward(new NoverReward.Config(scoring(p),
            NoverReward.Output.valueOf(p.string("output").toUpperCase(Locale.ROOT)), p.bool("require_split"))))));

    registry.register(new RewardRegistry.Entry("follow_up",
        "Follow-up likelihood as reward (FLR; Zhang et al. 2024, arXiv 2409.13948): mean log-prob of positive"
            + " follow-ups after the whole response minus that of negative ones. Each text is tokenized without"
            + " special tokens and carries its own turn markers.",
        List.of(
            required("positive", Type.STRING_LIST,
                "follow-ups a good response makes likely (texts with commas: give a JSON list)"),
            optional("negative", Type.STRING_LIST, null, "follow-ups a good response makes unlikely (unset: none)"),
            optional("per_token", Type.BOOLEAN, true, "average each follow-up's token log-probs (false: sum them)"),
            temperature(), scoringPolicy(), refreshSteps()),
        true,
        p -> guard(p, () -> new FollowUpLikelihoodReward(new FollowUpLikelihoodReward.Config(
            ScoringOptions.defaults().withTemperature(p.number("temperature")).withPolicy(policy(p)),
            p.strings("positive"), p.strings("negative") == null ? List.of() : p.strings("negative"),
            p.bool("per_token"))))));
  }

  /** The {@link R3Config} of the r3 parameters. */
  static R3Config r3Config(Params p) {
    TokenWeighting weighting = switch (p.string("weighting")) {
      case "softmax" -> TokenWeighting.softmax(p.number("tau"));
      case "top_k" -> TokenWeighting.topK(p.integer("k"));
      case "uniform" -> TokenWeighting.uniform();
      default -> TokenWeighting.sigmaNormalised();
    };
    MaskedCotBaseline baseline = switch (p.string("baseline")) {
      case "prompt" -> MaskedCotBaseline.promptOnly();
      case "filler" -> MaskedCotBaseline.filler(p.string("filler"));
      default -> MaskedCotBaseline.off();
    };
    if (baseline.mode() != MaskedCotBaseline.Mode.FILLER && !p.string("filler").isEmpty()) {
      throw p.invalid("parameter 'filler' needs baseline=filler");
    }
    ControlledPropagation propagation = new ControlledPropagation(p.bool("propagation"), p.number("gamma"));
    OutcomeLengthPenalty length = OutcomeLengthPenalty.of(p.number("length_penalty_weight"), p.number("length_penalty_beta"));
    return new R3Config(scoring(p), weighting, baseline, propagation, length);
  }

  /** The parameters of {@link ScoringOptions}, shared by the rewards that score after the reasoning. */
  static List<Param> scoringParams() {
    return List.of(
        optional("split", Type.STRING, "tag",
            "how a rollout's reasoning ends: tag or marker (a literal split_text, e.g. </think> or Answer:), regex"
                + " (a Java regular expression split_text) or none (no rule: split_fallback decides)")
            .choices("tag", "marker", "regex", "none"),
        optional("split_text", Type.STRING, ReasoningSplit.THINK_CLOSE, "the tag, marker or regex of split"),
        optional("split_occurrence", Type.STRING, "last", "which match ends the reasoning when there are several")
            .choices("first", "last"),
        optional("split_fallback", Type.STRING, "whole_is_reasoning",
            "a rollout without a match: all reasoning (the reference follows it) or empty reasoning (the reference"
                + " follows the prompt)")
            .choices("whole_is_reasoning", "empty_reasoning"),
        optional("answer_prefix", Type.STRING, "", "fixed text between the reasoning and the reference, e.g. \\nAnswer: "),
        temperature(), scoringPolicy(), refreshSteps());
  }

  private static Param temperature() {
    return optional("temperature", Type.NUMBER, 1.0, "scoring temperature dividing the logits (> 0; 1 = the policy's own)");
  }

  private static Param scoringPolicy() {
    return optional("scoring_policy", Type.STRING, "current",
        "the scoring model: current (the policy; reuses the generation's KV cache), reference (the frozen"
            + " reference policy) or lagged (a copy of the policy refreshed every refresh_steps steps)")
        .choices("current", "reference", "lagged");
  }

  private static Param refreshSteps() {
    return optional("refresh_steps", Type.INTEGER, null, "refresh interval (>= 1) of scoring_policy=lagged, required with it");
  }

  /** The {@link ScoringOptions} of the shared parameters. */
  static ScoringOptions scoring(Params p) {
    return new ScoringOptions(split(p), p.string("answer_prefix"), p.number("temperature"), policy(p));
  }

  private static ReasoningSplit split(Params p) {
    String text = p.string("split_text");
    ReasoningSplit split = switch (p.string("split")) {
      case "regex" -> ReasoningSplit.regex(text);
      case "none" -> ReasoningSplit.wholeRollout();
      default -> ReasoningSplit.marker(text); // a tag and a marker are both literals ending the reasoning
    };
    ReasoningSplit.Fallback fallback = p.string("split_fallback").equals("empty_reasoning")
        ? ReasoningSplit.Fallback.EMPTY_REASONING
        : ReasoningSplit.Fallback.WHOLE_IS_REASONING;
    ReasoningSplit.Occurrence occurrence = p.string("split_occurrence").equals("first")
        ? ReasoningSplit.Occurrence.FIRST
        : ReasoningSplit.Occurrence.LAST;
    return split.withOccurrence(occurrence).withFallback(fallback);
  }

  private static ScoringPolicy policy(Params p) {
    String kind = p.string("scoring_policy");
    Integer refresh = p.optionalInteger("refresh_steps");
    if (kind.equals("lagged")) {
      if (refresh == null) {
        throw p.invalid("scoring_policy=lagged needs refresh_steps (the refresh interval in steps)");
      }
      return ScoringPolicy.lagged(refresh);
    }
    if (refresh != null) {
      throw p.invalid("parameter 'refresh_steps' needs scoring_policy=lagged (found " + kind + ")");
    }
    return kind.equals("reference") ? ScoringPolicy.reference() : ScoringPolicy.current();
  }

  /** Runs a factory, prefixing a setting the reward's own checks reject with where it was configured. */
  private static Reward guard(Params p, Supplier<Reward> factory) {
    try {
      return factory.get();
    } catch (BadInputException e) {
      if (e.getMessage().startsWith(p.where() + ":")) {
        throw e;
      }
      throw p.invalid(e.getMessage());
    }
  }
}
