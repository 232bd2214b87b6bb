package dro4j.rl;

import dro4j.BadInputException;
import java.util.SplittableRandom;

/**
 * The order in which training visits a data set, as a pure function of (seed, position): the data
 * is an endless sequence of epochs, each a permutation of the examples (drawn from the seed and the
 * epoch number, or file order without shuffling), and step {@code s} of a run that takes {@code k}
 * examples per step reads positions {@code s*k .. s*k + k - 1}. Resuming at step s therefore needs
 * only s. Like a PyTorch sampler without {@code drop_last}, a step may straddle two epochs.
 */
public final class DataOrder {
  private final int size;
  private final long seed;
  private final boolean shuffle;
  private int cachedEpoch = -1;
  private int[] cachedPermutation;

  /**
   * @param size number of examples, at least 1
   * @param seed the run's seed
   * @param shuffle shuffle each epoch; false visits the examples in order every epoch
   */
  public DataOrder(int size, long seed, boolean shuffle) {
    if (size < 1) throw new BadInputException("the data set is empty");
    this.size = size;
    this.seed = seed;
    this.shuffle = shuffle;
  }

  /** Example indices for positions {@code start .. start + count - 1}. */
  public int[] indices(long start, int count) {
    if (start < 0 || count < 0) throw new IllegalArgumentException("start and count must be >= 0");
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      long position = start + i;
      out[i] = permutation(Math.toIntExact(position / size))[(int) (position % size)];
    }
    return out;
  }

  /** The (fractional) epoch reached after {@code position} examples. */
  public double epoch(long position) {
    return (double) position / size;
  }

  private int[] permutation(int epoch) {
    if (epoch != cachedEpoch) {
      int[] p = new int[size];
      for (int i = 0; i < size; i++) p[i] = i;
      if (shuffle) {
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, "data", epoch));
        for (int i = size - 1; i > 0; i--) {
          int j = rng.nextInt(i + 1);
          int t = p[i];
          p[i] = p[j];
          p[j] = t;
        }
      }
      cachedPermutation = p;
      cachedEpoch = epoch;
    }
    return cachedPermutation;
  }
}
