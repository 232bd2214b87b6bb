package dro4j.reward.compose;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reward normalised ({@link Normalization}: group or batch z-score, min-max) and then clipped to
 * [clipMin, clipMax]. It is logged under the inner reward's name, with the inner diagnostics and
 * {@code raw}: the scores before normalisation. Batch statistics are over the groups of one {@link
 * #score} call.
 *
 * @param inner the reward to normalise
 * @param method the normalisation
 * @param clipMin lower clip bound ({@code -Infinity}: none)
 * @param clipMax upper clip bound ({@code +Infinity}: none)
 * @param eps the guard added to the standard deviation of the z-scores (default {@link
 *     Shaping#DEFAULT_EPS})
 */
public record NormalizedReward(Reward inner, Normalization method, double clipMin, double clipMax, double eps)
    implements Reward, AutoCloseable {

  /** Checks the clip bounds and eps. */
  public NormalizedReward {
    Objects.requireNonNull(inner, "inner");
    Objects.requireNonNull(method, "method");
    if (Double.isNaN(clipMin) || Double.isNaN(clipMax) || clipMin > clipMax) {
      throw new BadInputException("clip bounds must satisfy clip_min <= clip_max, got " + clipMin + " and " + clipMax);
    }
    if (!(eps >= 0)) {
      throw new BadInputException("eps must be >= 0, got " + eps);
    }
  }

  @Override
  public String name() {
    return inner.name();
  }

  /** False for the batch normalisations, whose statistics span every group of a call. */
  @Override
  public boolean scoresGroupsIndependently() {
    return method != Normalization.BATCH_ZSCORE && method != Normalization.BATCH_MIN_MAX && inner.scoresGroupsIndependently();
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<RewardResult> results = Components.score(inner, groups, context);
    double[][] raw = new double[groups.size()][];
    for (int g = 0; g < raw.length; g++) {
      raw[g] = results.get(g).scores();
    }
    double[][] normalised = method.apply(raw, eps);
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < raw.length; g++) {
      Map<String, Object> diagnostics = new LinkedHashMap<>(results.get(g).diagnostics());
      diagnostics.put("raw", raw[g].clone());
      out.add(new RewardResult(Shaping.clip(normalised[g], clipMin, clipMax), diagnostics));
    }
    return out;
  }

  /** Closes the components. */
  @Override
  public void close() {
    Components.closeAll(List.of(inner));
  }
}
