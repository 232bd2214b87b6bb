package dro4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
 * Code", section 2.1): with n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k), the
 * probability that at least one of k samples drawn without replacement is correct.
 */
public final class PassAtK {
  /** The k values of the DRO paper's tables (pass@1 to pass@16). */
  public static final List<Integer> STANDARD_KS = List.of(1, 2, 4, 8, 16);

  private PassAtK() {}

  /** The sample counts of one problem. */
  public record Counts(int samples, int correct) {
    /** Checks {@code 0 <= correct <= samples} and {@code samples >= 1}. */
    public Counts {
      if (samples < 1 || correct < 0 || correct > samples) {
        throw new IllegalArgumentException(
            "need 0 <= correct <= samples and samples >= 1, got samples=" + samples + " correct=" + correct);
      }
    }
  }

  /**
   * pass@k for one problem. Computed as 1 - prod_{i=n-c+1..n} (1 - k/i), which equals the binomial
   * ratio but never forms large binomial coefficients.
   *
   * @throws IllegalArgumentException unless {@code 1 <= k <= n} and {@code 0 <= c <= n}
   */
  public static double estimate(int n, int c, int k) {
    new Counts(n, c);
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("need 1 <= k <= n, got k=" + k + " n=" + n);
    }
    if (n - c < k) {
      return 1.0; // every k-subset contains a correct sample
    }
    double allWrong = 1.0;
    for (int i = n - c + 1; i <= n; i++) {
      allWrong *= 1.0 - (double) k / i;
    }
    return 1.0 - allWrong;
  }

  /** The mean of pass@k over problems; every problem needs at least k samples. */
  public static double mean(List<Counts> problems, int k) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no problems");
    }
    double sum = 0;
    for (Counts p : problems) {
      sum += estimate(p.samples(), p.correct(), k);
    }
    return sum / problems.size();
  }

  /**
   * Mean pass@k for k = 1, 2, 4, ... up to the largest power of two that every problem has enough
   * samples for, in increasing k; larger k are left out rather than estimated from too few samples.
   */
  public static Map<Integer, Double> report(List<Counts> problems) {
    int fewest = problems.stream().mapToInt(Counts::samples).min().orElse(0);
    Map<Integer, Double> result = new LinkedHashMap<>();
    for (int k : powersOfTwo(fewest)) {
      result.put(k, mean(problems, k));
    }
    return result;
  }

  /** 1, 2, 4, ... up to the largest power of two {@code <= n} (empty for n &lt; 1). */
  public static List<Integer> powersOfTwo(int n) {
    List<Integer> ks = new ArrayList<>();
    for (long k = 1; k <= n; k *= 2) {
      ks.add((int) k);
    }
    return ks;
  }
}
