package dro4j.reward.compose;

import static dro4j.reward.RewardRegistry.Param.list;
import static dro4j.reward.RewardRegistry.Param.optional;
import static dro4j.reward.RewardRegistry.Param.required;

import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardRegistry.Params;
import dro4j.reward.RewardRegistry.Type;

/** Registers the combinators of this package in a {@link RewardRegistry}. */
public final class CompositeRewards {
  private CompositeRewards() {}

  /** Adds weighted_sum, gated, par and normalize. */
  public static void register(RewardRegistry registry) {
    registry.register("weighted_sum",
        "sum_k weight_k * reward_k, each reward logged under its own name. Example: {\"name\":"
            + " \"weighted_sum\", \"rewards\": [{\"reward\": {\"name\": \"finqa_match\"}, \"weight\": 1},"
            + " {\"reward\": {\"name\": \"overlong\"}, \"weight\": 1}]}",
        false,
        p -> new WeightedSum(p.list("rewards").stream()
            .map(c -> new WeightedSum.Component(c.reward("reward"), c.number("weight"))).toList()),
        list("rewards", "the terms",
            required("reward", Type.REWARD, "a reward config"),
            optional("weight", Type.NUMBER, 1.0, "its weight")));
    registry.register("gated",
        "Gated reward accumulation (G-RA, arXiv 2508.10548): rewards in priority order; a reward"
            + " counts only when every earlier one reached its threshold.",
        false,
        p -> new GatedReward(p.list("rewards").stream().map(CompositeRewards::tier).toList()),
        list("rewards", "the rewards, highest priority first",
            required("reward", Type.REWARD, "a reward config"),
            optional("weight", Type.NUMBER, 1.0, "its weight"),
            optional("threshold", Type.NUMBER, null, "score it must reach for later rewards to count (all but the last)")));
    registry.register("par",
        "Preference-as-Reward (Fu et al. 2025, arXiv 2502.18770): mean over reference responses of"
            + " sigmoid(r - r_ref). Reference responses: the metadata list reference_key, else the"
            + " reference answer.",
        false,
        p -> new PreferenceAsReward(p.reward("reward"), p.string("reference_key")),
        required("reward", Type.REWARD, "the reward to shape"),
        optional("reference_key", Type.STRING, PreferenceAsReward.DEFAULT_REFERENCE_KEY,
            "metadata key of the reference-policy responses"));
    registry.register("normalize",
        "A reward normalised (group or batch z-score with population std, min-max into [0,1]) and then"
            + " clipped; logged under the inner reward's name with its raw scores.",
        false,
        p -> new NormalizedReward(p.reward("reward"), Normalization.parse(p.string("method")),
            orElse(p, "clip_min", Double.NEGATIVE_INFINITY), orElse(p, "clip_max", Double.POSITIVE_INFINITY),
            p.number("eps")),
        required("reward", Type.REWARD, "the reward to normalise"),
        optional("method", Type.STRING, "group_zscore", "the normalisation")
            .choices("none", "group_zscore", "batch_zscore", "min_max", "batch_min_max"),
        optional("clip_min", Type.NUMBER, null, "lower clip bound (unset: none)"),
        optional("clip_max", Type.NUMBER, null, "upper clip bound (unset: none)"),
        optional("eps", Type.NUMBER, Shaping.DEFAULT_EPS, "guard added to the standard deviation"));
  }

  private static GatedReward.Tier tier(Params c) {
    return new GatedReward.Tier(c.reward("reward"), c.number("weight"), orElse(c, "threshold", Double.NaN));
  }

  private static double orElse(Params p, String name, double fallback) {
    Double v = p.optionalNumber(name);
    return v == null ? fallback : v;
  }
}
