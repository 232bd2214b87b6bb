package dro4j.rl;

/**
 * Derives independent seeds from a run's seed and coordinates such as (step) or (epoch), so that
 * every random choice of training is a pure function of the configuration and the step: a resumed
 * run reproduces a straight one without saving any random-generator state. Uses SplitMix64's
 * finalizer (Steele et al. 2014), a bijection that spreads every input bit, so nearby coordinates
 * give unrelated streams.
 */
public final class Seeds {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** A seed for {@code (seed, purpose, coordinates...)}; {@code purpose} keeps streams of different uses apart. */
  public static long derive(long seed, String purpose, long... coordinates) {
    long h = mix(seed ^ purpose.hashCode() * GOLDEN);
    for (long c : coordinates) {
      h = mix(h + GOLDEN * (c + 1));
    }
    return h;
  }

  /** The seed of the rollouts of step {@code step}; the generator derives one stream per row from it. */
  public static long rollouts(long seed, long step) {
    return derive(seed, "rollouts", step);
  }

  /**
   * The seed of one prompt group of step {@code step}: the group of example {@code exampleId}, the
   * {@code occurrence}-th time (from 0) that example appears in the step (a step that wraps around an
   * epoch can hold an example twice). A group's rollouts depend on (seed, step, example) only, not on the
   * other prompts of the step or on where the group is sampled, so rollout workers can split a step's
   * groups between machines. Hashes the id as {@link dro4j.eval.Evaluator#exampleSeed} does.
   */
  public static long groupRollouts(long seed, long step, String exampleId, int occurrence) {
    long base = dro4j.eval.Evaluator.exampleSeed(rollouts(seed, step), exampleId);
    return occurrence == 0 ? base : derive(base, "rollouts_repeat", occurrence);
  }

  /**
   * The seed of row {@code row} of optimizer update {@code update} for LoRA dropout masks (rows counted
   * across the update's micro-batches).
   */
  public static long loraDropout(long seed, long update, long row) {
    return derive(seed, "lora_dropout", update, row);
  }

  /** Row seeds {@link #loraDropout} for rows {@code firstRow .. firstRow + rows - 1} of an update. */
  public static long[] loraDropoutRows(long seed, long update, int firstRow, int rows) {
    long[] out = new long[rows];
    for (int b = 0; b < rows; b++) out[b] = loraDropout(seed, update, firstRow + b);
    return out;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
