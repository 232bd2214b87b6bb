package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dro4j.BadInputException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Adam with decoupled weight decay (AdamW, Loshchilov &amp; Hutter 2019, arXiv 1711.05101), with the
 * semantics of {@code torch.optim.AdamW} (single-tensor path, amsgrad off, maximize off). For each
 * parameter p with gradient g, at step t = 1, 2, ...:
 *
 * <pre>
 *   p   = p * (1 - lr * weight_decay)                  decay first, on the parameter itself
 *   m   = beta1 * m + (1 - beta1) * g
 *   v   = beta2 * v + (1 - beta2) * g^2
 *   p   = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * Config names follow transformers' TrainingArguments: {@code adam_beta1} (0.9), {@code adam_beta2}
 * (0.999), {@code adam_epsilon} (1e-8), {@code weight_decay} (0.0 in transformers; torch's own
 * default is 0.01). Parameters are updated in place, in their dtype (fp32 master weights).
 *
 * <p>The state (m, v per parameter name and the step count) lives in the manager given at
 * construction, outside any per-step scope, and can be read and restored as float arrays for
 * checkpoints. Like torch the step count is shared by all parameters that have been updated.
 */
public final class AdamW {
  /**
   * transformers' {@code Trainer.get_decay_parameter_names} name patterns: biases and norm weights
   * get no weight decay.
   */
  private static final List<Pattern> NO_DECAY_PATTERNS =
      List.of(
          Pattern.compile("bias"),
          Pattern.compile("layernorm"),
          Pattern.compile("rmsnorm"),
          Pattern.compile("(?:^|\\.)norm(?:$|\\.)"),
          Pattern.compile("_norm(?:$|\\.)"));

  /**
   * Most elements of a parameter updated at once: the size of the update's temporaries, 512 KiB of
   * fp32, under the 1 MiB from which glibc maps blocks of their own (see {@code VectorRelaunch}), so
   * the same heap memory serves slice after slice instead of fresh pages each time.
   */
  static final long SLICE_ELEMENTS = 1 << 17;

  private final NDManager stateManager;
  private final long slice;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final Predicate<String> decays;
  private final Map<String, NDArray> expAvg = new HashMap<>();
  private final Map<String, NDArray> expAvgSq = new HashMap<>();
  /** Restored state waiting for the parameter's first step (its shape is known only then). */
  private final Map<String, float[][]> pending = new HashMap<>();
  private long step;

  /**
   * An AdamW that decays every parameter.
   *
   * @param stateManager where m and v live (outlives every step)
   */
  public AdamW(NDManager stateManager, double beta1, double beta2, double epsilon, double weightDecay) {
    this(stateManager, beta1, beta2, epsilon, weightDecay, name -> true);
  }

  /**
   * An AdamW that decays only the parameters whose name {@code decays} accepts (see {@link
   * #transformersDecayFilter()}).
   *
   * @param stateManager where m and v live (outlives every step)
   * @param beta1 {@code adam_beta1}, decay of the first moment, in [0, 1)
   * @param beta2 {@code adam_beta2}, decay of the second moment, in [0, 1)
   * @param epsilon {@code adam_epsilon}, added to sqrt(v_hat)
   * @param weightDecay {@code weight_decay}, decoupled: p *= 1 - lr * weight_decay
   * @param decays which parameter names get weight decay (null: all)
   */
  public AdamW(
      NDManager stateManager,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      Predicate<String> decays) {
    this(stateManager, beta1, beta2, epsilon, weightDecay, decays, SLICE_ELEMENTS);
  }

  /** As above, updating at most {@code slice} elements of a parameter at once (tests use small slices). */
  AdamW(NDManager stateManager, double beta1, double beta2, double epsilon, double weightDecay,
      Predicate<String> decays, long slice) {
    if (slice < 1) throw new IllegalArgumentException("AdamW: slice must be >= 1, got " + slice);
    this.slice = slice;
    if (stateManager == null) throw new BadInputException("AdamW: no NDManager for the state");
    if (!(beta1 >= 0 && beta1 < 1)) throw new BadInputException("adam_beta1 must be in [0, 1), got " + beta1);
    if (!(beta2 >= 0 && beta2 < 1)) throw new BadInputException("adam_beta2 must be in [0, 1), got " + beta2);
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new BadInputException("adam_epsilon must be a finite value >= 0, got " + epsilon);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new BadInputException("weight_decay must be a finite value >= 0, got " + weightDecay);
    }
    this.stateManager = stateManager;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.decays = decays == null ? name -> true : decays;
  }

  /**
   * transformers' rule for which parameters get weight decay: none whose lower-cased name contains
   * "bias", "layernorm", "rmsnorm", a ".norm." / "_norm." component (e.g. {@code model.norm.weight},
   * {@code input_layernorm.weight}).
   */
  public static Predicate<String> transformersDecayFilter() {
    return name -> {
      String n = name.toLowerCase(Locale.ROOT);
      return NO_DECAY_PATTERNS.stream().noneMatch(p -> p.matcher(n).find());
    };
  }

  /**
   * One optimizer step over all {@code params} with learning rate {@code lr}. Gradients are read,
   * not changed; zeroing them is the caller's job.
   */
  public void step(List<NamedParameter> params, double lr) {
    step(params, lr, p -> {});
  }

  /**
   * One optimizer step, parameter by parameter: {@code updated} is called with each parameter as soon
   * as its update is done, before the next one's. The trainer frees the gradient there (as {@code
   * zero_grad(set_to_none=True)} would after the step), so the moments a first step allocates take
   * the place of gradients already used instead of adding to all of them.
   *
   * <p>Moments are created when their parameter's turn comes, and each parameter is updated in slices
   * of at most {@link #SLICE_ELEMENTS} elements, so no temporary is the size of a parameter. The ops
   * are element-wise, so the result is the same bits as one pass over the whole tensor. A moment that
   * does not fit its parameter (restored state of another model) is reported before anything changes.
   */
  public void step(List<NamedParameter> params, double lr, Consumer<NamedParameter> updated) {
    if (params == null) throw new BadInputException("AdamW: no parameters given");
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new BadInputException("learning rate must be a finite value >= 0, got " + lr);
    }
    Set<String> seen = new LinkedHashSet<>();
    for (NamedParameter p : params) {
      if (!seen.add(p.name())) throw new BadInputException("AdamW: parameter " + p.name() + " given twice");
      if (!p.data().getDataType().isFloating()) {
        throw new BadInputException("AdamW: parameter " + p.name() + " is not floating point");
      }
      checkState(p);
    }
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    double stepSize = lr / bc1;
    double decay = weightDecay != 0 ? 1 - lr * weightDecay : 1;
    for (NamedParameter p : params) {
      NDArray m = moment(expAvg, p, 0);
      NDArray v = moment(expAvgSq, p, 1);
      boolean decays = weightDecay != 0 && this.decays.test(p.name());
      long rows = p.data().getShape().dimension() == 0 ? 1 : p.data().getShape().get(0);
      long rowSize = Math.max(1, p.data().size() / Math.max(1, rows));
      long sliceRows = Math.max(1, slice / rowSize);
      if (p.data().getShape().dimension() == 0 || sliceRows >= rows) {
        update(p.data(), p.grad(), m, v, decays ? decay : 1, stepSize, bc2Sqrt);
      } else {
        for (long r0 = 0; r0 < rows; r0 += sliceRows) {
          NDIndex range = new NDIndex("{}:{}", r0, Math.min(rows, r0 + sliceRows));
          try (NDArray d = p.data().get(range);
              NDArray g = p.grad().get(range);
              NDArray ms = m.get(range);
              NDArray vs = v.get(range)) {
            update(d, g, ms, vs, decays ? decay : 1, stepSize, bc2Sqrt);
          }
        }
      }
      updated.accept(p);
    }
  }

  /**
   * The update of one parameter, or of matching slices of it, its gradient and its moments: decay,
   * both moments, then the step, each an in-place op on {@code data}, {@code m} and {@code v}.
   */
  private void update(NDArray data, NDArray gradient, NDArray m, NDArray v, double decay, double stepSize,
      double bc2Sqrt) {
    NDArray g = gradient;
    boolean converted = g.getDataType() != data.getDataType();
    if (converted) g = g.toType(data.getDataType(), true);
    try {
      if (decay != 1) data.muli(decay);
      try (NDArray scaled = g.mul(1 - beta1)) {
        m.muli(beta1).addi(scaled);
      }
      try (NDArray sq = g.square()) {
        v.muli(beta2).addi(sq.muli(1 - beta2));
      }
      try (NDArray denom = v.sqrt();
          NDArray update = m.mul(stepSize)) {
        denom.divi(bc2Sqrt).addi(epsilon);
        data.subi(update.divi(denom));
      }
    } finally {
      if (converted) g.close();
    }
  }

  /** Steps taken so far (torch's {@code state["step"]}). */
  public long stepCount() {
    return step;
  }

  /** Restores the step count from a checkpoint. */
  public void setStepCount(long step) {
    if (step < 0) throw new BadInputException("AdamW: step count must be >= 0, got " + step);
    this.step = step;
  }

  /** Names of the parameters that have state (updated at least once, or restored). */
  public Set<String> stateNames() {
    Set<String> names = new LinkedHashSet<>(expAvg.keySet());
    names.addAll(pending.keySet());
    return names;
  }

  /** First moment m of a parameter, flattened, or null when it has no state. */
  public float[] expAvg(String name) {
    if (pending.containsKey(name)) return pending.get(name)[0].clone();
    return toFloats(expAvg.get(name));
  }

  /** Second moment v of a parameter, flattened, or null when it has no state. */
  public float[] expAvgSq(String name) {
    if (pending.containsKey(name)) return pending.get(name)[1].clone();
    return toFloats(expAvgSq.get(name));
  }

  /**
   * Restores a parameter's moments (flattened, row-major, as {@link #expAvg} returns them). The
   * lengths are checked against the parameter at its next step.
   */
  public void setState(String name, float[] expAvg, float[] expAvgSq) {
    if (name == null || expAvg == null || expAvgSq == null) {
      throw new BadInputException("AdamW state: name and both moments must be given");
    }
    if (expAvg.length != expAvgSq.length) {
      throw new BadInputException(
          "AdamW state of " + name + ": exp_avg has " + expAvg.length + " values but exp_avg_sq " + expAvgSq.length);
    }
    for (float x : expAvgSq) {
      if (!(x >= 0)) throw new BadInputException("AdamW state of " + name + ": exp_avg_sq has a value " + x);
    }
    NDArray oldM = this.expAvg.remove(name);
    NDArray oldV = this.expAvgSq.remove(name);
    if (oldM != null) oldM.close();
    if (oldV != null) oldV.close();
    pending.put(name, new float[][] {expAvg.clone(), expAvgSq.clone()});
  }

  private static float[] toFloats(NDArray x) {
    if (x == null) return null;
    if (x.getDataType() == DataType.FLOAT32) return x.toFloatArray();
    try (NDArray f = x.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  /** Throws when {@code p}'s state (kept or restored) does not fit it; allocates nothing. */
  private void checkState(NamedParameter p) {
    NDArray s = expAvg.get(p.name());
    if (s != null) {
      if (!s.getShape().equals(p.data().getShape())) {
        throw new BadInputException(
            "AdamW: parameter " + p.name() + " has shape " + p.data().getShape()
                + " but its optimizer state " + s.getShape());
      }
      return;
    }
    float[][] restored = pending.get(p.name());
    if (restored == null) return;
    long size = p.data().getShape().size();
    for (float[] moment : restored) {
      if (moment.length != size) {
        throw new BadInputException(
            "AdamW state of " + p.name() + ": " + moment.length + " values for a parameter of "
                + size + " " + Arrays.toString(p.data().getShape().getShape()));
      }
    }
  }

  /** The moment (0 = m, 1 = v) of {@code p} (checked by {@link #checkState}), created as zeros or from restored state. */
  private NDArray moment(Map<String, NDArray> state, NamedParameter p, int which) {
    NDArray s = state.get(p.name());
    if (s != null) return s;
    float[][] restored = pending.get(p.name());
    DataType type = p.data().getDataType();
    if (restored != null) {
      s = stateManager.create(restored[which], p.data().getShape());
      if (type != DataType.FLOAT32) {
        NDArray f32 = s;
        s = f32.toType(type, true);
        f32.close();
      }
      if (which == 1) pending.remove(p.name());
    } else {
      s = stateManager.zeros(p.data().getShape(), type);
    }
    state.put(p.name(), s);
    return s;
  }
}
