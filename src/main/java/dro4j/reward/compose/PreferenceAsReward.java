package dro4j.reward.compose;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Preference-as-Reward (PAR, Fu et al. 2025, "Reward Shaping to Mitigate Reward Hacking in RLHF",
 * arXiv 2502.18770): the inner reward r of each rollout becomes the mean over reference-policy
 * responses of sigmoid(r - r_ref) ({@link Shaping#par}), bounded in (0, 1) and centred on what the
 * reference policy already achieves.
 *
 * <p>The reference responses of a prompt are the strings of the example's metadata list {@code
 * referenceKey} (default {@code reference_responses}), scored by the inner reward in the same call
 * as the rollouts; an example without that list uses its reference answer as the single reference
 * response (the paper finds one reference reward enough). Diagnostics: the inner diagnostics,
 * {@code reward} (the inner scores) and {@code reference_rewards}.
 *
 * @param inner the reward to shape (a judge score, a likelihood, ...)
 * @param referenceKey the metadata key holding reference responses
 */
public record PreferenceAsReward(Reward inner, String referenceKey) implements Reward, AutoCloseable {
  /** The default metadata key of the reference responses. */
  public static final String DEFAULT_REFERENCE_KEY = "reference_responses";

  /** Checks the arguments. */
  public PreferenceAsReward {
    Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(referenceKey, "referenceKey");
  }

  @Override
  public String name() {
    return "par";
  }

  /** Independent when every component is. */
  @Override
  public boolean scoresGroupsIndependently() {
    return inner.scoresGroupsIndependently();
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<RolloutGroup> all = new ArrayList<>(groups);
    for (RolloutGroup g : groups) {
      List<Rollout> refs = references(g.example()).stream().map(Rollout::ofText).toList();
      all.add(new RolloutGroup(g.example(), g.promptIds(), refs));
    }
    List<RewardResult> results = Components.score(inner, all, context);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      double[] r = results.get(g).scores();
      double[] refs = results.get(groups.size() + g).scores();
      double[] shaped = new double[r.length];
      for (int i = 0; i < r.length; i++) {
        shaped[i] = Shaping.par(r[i], refs);
      }
      Map<String, Object> diagnostics = new LinkedHashMap<>(results.get(g).diagnostics());
      diagnostics.put("reward", r.clone());
      diagnostics.put("reference_rewards", refs.clone());
      out.add(new RewardResult(shaped, diagnostics));
    }
    return out;
  }

  private List<String> references(Example example) {
    Object listed = example.metadata().get(referenceKey);
    if (listed instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(x -> x instanceof String)) {
      return list.stream().map(x -> (String) x).toList();
    }
    if (listed != null) {
      throw new BadInputException("example " + example.id() + ": metadata '" + referenceKey
          + "' must be a non-empty list of response strings");
    }
    if (example.reference().isBlank()) {
      throw new BadInputException("example " + example.id() + ": par needs reference responses (metadata '"
          + referenceKey + "') or a reference answer");
    }
    return List.of(example.reference());
  }

  /** Closes the components. */
  @Override
  public void close() {
    Components.closeAll(List.of(inner));
  }
}
