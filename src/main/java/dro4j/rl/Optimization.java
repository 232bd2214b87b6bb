package dro4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dro4j.model.Transformer;
import dro4j.rl.config.TrainingArguments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The optimizer machinery GRPO and SFT share: gradients on every trainable parameter of the model
 * (fp32 master weights; with a LoRA adapter attached, its factors only), zeroing them before each accumulation window, global-norm clipping, the
 * non-finite guard, and AdamW with the learning-rate schedule.
 *
 * <p>The guard: when the gradient norm is NaN or infinite the update is skipped (parameters and
 * AdamW state untouched) and reported as not applied; the caller counts it and training goes on.
 * The schedule advances with the update index the caller passes, applied or not, so it stays aligned
 * with the data; AdamW's own step count (its bias correction) counts applied updates only.
 *
 * <p>Memory: AdamW's moments live in a sub-manager of the model's, outside every step. An update
 * frees each gradient as soon as its parameter is updated ({@code set_to_none}; a skipped update
 * frees them all), so between updates only the weights and moments remain, and a first update's
 * moments replace gradients instead of adding to them. DJL hands out a new handle for a gradient on
 * each {@code getGradient()} call; every handle taken here is closed again, so the parameter manager
 * does not grow step after step.
 */
public final class Optimization implements AutoCloseable {
  private final Transformer model;
  private final NDManager stateManager;
  private final AdamW adam;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  /** The parameters this optimization attached gradients to, detached again by {@link #close}. */
  private final List<NDArray> trained;

  /**
   * Attaches gradients to every parameter of {@code model} and prepares AdamW and the schedule.
   *
   * @param totalUpdates optimizer updates of the whole run (the schedule's horizon)
   */
  public Optimization(Transformer model, TrainingArguments args, long totalUpdates) {
    this.model = model;
    // With a LoRA adapter only its factors train: the frozen base gets no gradient and no AdamW state.
    this.trained = List.copyOf(model.trainableParameters().values());
    for (NDArray p : trained) {
      p.setRequiresGradient(true);
    }
    this.stateManager = model.manager().newSubManager();
    this.adam = new AdamW(stateManager, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay(),
        AdamW.transformersDecayFilter());
    this.schedule = LrSchedule.of(args.lrSchedulerType(), args.learningRate(), Math.max(1, totalUpdates),
        args.warmupSteps(), args.warmupRatio());
    this.maxGradNorm = args.maxGradNorm();
    zeroGradients(model);
  }

  /**
   * The outcome of one update.
   *
   * @param applied false when the non-finite guard skipped it
   * @param gradNorm global gradient norm before clipping
   * @param learningRate the scheduled learning rate of this update
   */
  public record Update(boolean applied, double gradNorm, double learningRate) {}

  /** Zeroes every gradient (NaN-safe: the values are overwritten, not multiplied). */
  public void zeroGradients() {
    zeroGradients(model);
  }

  /** Zeroes the gradients of every parameter of {@code model} that has one attached. */
  public static void zeroGradients(Transformer model) {
    NDIndex all = new NDIndex("...");
    // set(index, Number) would leave a scalar array in the parameter's manager on every call
    try (NDManager scratch = model.manager().newSubManager()) {
      NDArray zero = scratch.create(0f);
      for (NDArray p : model.trainableParameters().values()) {
        // a released gradient (see update) has nothing to zero; getGradient would make a zeros array
        NDArray g = p.hasGradient() ? JniUtils.getGradient((PtNDArray) p) : null;
        if (g != null) {
          try (g) {
            g.set(all, zero);
          }
        }
      }
    }
  }

  /** The learning rate of update {@code updateIndex} (0-based). */
  public double learningRate(long updateIndex) {
    return schedule.lr(updateIndex);
  }

  /**
   * Clips the accumulated gradients (when {@code max_grad_norm} > 0) and applies AdamW at the
   * scheduled rate, unless the gradient norm is not finite. Either way the gradients are freed
   * afterwards (each one as soon as its parameter is updated), so the next window starts from none.
   *
   * @param updateIndex 0-based index of this update in the run (for the schedule)
   */
  public Update update(long updateIndex) {
    double lr = schedule.lr(updateIndex);
    List<NamedParameter> params = new ArrayList<>();
    try {
      for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
        params.add(NamedParameter.withAutogradGradient(e.getKey(), e.getValue()));
      }
      double norm = maxGradNorm > 0 ? GradientClipping.clip(params, maxGradNorm) : GradientClipping.globalNorm(params);
      if (!Double.isFinite(norm)) {
        return new Update(false, norm, lr);
      }
      adam.step(params, lr, Optimization::releaseGradient);
      return new Update(true, norm, lr);
    } finally {
      // a skipped update frees them too: no NaN gradient is left for the next window
      for (NamedParameter p : params) {
        if (!p.grad().isReleased()) releaseGradient(p);
      }
    }
  }

  /**
   * Frees the gradient of a parameter whose update is done, as {@code zero_grad(set_to_none=True)}
   * does (DJL has no call for that): the parameter's handle is swapped for one over the same storage
   * without autograd state, so the gradient tensor has no owner left. The next backward creates it
   * again, holding exactly the sum of its contributions (no zeros to add them to).
   */
  private static void releaseGradient(NamedParameter p) {
    p.grad().close();
    swapForFreshHandle(p.data(), true);
  }

  /**
   * Swaps {@code p}'s handle for one over the same storage without autograd state (its gradient goes
   * with the old handle), requiring a gradient again when {@code trainable}. Set on {@code p} itself,
   * since DJL caches that flag per array object.
   */
  private static void swapForFreshHandle(NDArray p, boolean trainable) {
    p.intern(p.stopGradient());
    p.setRequiresGradient(trainable);
  }

  /** The optimizer (its moments and step count are what a checkpoint saves). */
  public AdamW optimizer() {
    return adam;
  }

  /** Restores AdamW from a checkpoint's state. */
  public void restore(ResumeState state) {
    adam.setStepCount(state.optimizerSteps());
    for (Map.Entry<String, float[]> e : state.expAvg().entrySet()) {
      float[] v = state.expAvgSq().get(e.getKey());
      if (v == null) {
        throw new dro4j.BadInputException("resume state: parameter " + e.getKey() + " has exp_avg but no exp_avg_sq");
      }
      adam.setState(e.getKey(), e.getValue(), v);
    }
  }

  /**
   * Frees the optimizer state and freezes the parameters this optimization trained again: none keeps a
   * gradient or requires one, and their values stay as the last update left them.
   */
  @Override
  public void close() {
    stateManager.close();
    // Frozen again, without gradients: a later forward of the model records nothing for them. Left
    // attached, a LoRA run after a full-parameter one on the same model computed and kept all 494M
    // base gradients of the Qwen2.5-0.5B shape in every backward (2 GB and the time to make them).
    for (NDArray p : trained) {
      if (!p.isReleased() && p.hasGradient()) swapForFreshHandle(p, false);
    }
  }
}
