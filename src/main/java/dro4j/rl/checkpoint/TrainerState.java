package dro4j.rl.checkpoint;

import dro4j.rl.AdamW;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a trainer needs, besides the model weights, to continue a run exactly where it stopped.
 *
 * <p>There is no random-generator state: the trainer derives every random stream from (seed, step,
 * row), so the seed and the step reproduce it. A trainer that does keep other state puts it in
 * {@code extra}.
 *
 * <p>{@link Checkpoints} stores the small fields in {@code trainer_state.json} and the AdamW moments in
 * {@code optimizer.safetensors}. The JSON maps ({@code config}, {@code extra}) are normalised on
 * construction to what a JSON round trip gives back, so a state read from disk {@code equals} the state
 * that was written: integers become {@link Long}, floating-point numbers {@link Double} (a {@code float}
 * is widened exactly), arrays and collections {@link List}, maps {@link LinkedHashMap} with string keys,
 * enums their name; strings, booleans and {@code null} stay. Anything else (records, non-finite numbers,
 * which JSON cannot hold) is an {@link IllegalArgumentException} naming the key.
 *
 * @param globalStep optimizer updates the trainer has completed (the {@code N} of {@code checkpoint-N})
 * @param seed the run's seed
 * @param epoch the data epoch the next batch comes from (0-based)
 * @param indexInEpoch the index, within that epoch's order, of the next example to use
 * @param optimizerStepCount AdamW's step count ({@link AdamW#stepCount()}); may differ from {@code
 *     globalStep} when updates were skipped (non-finite guard)
 * @param expAvg AdamW first moments by parameter name, flattened row-major
 * @param expAvgSq AdamW second moments by parameter name; same names and lengths as {@code expAvg}
 * @param config the resolved training configuration, JSON-friendly
 * @param metrics a summary of the metrics so far (for example the last logged values); non-finite
 *     values are allowed here and stored as the strings {@code "NaN"}, {@code "Infinity"}, {@code
 *     "-Infinity"}
 * @param extra any further trainer state, JSON-friendly. Two keys are written at the top level of
 *     {@code trainer_state.json}, under transformers' names, and read back into {@code extra}: {@value
 *     #EPOCH} (a Double, the fractional epoch the step metrics report; it replaces {@code epoch} there)
 *     and {@value #LOG_HISTORY} (the list of every reported step's metrics).
 */
public record TrainerState(
    long globalStep,
    long seed,
    long epoch,
    long indexInEpoch,
    long optimizerStepCount,
    Map<String, float[]> expAvg,
    Map<String, float[]> expAvgSq,
    Map<String, Object> config,
    Map<String, Double> metrics,
    Map<String, Object> extra) {

  /** The {@code extra} key of the fractional epoch, written as trainer_state.json's {@code epoch}. */
  public static final String EPOCH = "epoch";

  /** The {@code extra} key of transformers' {@code log_history}, written at the top level. */
  public static final String LOG_HISTORY = "log_history";

  /** Validates and normalises; see the class comment. The moment arrays are kept, not copied. */
  public TrainerState {
    if (globalStep < 0) {
      throw new IllegalArgumentException("globalStep must be >= 0, got " + globalStep);
    }
    if (epoch < 0 || indexInEpoch < 0) {
      throw new IllegalArgumentException(
          "data position must be >= 0, got epoch " + epoch + " index " + indexInEpoch);
    }
    if (optimizerStepCount < 0) {
      throw new IllegalArgumentException("optimizerStepCount must be >= 0, got " + optimizerStepCount);
    }
    expAvg = moments(expAvg, "expAvg");
    expAvgSq = moments(expAvgSq, "expAvgSq");
    if (!expAvg.keySet().equals(expAvgSq.keySet())) {
      throw new IllegalArgumentException("expAvg and expAvgSq name different parameters");
    }
    for (Map.Entry<String, float[]> e : expAvg.entrySet()) {
      int other = expAvgSq.get(e.getKey()).length;
      if (e.getValue().length != other) {
        throw new IllegalArgumentException("moments of " + e.getKey() + " differ in length: "
            + e.getValue().length + " vs " + other);
      }
    }
    config = jsonObject(config, "config");
    extra = jsonObject(extra, "extra");
    Map<String, Double> m = new LinkedHashMap<>();
    if (metrics != null) {
      metrics.forEach((k, v) -> m.put(Objects.requireNonNull(k, "metric name"), v));
    }
    metrics = Collections.unmodifiableMap(m);
  }

  /**
   * A state that takes the optimizer's step count and a copy of its moments.
   *
   * @param optimizer the trainer's AdamW; every parameter in {@link AdamW#stateNames()} is captured
   */
  public static TrainerState capture(
      long globalStep,
      long seed,
      long epoch,
      long indexInEpoch,
      AdamW optimizer,
      Map<String, ?> config,
      Map<String, Double> metrics,
      Map<String, ?> extra) {
    Map<String, float[]> m = new LinkedHashMap<>();
    Map<String, float[]> v = new LinkedHashMap<>();
    for (String name : optimizer.stateNames()) {
      m.put(name, optimizer.expAvg(name));
      v.put(name, optimizer.expAvgSq(name));
    }
    return new TrainerState(globalStep, seed, epoch, indexInEpoch, optimizer.stepCount(), m, v,
        uncheckedObjectMap(config), metrics, uncheckedObjectMap(extra));
  }

  /**
   * Puts the step count and the moments into {@code optimizer}, which should be freshly constructed
   * (state of parameters this checkpoint does not name is left as it is). Moment lengths are checked
   * against the parameters at the optimizer's next step.
   */
  public void restoreOptimizer(AdamW optimizer) {
    optimizer.setStepCount(optimizerStepCount);
    for (Map.Entry<String, float[]> e : expAvg.entrySet()) {
      optimizer.setState(e.getKey(), e.getValue(), expAvgSq.get(e.getKey()));
    }
  }

  /** The same state at another global step and data position (for tests and trainers). */
  public TrainerState withPosition(long globalStep, long epoch, long indexInEpoch) {
    return new TrainerState(globalStep, seed, epoch, indexInEpoch, optimizerStepCount, expAvg,
        expAvgSq, config, metrics, extra);
  }

  /** Compares the moments by content (records compare arrays by identity). */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TrainerState s)) {
      return false;
    }
    return globalStep == s.globalStep && seed == s.seed && epoch == s.epoch
        && indexInEpoch == s.indexInEpoch && optimizerStepCount == s.optimizerStepCount
        && sameMoments(expAvg, s.expAvg) && sameMoments(expAvgSq, s.expAvgSq)
        && config.equals(s.config) && metrics.equals(s.metrics) && extra.equals(s.extra);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(globalStep, seed, epoch, indexInEpoch, optimizerStepCount, config, metrics,
        extra);
    for (Map.Entry<String, float[]> e : expAvg.entrySet()) {
      h = 31 * h + e.getKey().hashCode() + Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "TrainerState[globalStep=" + globalStep + ", seed=" + seed + ", epoch=" + epoch
        + ", indexInEpoch=" + indexInEpoch + ", optimizerStepCount=" + optimizerStepCount
        + ", moments for " + expAvg.size() + " parameters, config=" + config + ", metrics="
        + metrics + ", extra=" + extra + "]";
  }

  private static boolean sameMoments(Map<String, float[]> a, Map<String, float[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, float[]> e : a.entrySet()) {
      if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, float[]> moments(Map<String, float[]> in, String what) {
    Map<String, float[]> out = new LinkedHashMap<>();
    if (in != null) {
      in.forEach((k, v) -> {
        if (k == null || v == null) {
          throw new IllegalArgumentException(what + " has a null name or array");
        }
        out.put(k, v);
      });
    }
    return Collections.unmodifiableMap(out);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> uncheckedObjectMap(Map<String, ?> m) {
    return (Map<String, Object>) m;
  }

  private static Map<String, Object> jsonObject(Map<String, ?> in, String path) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (in != null) {
      for (Map.Entry<String, ?> e : in.entrySet()) {
        if (e.getKey() == null) {
          throw new IllegalArgumentException(path + " has a null key");
        }
        out.put(e.getKey(), jsonValue(e.getValue(), path + "." + e.getKey()));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** The value a JSON write and read would give back (see the class comment). */
  static Object jsonValue(Object v, String path) {
    if (v == null || v instanceof String || v instanceof Boolean) {
      return v;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException(path + " is " + d + ", which JSON cannot hold");
      }
      return d;
    }
    if (v instanceof Character || v instanceof Enum<?>) {
      return v instanceof Enum<?> e ? e.name() : v.toString();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw new IllegalArgumentException(path + " has a key that is not a string: " + e.getKey());
        }
        out.put(key, jsonValue(e.getValue(), path + "." + key));
      }
      return Collections.unmodifiableMap(out);
    }
    if (v instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>();
      int i = 0;
      for (Object x : c) {
        out.add(jsonValue(x, path + "[" + i++ + "]"));
      }
      return Collections.unmodifiableList(out);
    }
    if (v.getClass().isArray()) {
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < Array.getLength(v); i++) {
        out.add(jsonValue(Array.get(v, i), path + "[" + i + "]"));
      }
      return Collections.unmodifiableList(out);
    }
    throw new IllegalArgumentException(path + " is a " + v.getClass().getName()
        + ", not a JSON value (use maps, lists, strings, numbers, booleans, null)");
  }
}
