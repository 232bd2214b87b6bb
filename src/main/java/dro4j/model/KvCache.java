package dro4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Keys and values of every layer for a batch of rows, plus the host-side bookkeeping that makes
 * ragged rows work: which cache slot holds a real token, its position id and its token id.
 *
 * <p>Rows share slot indices: slot {@code s} of every row was written by the same forward call.
 * Padding (left padding of prompts, rows that finished early, right padding of a ragged continuation)
 * occupies slots that are marked invalid and never attended to. A row's position ids count only its
 * valid slots, which is what Hugging Face's {@code cumsum(attention_mask) - 1} computes.
 *
 * <p>{@link #mark()} and {@link #rollback(Mark)} let several continuations (for example scoring a
 * reference answer after each rollout, then again after a masked reasoning) start from the same cache
 * without copying it.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final int layers;
  private final int kvHeads;
  private final int headDim;
  private int batch;
  private int capacity;
  private int length;
  private NDArray[] keys; // per layer [batch, kvHeads, capacity, headDim]
  private NDArray[] values;
  private boolean[][] valid; // [batch][capacity]
  private int[][] positions; // [batch][capacity]
  private int[][] tokens; // [batch][capacity]
  private java.nio.ByteBuffer[] keyViews; // in-place views of keys/values for the Java decode path, made on demand
  private java.nio.ByteBuffer[] valueViews;
  private boolean closed;

  /** An empty cache for {@code batch} rows with room for {@code capacity} slots (it grows on demand). */
  public KvCache(NDManager parent, ModelConfig config, int batch, int capacity) {
    this.manager = parent.newSubManager();
    this.layers = config.numLayers();
    this.kvHeads = config.numKvHeads();
    this.headDim = config.headDim();
    this.batch = batch;
    this.capacity = Math.max(1, capacity);
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    Shape shape = new Shape(batch, kvHeads, this.capacity, headDim);
    for (int l = 0; l < layers; l++) {
      keys[l] = manager.zeros(shape, DataType.FLOAT32);
      values[l] = manager.zeros(shape, DataType.FLOAT32);
    }
    valid = new boolean[batch][this.capacity];
    positions = new int[batch][this.capacity];
    tokens = new int[batch][this.capacity];
  }

  /** Number of rows. */
  public int batchSize() {
    return batch;
  }

  /** Number of slots written so far (the same for every row). */
  public int length() {
    return length;
  }

  /** Whether slot {@code slot} of {@code row} holds a real token. */
  public boolean isValid(int row, int slot) {
    return valid[row][slot];
  }

  /** The token id written at a valid slot. */
  public int token(int row, int slot) {
    return tokens[row][slot];
  }

  /** Number of valid tokens in a row (the next position id). */
  public int validCount(int row) {
    int n = 0;
    for (int s = 0; s < length; s++) {
      if (valid[row][s]) {
        n++;
      }
    }
    return n;
  }

  /** The valid token ids of a row, in order. */
  public int[] validTokens(int row) {
    int[] out = new int[validCount(row)];
    int n = 0;
    for (int s = 0; s < length; s++) {
      if (valid[row][s]) {
        out[n++] = tokens[row][s];
      }
    }
    return out;
  }

  /**
   * Keeps only the first {@code keep} valid tokens of a row: later valid slots are marked invalid,
   * so a continuation attends to exactly that prefix. The keys and values stay in place.
   */
  public void keepPrefix(int row, int keep) {
    int seen = 0;
    for (int s = 0; s < length; s++) {
      if (valid[row][s]) {
        if (seen >= keep) {
          valid[row][s] = false;
        }
        seen++;
      }
    }
    if (keep > seen) {
      throw new IllegalArgumentException("row " + row + " has " + seen + " tokens, cannot keep " + keep);
    }
  }

  /** A saved state: the slot count and the validity of every slot before it. */
  public record Mark(int length, boolean[][] valid) {}

  /** Saves the current state so that later appends and {@link #keepPrefix} calls can be undone. */
  public Mark mark() {
    boolean[][] copy = new boolean[batch][];
    for (int b = 0; b < batch; b++) {
      copy[b] = Arrays.copyOf(valid[b], length);
    }
    return new Mark(length, copy);
  }

  /** Restores a state saved by {@link #mark()}; slots written since are dropped. */
  public void rollback(Mark mark) {
    if (mark.valid().length != batch) {
      throw new IllegalArgumentException("mark was taken with a different batch size");
    }
    for (int b = 0; b < batch; b++) {
      Arrays.fill(valid[b], false);
      System.arraycopy(mark.valid()[b], 0, valid[b], 0, mark.length());
    }
    length = mark.length();
  }

  /**
   * Makes a new cache whose row {@code i} is a copy of row {@code rows[i]} of this one (rows may repeat):
   * used to share one prompt prefill among the rollouts of a group.
   */
  public KvCache selectRows(int[] rows) {
    KvCache out = new KvCache(this, rows.length);
    try (NDManager tmp = manager.newSubManager()) {
      long[] idx = new long[rows.length];
      for (int i = 0; i < rows.length; i++) {
        idx[i] = rows[i];
      }
      NDArray index = tmp.create(idx);
      for (int l = 0; l < layers; l++) {
        out.keys[l] = keys[l].get(new NDIndex("{}", index));
        out.keys[l].attach(out.manager);
        out.values[l] = values[l].get(new NDIndex("{}", index));
        out.values[l].attach(out.manager);
      }
    }
    for (int i = 0; i < rows.length; i++) {
      out.valid[i] = valid[rows[i]].clone();
      out.positions[i] = positions[rows[i]].clone();
      out.tokens[i] = tokens[rows[i]].clone();
    }
    out.length = length;
    return out;
  }

  /**
   * The rows of {@code parts} one after another in a new cache of {@code capacity} slots, each part
   * right-aligned to the longest: slot {@code s} of a part of length {@code n} becomes slot {@code s +
   * (longest - n)}, and the slots before it are invalid padding. Positions and token ids go with their
   * slots, so every row attends to what it did alone; the Java decode kernels give such a row the same
   * bits ({@code DecodeKernels.attend}), which {@link #slice} then hands back in the part's own
   * layout. The parts stay open and unchanged.
   */
  public static KvCache stack(List<KvCache> parts, int capacity) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to stack");
    }
    KvCache like = parts.get(0);
    int longest = 0;
    int rows = 0;
    for (KvCache p : parts) {
      p.checkOpen();
      if (p.layers != like.layers || p.kvHeads != like.kvHeads || p.headDim != like.headDim) {
        throw new IllegalArgumentException("caches of different models cannot be stacked");
      }
      longest = Math.max(longest, p.length);
      rows += p.batch;
    }
    if (capacity < longest) {
      throw new IllegalArgumentException("capacity " + capacity + " is below the longest part's " + longest + " slots");
    }
    KvCache out = new KvCache(like, rows, capacity);
    out.zeroTensors();
    int row = 0;
    for (KvCache p : parts) {
      int offset = longest - p.length;
      if (p.length > 0) {
        NDIndex from = new NDIndex(":, :, :{}", p.length);
        NDIndex to = new NDIndex("{}:{}, :, {}:{}", row, row + p.batch, offset, longest);
        for (int l = 0; l < out.layers; l++) {
          try (NDArray k = p.keys[l].get(from); NDArray v = p.values[l].get(from)) {
            out.keys[l].set(to, k);
            out.values[l].set(to, v);
          }
        }
      }
      for (int b = 0; b < p.batch; b++, row++) {
        out.copyBookkeeping(row, p, b, 0, offset, p.length);
      }
    }
    out.length = longest;
    return out;
  }

  /**
   * Rows {@code fromRow .. fromRow + rows} and slots {@code fromSlot .. fromSlot + length} of this cache
   * as a new cache of {@code capacity} slots, with slot {@code fromSlot} as its slot 0: a part of
   * {@link #stack} back in its own layout. This cache stays open and unchanged.
   */
  public KvCache slice(int fromRow, int rows, int fromSlot, int length, int capacity) {
    checkOpen();
    if (fromRow < 0 || rows < 1 || fromRow + rows > batch || fromSlot < 0 || length < 0 || fromSlot + length > this.length
        || capacity < Math.max(1, length)) {
      throw new IllegalArgumentException("rows " + fromRow + "+" + rows + ", slots " + fromSlot + "+" + length
          + " and capacity " + capacity + " do not fit a cache of " + batch + " rows and " + this.length + " slots");
    }
    KvCache out = new KvCache(this, rows, capacity);
    out.zeroTensors();
    if (length > 0) {
      NDIndex from = new NDIndex("{}:{}, :, {}:{}", fromRow, fromRow + rows, fromSlot, fromSlot + length);
      NDIndex to = new NDIndex(":, :, :{}", length);
      for (int l = 0; l < layers; l++) {
        try (NDArray k = keys[l].get(from); NDArray v = values[l].get(from)) {
          out.keys[l].set(to, k);
          out.values[l].set(to, v);
        }
      }
    }
    for (int b = 0; b < rows; b++) {
      out.copyBookkeeping(b, this, fromRow + b, fromSlot, 0, length);
    }
    out.length = length;
    return out;
  }

  /** Fills a shell's keys and values with zeros of its shape. */
  private void zeroTensors() {
    Shape shape = new Shape(batch, kvHeads, capacity, headDim);
    for (int l = 0; l < layers; l++) {
      keys[l] = manager.zeros(shape, DataType.FLOAT32);
      values[l] = manager.zeros(shape, DataType.FLOAT32);
    }
  }

  /** Row {@code row} of this shell: {@code length} slots of {@code source}'s row {@code sourceRow} from {@code from}, placed at {@code to}; the rest invalid. */
  private void copyBookkeeping(int row, KvCache source, int sourceRow, int from, int to, int length) {
    valid[row] = new boolean[capacity];
    positions[row] = new int[capacity];
    tokens[row] = new int[capacity];
    System.arraycopy(source.valid[sourceRow], from, valid[row], to, length);
    System.arraycopy(source.positions[sourceRow], from, positions[row], to, length);
    System.arraycopy(source.tokens[sourceRow], from, tokens[row], to, length);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the KV cache is closed");
    }
  }

  /** An empty shell shaped like {@code like} with {@code rows} rows; the caller fills the arrays. */
  private KvCache(KvCache like, int rows) {
    this(like, rows, like.capacity);
  }

  /** An empty shell shaped like {@code like} with {@code rows} rows of {@code capacity} slots; the caller fills the arrays. */
  private KvCache(KvCache like, int rows, int capacity) {
    this.manager = like.manager.getParentManager().newSubManager();
    this.layers = like.layers;
    this.kvHeads = like.kvHeads;
    this.headDim = like.headDim;
    this.batch = rows;
    this.capacity = capacity;
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    this.valid = new boolean[rows][];
    this.positions = new int[rows][];
    this.tokens = new int[rows][];
  }

  /**
   * Reserves {@code count} new slots for a forward call: records validity, token ids and position ids
   * (a valid token's position is the number of valid tokens before it in its row; padding gets position
   * 0). Returns the positions of the new slots, {@code [batch][count]}.
   */
  int[][] reserve(int[][] newTokens, boolean[][] newValid) {
    int count = newTokens[0].length;
    ensureCapacity(length + count);
    int[][] newPositions = new int[batch][count];
    for (int b = 0; b < batch; b++) {
      int next = validCount(b);
      for (int t = 0; t < count; t++) {
        int slot = length + t;
        valid[b][slot] = newValid[b][t];
        tokens[b][slot] = newTokens[b][t];
        positions[b][slot] = newValid[b][t] ? next++ : 0;
        newPositions[b][t] = positions[b][slot];
      }
    }
    return newPositions;
  }

  /**
   * Additive attention bias {@code [batch, 1, 1, count, length + count]} for the {@code count} slots just
   * reserved; see {@link AttentionMask#bias}.
   */
  float[] attentionBias(int count, Integer slidingWindow) {
    return AttentionMask.bias(valid, positions, length, count, slidingWindow);
  }

  /** Writes the new keys/values of one layer ({@code [batch, kvHeads, count, headDim]}) and returns all of them so far. */
  NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
    long count = newKeys.getShape().get(2);
    NDIndex slots = new NDIndex(":, :, {}:{}", length, length + count);
    keys[layer].set(slots, newKeys);
    values[layer].set(slots, newValues);
    NDIndex upTo = new NDIndex(":, :, :{}", length + count);
    return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
  }

  /** Commits the slots reserved by the last forward call. */
  void advance(int count) {
    length += count;
  }

  /** Slots allocated per row. */
  int capacity() {
    return capacity;
  }

  /** Whether slot {@code slot} of each row holds a real token (the live array: read only). */
  boolean[] validRow(int row) {
    return valid[row];
  }

  /** Position ids of each slot of a row (the live array: read only). */
  int[] positionsRow(int row) {
    return positions[row];
  }

  /**
   * Whether the Java decode path can read and write this cache in place: a layer's keys must fit one
   * direct buffer (2 GiB) and live in host memory.
   */
  boolean inPlaceAccessible() {
    return !closed && 4L * batch * kvHeads * capacity * headDim <= Integer.MAX_VALUE
        && !keys[0].getDevice().isGpu();
  }

  /**
   * The keys of a layer, {@code [batch, kvHeads, capacity, headDim]} fp32, as a direct buffer over the
   * tensor's storage: writes through it are what the libtorch path reads next. Valid until the cache
   * grows or closes.
   */
  java.nio.ByteBuffer keyBuffer(int layer) {
    views();
    return keyViews[layer];
  }

  /** The values of a layer, laid out as {@link #keyBuffer}. */
  java.nio.ByteBuffer valueBuffer(int layer) {
    views();
    return valueViews[layer];
  }

  private void views() {
    if (closed) {
      throw new IllegalStateException("the KV cache is closed");
    }
    if (keyViews == null) {
      long bytes = 4L * batch * kvHeads * capacity * headDim;
      java.nio.ByteBuffer[] k = new java.nio.ByteBuffer[layers];
      java.nio.ByteBuffer[] v = new java.nio.ByteBuffer[layers];
      for (int l = 0; l < layers; l++) {
        k[l] = Weights.view(keys[l], bytes, "KV cache keys");
        v[l] = Weights.view(values[l], bytes, "KV cache values");
      }
      keyViews = k;
      valueViews = v;
    }
  }

  private void ensureCapacity(int needed) {
    if (needed <= capacity) {
      return;
    }
    int grown = Math.max(needed, capacity * 2);
    Shape shape = new Shape(batch, kvHeads, grown, headDim);
    NDIndex old = new NDIndex(":, :, :{}", capacity);
    for (int l = 0; l < layers; l++) {
      NDArray k = manager.zeros(shape, DataType.FLOAT32);
      NDArray v = manager.zeros(shape, DataType.FLOAT32);
      k.set(old, keys[l]);
      v.set(old, values[l]);
      keys[l].close();
      values[l].close();
      keys[l] = k;
      values[l] = v;
    }
    keyViews = null; // the old storage is gone
    valueViews = null;
    for (int b = 0; b < batch; b++) {
      valid[b] = Arrays.copyOf(valid[b], grown);
      positions[b] = Arrays.copyOf(positions[b], grown);
      tokens[b] = Arrays.copyOf(tokens[b], grown);
    }
    capacity = grown;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    keyViews = null;
    valueViews = null;
    manager.close();
  }
}
