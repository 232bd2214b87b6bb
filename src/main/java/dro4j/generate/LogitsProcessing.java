package dro4j.generate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Pure sampling algorithms on one row of logits ({@code float[vocab]}), following Hugging Face
 * transformers' logits processors and warpers.
 *
 * <p>Order of operations, as in transformers' {@code GenerationMixin._get_logits_processor}: the
 * repetition penalty is a logits processor and runs first, on the raw logits; when sampling, the
 * warpers follow in this order: temperature, top-k, top-p, min-p; then one token is drawn. Greedy
 * decoding runs the processors only (here: the penalty) and takes the argmax.
 *
 * <p>Arithmetic is in double precision. Logits may contain {@code -inf} (masked tokens, never chosen)
 * but no NaN or {@code +inf}; a row without any finite logit is rejected. The functions are safe to
 * call from several threads at once: the only state is a per-thread scratch buffer.
 */
public final class LogitsProcessing {
  private LogitsProcessing() {}

  /**
   * Slack on top-p's cumulative mass: probabilities computed from float32 logits are only good to
   * about 1e-7, so a cumulative mass within this distance of {@code topP} counts as reaching it. That
   * makes boundaries that are exact in real arithmetic (0.5 + 0.3 = 0.8) behave as in real arithmetic
   * instead of depending on rounding.
   */
  static final double TOP_P_TOLERANCE = 1e-6;

  /** Ranges at most this long are sorted instead of partitioned further. */
  private static final int SMALL_RANGE = 32;

  /** Reusable per-thread buffers (about 3 MB for a 150k vocabulary) instead of new ones per token. */
  private static final class Scratch {
    long[] keys = new long[0];
    float[] scores = new float[0];
    double[] probs = new double[0];
    // top-p's mass per binary exponent of p: p in (0, 1] has Math.getExponent in [-1023, 0]
    final double[] massByExponent = new double[1024];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * Applies the CTRL repetition penalty in place, as transformers' {@code
   * RepetitionPenaltyLogitsProcessor}: every distinct token id among {@code previousIds[0..prevCount)}
   * (prompt and generated tokens) has its logit divided by {@code penalty} if positive and multiplied
   * by it if negative. A token that occurs several times is penalised once.
   *
   * @param logits one row of logits, changed in place
   * @param previousIds the token ids seen so far (prompt then completion); may be null if {@code
   *     prevCount} is 0
   * @param prevCount how many entries of {@code previousIds} to use
   * @param penalty &gt; 0; 1 leaves the logits unchanged, &gt; 1 discourages repeats
   */
  public static void applyRepetitionPenalty(
      float[] logits, int[] previousIds, int prevCount, double penalty) {
    SamplingParams.checkRepetitionPenalty(penalty);
    if (prevCount < 0 || (prevCount > 0 && (previousIds == null || prevCount > previousIds.length))) {
      throw new IllegalArgumentException("prevCount " + prevCount + " does not fit previousIds of length "
          + (previousIds == null ? "null" : previousIds.length));
    }
    if (penalty == 1.0) {
      return;
    }
    BitSet seen = new BitSet(logits.length);
    for (int i = 0; i < prevCount; i++) {
      int id = previousIds[i];
      if (id < 0 || id >= logits.length) {
        throw new IllegalArgumentException(
            "token id " + id + " at position " + i + " is outside the vocabulary of " + logits.length);
      }
      if (!seen.get(id)) {
        seen.set(id);
        float v = logits[id];
        logits[id] = (float) (v < 0 ? v * penalty : v / penalty);
      }
    }
  }

  /**
   * Writes log softmax(logits / temperature) to {@code out}, in double precision. The maximum is
   * subtracted before exponentiating, so large logits do not overflow; {@code -inf} logits give
   * {@code -inf}.
   *
   * @param logits one row of logits (not changed)
   * @param temperature &gt; 0
   * @param out receives the log-probabilities; same length as {@code logits}
   */
  public static void logSoftmax(float[] logits, double temperature, double[] out) {
    SamplingParams.checkTemperature(temperature);
    checkSameLength(logits, out.length, "out");
    double max = logits[argmax(logits)];
    double logZ = logSumExpShifted(logits, max, temperature);
    for (int i = 0; i < logits.length; i++) {
      out[i] = (logits[i] - max) / temperature - logZ;
    }
  }

  /**
   * log softmax(logits / temperature) at one token; the same value as {@link #logSoftmax} gives, in
   * two passes over the row and without allocating.
   */
  public static double logProb(float[] logits, double temperature, int tokenId) {
    SamplingParams.checkTemperature(temperature);
    if (tokenId < 0 || tokenId >= logits.length) {
      throw new IllegalArgumentException(
          "token id " + tokenId + " is outside the vocabulary of " + logits.length);
    }
    double max = logits[argmax(logits)];
    return (logits[tokenId] - max) / temperature - logSumExpShifted(logits, max, temperature);
  }

  /**
   * Builds the distribution a token is drawn from: softmax of {@code logits / temperature} restricted
   * by top-k, then top-p, then min-p (transformers' warper order), renormalised. Removed tokens get
   * probability 0.
   *
   * <ul>
   *   <li>top-k keeps every token whose logit is at least the k-th largest, so tokens tied with the
   *       k-th are all kept (as transformers' {@code TopKLogitsWarper}); found by partial selection.
   *   <li>top-p works on the top-k distribution renormalised. Tokens are ordered by probability, ties
   *       by lower token id; a token is kept while the probability of the tokens before it is below
   *       {@code topP} (less a 1e-6 rounding slack). That is the smallest prefix whose mass reaches
   *       {@code topP}, and always at least the top token. No full sort: the boundary is narrowed to
   *       the tokens whose probabilities share one binary exponent, then found by a mass-weighted
   *       selection among those.
   *   <li>min-p keeps tokens with probability &gt;= {@code minP} times the largest probability. The
   *       ratio does not change with renormalisation, so min-p after top-p (transformers' order) is
   *       the intersection of the two sets.
   * </ul>
   *
   * @param logits one row of logits, repetition penalty already applied (not changed)
   * @param temperature &gt; 0
   * @param topK 0 for off, else how many of the highest logits to keep
   * @param topP in (0, 1]; 1 for off
   * @param minP in [0, 1]; 0 for off
   * @param probs receives the probabilities; same length as {@code logits}
   * @return how many tokens have a probability above 0
   */
  public static int samplingDistribution(
      float[] logits, double temperature, int topK, double topP, double minP, double[] probs) {
    SamplingParams.checkTemperature(temperature);
    SamplingParams.checkTopK(topK);
    SamplingParams.checkTopP(topP);
    SamplingParams.checkMinP(minP);
    checkSameLength(logits, probs.length, "probs");
    warp(logits, argmax(logits), temperature, topK, topP, minP, probs);
    int kept = 0;
    for (double q : probs) {
      if (q > 0) {
        kept++;
      }
    }
    return kept;
  }

  /**
   * {@link #samplingDistribution} without validation; {@code top} is the argmax of the row. Returns
   * log sum_i exp((logits[i] - max) / temperature) over the whole row, before truncation, so that
   * the caller gets the untruncated log-probabilities without a second pass of exponentials.
   */
  private static double warp(float[] logits, int top, double temperature, int topK, double topP,
      double minP, double[] probs) {
    int n = logits.length;
    double max = logits[top];
    Scratch scratch = SCRATCH.get();
    if (scratch.keys.length < n) {
      scratch.keys = new long[n];
    }
    long[] keys = scratch.keys;

    // top-k: the k-th largest logit is the threshold (-inf keeps everything)
    float threshold = Float.NEGATIVE_INFINITY;
    if (topK > 0 && topK < n) {
      for (int i = 0; i < n; i++) {
        keys[i] = key(logits[i], i);
      }
      select(keys, 0, n, topK - 1);
      threshold = logits[(int) keys[topK - 1]];
    }

    // temperature and softmax over the top-k set; zAll sums the whole row for the log-prob
    double z = 0;
    double zAll = 0;
    for (int i = 0; i < n; i++) {
      float v = logits[i];
      double e = Math.exp((v - max) / temperature);
      zAll += e;
      if (v < threshold) {
        e = 0.0;
      }
      probs[i] = e;
      z += e;
    }
    double invZ = 1.0 / z;
    for (int i = 0; i < n; i++) {
      probs[i] *= invZ;
    }

    if (topP < 1) {
      // a tiny topP would make the target <= 0; keep the top token then, like min_tokens_to_keep=1
      double target = Math.max(topP - TOP_P_TOLERANCE, Double.MIN_VALUE);
      keepNucleus(logits, probs, target, keys, scratch.massByExponent);
    }

    if (minP > 0) {
      double cut = minP * probs[top];
      for (int i = 0; i < n; i++) {
        if (probs[i] < cut) {
          probs[i] = 0.0;
        }
      }
    }

    if (topP < 1 || minP > 0) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += probs[i];
      }
      double invSum = 1.0 / sum;
      for (int i = 0; i < n; i++) {
        probs[i] *= invSum;
      }
    }
    return Math.log(zAll);
  }

  /**
   * Picks the next token for one sequence.
   *
   * <p>Greedy: the argmax of the penalised logits, the lowest id on ties (as {@code torch.argmax});
   * no random number is used. Sampling: the distribution of {@link #samplingDistribution} on the
   * penalised logits, then exactly one {@code rng.nextDouble()} u and the first token id (in id order)
   * whose cumulative probability exceeds u. A fixed rng state therefore always gives the same token.
   *
   * @param logits the model's raw logits for the next position (not changed)
   * @param history prompt and generated token ids, for the repetition penalty; may be null if {@code
   *     historyLength} is 0
   * @param historyLength how many entries of {@code history} to use
   * @param p sampling parameters (the stop and length fields are not used here)
   * @param rng this sequence's random stream, see {@link #rngFor}
   * @return the token and its log-probability under log softmax(raw logits / temperature), before
   *     penalty and truncation (temperature 1 for greedy)
   */
  public static TokenChoice sample(
      float[] logits, int[] history, int historyLength, SamplingParams p, SplittableRandom rng) {
    int n = logits.length;
    Scratch s = SCRATCH.get();
    if (s.scores.length != n) {
      s.scores = new float[n];
      s.probs = new double[n];
    }
    float[] scores = logits;
    if (p.repetitionPenalty() != 1.0 && historyLength > 0) {
      System.arraycopy(logits, 0, s.scores, 0, n);
      applyRepetitionPenalty(s.scores, history, historyLength, p.repetitionPenalty());
      scores = s.scores;
    }
    if (p.greedy()) {
      int token = argmax(scores);
      return new TokenChoice(token, logProb(logits, 1.0, token));
    }
    SamplingParams.checkTemperature(p.temperature());
    int top = argmax(scores);
    double logZ = warp(scores, top, p.temperature(), p.topK(), p.topP(), p.minP(), s.probs);
    int token = draw(s.probs, rng.nextDouble());
    if (scores != logits) {
      return new TokenChoice(token, logProb(logits, p.temperature(), token));
    }
    return new TokenChoice(token, (logits[token] - logits[top]) / p.temperature() - logZ);
  }

  /**
   * The random stream of sequence {@code sequenceIndex} of a request seeded with {@code seed}. It
   * depends on these two numbers only, so a sequence draws the same tokens whatever else shares its
   * batch. Seed and index are hashed together because {@code SplittableRandom} seeds that differ by
   * its internal constant would give shifted copies of the same stream.
   *
   * @param seed the request's seed ({@link SamplingParams#seed()})
   * @param sequenceIndex &gt;= 0, e.g. prompt index * numReturnSequences + sample index
   */
  public static SplittableRandom rngFor(long seed, int sequenceIndex) {
    if (sequenceIndex < 0) {
      throw new IllegalArgumentException("sequenceIndex must be >= 0, got " + sequenceIndex);
    }
    long h = mix64(seed ^ 0x5DEECE66DL);
    h = mix64(h + 0x9E3779B97F4A7C15L * (sequenceIndex + 1L));
    return new SplittableRandom(h);
  }

  // ---- helpers ----

  /** Index of the first largest logit; rejects NaN, +inf and rows with no finite logit. */
  static int argmax(float[] logits) {
    int best = -1;
    float m = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < logits.length; i++) {
      float v = logits[i];
      if (v > m) {
        m = v;
        best = i;
      } else if (v != v) {
        throw new IllegalArgumentException("logit of token " + i + " is NaN");
      }
    }
    if (best < 0) {
      throw new IllegalArgumentException(logits.length == 0
          ? "empty logits row" : "no finite logit: all " + logits.length + " entries are -inf");
    }
    if (m == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("logit of token " + best + " is +inf");
    }
    return best;
  }

  /** log sum_i exp((logits[i] - max) / t); max must be the row's maximum. */
  private static double logSumExpShifted(float[] logits, double max, double t) {
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp((v - max) / t);
    }
    return Math.log(sum);
  }

  /** First token id, in id order, whose cumulative probability exceeds u in [0, 1). */
  private static int draw(double[] probs, double u) {
    double c = 0;
    int last = -1;
    for (int i = 0; i < probs.length; i++) {
      double q = probs[i];
      if (q > 0) {
        c += q;
        last = i;
        if (u < c) {
          return i;
        }
      }
    }
    return last; // u beyond the rounded total: the last kept token
  }

  /**
   * A sort key that orders by descending logit, then ascending token id, as a signed long: the high
   * half is the float's bits made order-preserving and negated, the low half the id.
   */
  private static long key(float logit, int id) {
    int bits = Float.floatToRawIntBits(logit + 0.0f); // + 0 turns -0.0 into 0.0
    bits ^= (bits >> 31) & 0x7fffffff;
    return ((long) ~bits << 32) | id;
  }

  /**
   * Top-p on normalised probabilities: zeroes every token outside the nucleus. A token is kept while
   * the mass of the tokens ranked before it is below target (&gt; 0).
   *
   * <p>First one pass sums the mass per binary exponent of p. Exponent classes are ordered like the
   * tokens, so the classes above the one where the cumulative mass reaches target are kept whole and
   * those below are dropped; only the boundary class, usually a small part of the vocabulary, goes
   * through selection.
   */
  private static void keepNucleus(
      float[] logits, double[] probs, double target, long[] keys, double[] massByExponent) {
    Arrays.fill(massByExponent, 0.0);
    for (double q : probs) {
      if (q > 0) {
        massByExponent[-Math.getExponent(q)] += q;
      }
    }
    double above = 0;
    int boundary = 0;
    while (boundary < massByExponent.length - 1 && above + massByExponent[boundary] < target) {
      above += massByExponent[boundary];
      boundary++;
    }
    int count = 0;
    for (int i = 0; i < probs.length; i++) {
      double q = probs[i];
      if (q > 0) {
        int e = -Math.getExponent(q);
        if (e == boundary) {
          keys[count++] = key(logits[i], i);
        } else if (e > boundary) {
          probs[i] = 0.0;
        }
      }
    }
    int kept = nucleusSize(keys, count, probs, above, target);
    for (int j = kept; j < count; j++) {
      probs[(int) keys[j]] = 0.0;
    }
  }

  /**
   * The nucleus among candidates {@code a[0..count)}, given that the tokens ranked before all of
   * them have mass {@code above} (&lt; target): how many candidates are kept, leaving them in {@code
   * a[0..result)} in any order. Quickselect that steers by mass instead of by rank: expected linear
   * time.
   */
  private static int nucleusSize(long[] a, int count, double[] probs, double above, double target) {
    int lo = 0;
    int hi = count;
    // above: mass of everything ranked before a[lo], all kept; always < target
    while (hi - lo > SMALL_RANGE) {
      int p = partition(a, lo, hi);
      double left = 0;
      for (int j = lo; j < p; j++) {
        left += probs[(int) a[j]];
      }
      if (above + left >= target) {
        hi = p; // the pivot already has enough mass before it: it and all after it go
        continue;
      }
      above += left;
      double pivot = probs[(int) a[p]];
      if (above + pivot >= target) {
        return p + 1; // the pivot is the last token kept
      }
      above += pivot;
      lo = p + 1;
    }
    Arrays.sort(a, lo, hi);
    int m = lo;
    while (m < hi && above < target) {
      above += probs[(int) a[m]];
      m++;
    }
    return m;
  }

  /** Moves the element of rank {@code rank} (ascending) of a[lo..hi) to index rank. */
  private static void select(long[] a, int lo, int hi, int rank) {
    while (hi - lo > 1) {
      int p = partition(a, lo, hi);
      if (p == rank) {
        return;
      } else if (rank < p) {
        hi = p;
      } else {
        lo = p + 1;
      }
    }
  }

  /**
   * Lomuto partition of a[lo..hi) (distinct keys) around the median of first, middle and last;
   * returns the pivot's final index: smaller keys before it, larger after.
   */
  private static int partition(long[] a, int lo, int hi) {
    int last = hi - 1;
    int mid = (lo + last) >>> 1;
    if (a[mid] < a[lo]) {
      swap(a, lo, mid);
    }
    if (a[last] < a[lo]) {
      swap(a, lo, last);
    }
    if (a[mid] < a[last]) {
      swap(a, mid, last);
    }
    long pivot = a[last];
    int i = lo;
    for (int j = lo; j < last; j++) {
      if (a[j] < pivot) {
        swap(a, i, j);
        i++;
      }
    }
    swap(a, i, last);
    return i;
  }

  private static void swap(long[] a, int i, int j) {
    long t = a[i];
    a[i] = a[j];
    a[j] = t;
  }

  /** Stafford's 64-bit mix13 finaliser (also used inside SplittableRandom). */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static void checkSameLength(float[] logits, int length, String name) {
    if (length != logits.length) {
      throw new IllegalArgumentException(
          name + " has length " + length + " but logits have " + logits.length);
    }
  }
}
