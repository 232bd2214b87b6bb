package dro4j.reward.likelihood;

import dro4j.BadInputException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * R3's token weights w(sigma): how much each reference token counts, from sigma_j, the spread of its
 * log-prob across the group's reasonings (DRO, Xu et al. 2025, arXiv 2506.13351, section 3: "reasoning-
 * reflective" tokens vary with the reasoning and get more weight). The paper only requires that w grow
 * with sigma; the schemes here:
 *
 * <ul>
 *   <li>{@link Scheme#SIGMA} (default): {@code w_j = sigma_j / sum_k sigma_k}.
 *   <li>{@link Scheme#SOFTMAX}: {@code w_j = softmax(sigma / temperature)_j}; temperature to 0 puts all
 *       weight on the largest sigma, to infinity gives uniform weights. Default temperature 0.1 (sigma
 *       is a std of log-probs, typically 0.01 to a few nats; 0.1 separates tokens 0.3 nats apart by
 *       a factor e^3).
 *   <li>{@link Scheme#TOP_K}: uniform {@code 1/k} over the k largest sigma (ties broken by position),
 *       zero elsewhere; default k = 8.
 *   <li>{@link Scheme#UNIFORM}: {@code 1/m}, which turns R3 into the mean log-prob (a control).
 * </ul>
 *
 * <p>Every scheme gives uniform weights {@code 1/m} when all sigma are 0 (for example a group of one
 * rollout, or identical rollouts): no token is more reflective than another. {@link
 * ReasoningReflectionReward#tokenStd} already sets spreads at the level of float32 rounding to exactly 0
 * (relative to the log-probs' magnitude, so it holds on any CPU); the weights then treat the remaining
 * sigma as given. Weights always sum to 1.
 *
 * @param scheme the weighting; default {@link Scheme#SIGMA}
 * @param temperature softmax temperature (&gt; 0), used by {@link Scheme#SOFTMAX}; default 0.1
 * @param k number of tokens kept (&gt;= 1), used by {@link Scheme#TOP_K}; default 8
 */
public record TokenWeighting(Scheme scheme, double temperature, int k) {

  /** How weights follow sigma. */
  public enum Scheme {
    /** {@code sigma_j / sum_k sigma_k}. */
    SIGMA,
    /** {@code softmax(sigma / temperature)}. */
    SOFTMAX,
    /** Uniform over the k largest sigma. */
    TOP_K,
    /** {@code 1/m}. */
    UNIFORM
  }

  /** Default softmax temperature. */
  public static final double DEFAULT_TEMPERATURE = 0.1;
  /** Default number of tokens kept by top-k. */
  public static final int DEFAULT_K = 8;

  /** Validates the settings. */
  public TokenWeighting {
    if (scheme == null) {
      throw new BadInputException("token weighting scheme must be given");
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new BadInputException("softmax temperature of R3 weights must be a finite number > 0, got " + temperature);
    }
    if (k < 1) {
      throw new BadInputException("top-k of R3 weights must be >= 1, got " + k);
    }
  }

  /** {@code sigma / sum(sigma)} (the default). */
  public static TokenWeighting sigmaNormalised() {
    return new TokenWeighting(Scheme.SIGMA, DEFAULT_TEMPERATURE, DEFAULT_K);
  }

  /** {@code softmax(sigma / temperature)}. */
  public static TokenWeighting softmax(double temperature) {
    return new TokenWeighting(Scheme.SOFTMAX, temperature, DEFAULT_K);
  }

  /** Uniform over the {@code k} largest sigma. */
  public static TokenWeighting topK(int k) {
    return new TokenWeighting(Scheme.TOP_K, DEFAULT_TEMPERATURE, k);
  }

  /** {@code 1/m} for every token. */
  public static TokenWeighting uniform() {
    return new TokenWeighting(Scheme.UNIFORM, DEFAULT_TEMPERATURE, DEFAULT_K);
  }

  /** The weights for {@code sigma} (non-negative, finite); empty for an empty reference. */
  public double[] weights(double[] sigma) {
    int m = sigma.length;
    double[] w = new double[m];
    if (m == 0) {
      return w;
    }
    double max = Arrays.stream(sigma).max().orElse(0);
    if (scheme == Scheme.UNIFORM || !(max > 0)) {
      Arrays.fill(w, 1.0 / m);
      return w;
    }
    switch (scheme) {
      case SIGMA -> {
        double sum = Arrays.stream(sigma).sum();
        for (int j = 0; j < m; j++) {
          w[j] = sigma[j] / sum;
        }
      }
      case SOFTMAX -> {
        double sum = 0;
        for (int j = 0; j < m; j++) {
          w[j] = Math.exp((sigma[j] - max) / temperature);
          sum += w[j];
        }
        for (int j = 0; j < m; j++) {
          w[j] /= sum;
        }
      }
      default -> {
        int kept = Math.min(k, m);
        int[] order = IntStream.range(0, m).boxed()
            .sorted(Comparator.<Integer>comparingDouble(j -> -sigma[j]).thenComparingInt(j -> j))
            .mapToInt(Integer::intValue).toArray();
        for (int r = 0; r < kept; r++) {
          w[order[r]] = 1.0 / kept;
        }
      }
    }
    return w;
  }

  @Override
  public String toString() {
    return switch (scheme) {
      case SIGMA -> "sigma";
      case SOFTMAX -> "softmax(tau=" + temperature + ")";
      case TOP_K -> "top-" + k;
      case UNIFORM -> "uniform";
    };
  }
}
