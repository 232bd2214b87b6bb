package dro4j.rl;

/** Summary statistics of the values a step logs (means, unbiased std as torch.std, max). */
final class Stats {
  private Stats() {}

  static double mean(double[] x) {
    if (x.length == 0) return Double.NaN;
    double s = 0;
    for (double v : x) s += v;
    return s / x.length;
  }

  /** Unbiased (Bessel-corrected) standard deviation; 0 for fewer than two values. */
  static double std(double[] x) {
    if (x.length < 2) return 0.0;
    double m = mean(x);
    double ss = 0;
    for (double v : x) ss += (v - m) * (v - m);
    return Math.sqrt(ss / (x.length - 1));
  }

  static double max(double[] x) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : x) m = Math.max(m, v);
    return x.length == 0 ? Double.NaN : m;
  }

  static double min(double[] x) {
    double m = Double.POSITIVE_INFINITY;
    for (double v : x) m = Math.min(m, v);
    return x.length == 0 ? Double.NaN : m;
  }

  static boolean allFinite(double[] x) {
    for (double v : x) if (!Double.isFinite(v)) return false;
    return true;
  }
}
