package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dro4j.Fixtures;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stacking caches of different lengths into one batch, and cutting a part back out, copy every slot exactly. */
class KvCacheTest {
  static NDManager manager;
  static Transformer qwen;

  @BeforeAll
  static void load() {
    manager = TensorEngine.newManager();
    Path q = Fixtures.fixture("tiny-qwen2");
    qwen = Transformer.load(q, ModelConfig.loadFromDir(q), manager);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** A cache of {@code rows} rows holding {@code ids} (the last row's first token padding), prefilled by libtorch. */
  static KvCache prefilled(int rows, int[] ids, int capacity) {
    KvCache cache = qwen.newCache(manager, rows, capacity);
    int[][] tokens = new int[rows][];
    boolean[][] valid = new boolean[rows][ids.length];
    for (int r = 0; r < rows; r++) {
      tokens[r] = ids.clone();
      java.util.Arrays.fill(valid[r], true);
    }
    valid[rows - 1][0] = false;
    try (NDManager m = manager.newSubManager()) {
      qwen.forward(cache, tokens, valid, m);
    }
    return cache;
  }

  @Test
  void stackRightAlignsEachPartAndSliceGivesItBackBitForBit() {
    try (KvCache a = prefilled(2, new int[] {3, 5, 7}, 10);
        KvCache b = prefilled(1, new int[] {2, 4, 6, 8, 9}, 12);
        KvCache stacked = KvCache.stack(List.of(a, b), 9)) {
      assertThat(stacked.batchSize()).isEqualTo(3);
      assertThat(stacked.length()).isEqualTo(5);
      assertThat(stacked.capacity()).isEqualTo(9);
      // a's rows are padded by two invalid slots in front, b's row is as it was
      for (int s = 0; s < 5; s++) {
        assertThat(stacked.isValid(0, s)).isEqualTo(s >= 2);
        assertThat(stacked.isValid(2, s)).isEqualTo(s >= 1);
      }
      assertThat(stacked.isValid(1, 2)).isFalse(); // a's own padding stays
      assertThat(stacked.validTokens(0)).containsExactly(3, 5, 7);
      assertThat(stacked.validTokens(1)).containsExactly(5, 7);
      assertThat(stacked.validTokens(2)).containsExactly(4, 6, 8, 9);
      assertThat(stacked.positionsRow(0)[4]).isEqualTo(a.positionsRow(0)[2]);
      assertSameSlots(a, 0, stacked, 0, 2, 2, 3);
      assertSameSlots(b, 0, stacked, 2, 0, 1, 5);
      try (KvCache back = stacked.slice(0, 2, 2, 3, 10)) {
        assertThat(back.length()).isEqualTo(3);
        assertThat(back.capacity()).isEqualTo(10);
        for (int r = 0; r < 2; r++) {
          for (int s = 0; s < 10; s++) {
            assertThat(back.isValid(r, s)).isEqualTo(a.isValid(r, s));
            assertThat(back.positionsRow(r)[s]).isEqualTo(a.positionsRow(r)[s]);
          }
        }
        assertSameSlots(a, 0, back, 0, 0, 2, 10); // the unwritten slots too: zeros in both
      }
      assertThatThrownBy(() -> stacked.slice(2, 1, 0, 6, 6)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("do not fit");
      assertThatThrownBy(() -> KvCache.stack(List.of(a, b), 4)).hasMessageContaining("capacity 4");
    }
  }

  /** Every layer's keys and values of {@code rows} rows and {@code slots} slots, {@code from} at {@code fromRow, 0} and {@code to} at {@code toRow, toSlot}. */
  private static void assertSameSlots(KvCache from, int fromRow, KvCache to, int toRow, int toSlot, int rows, int slots) {
    ModelConfig c = qwen.config();
    int headDim = c.headDim();
    for (int l = 0; l < c.numLayers(); l++) {
      for (ByteBuffer[] pair : new ByteBuffer[][] {{from.keyBuffer(l), to.keyBuffer(l)}, {from.valueBuffer(l), to.valueBuffer(l)}}) {
        for (int r = 0; r < rows; r++) {
          for (int h = 0; h < c.numKvHeads(); h++) {
            for (int s = 0; s < slots; s++) {
              for (int i = 0; i < headDim; i++) {
                int a = 4 * ((((fromRow + r) * c.numKvHeads() + h) * from.capacity() + s) * headDim + i);
                int b = 4 * ((((toRow + r) * c.numKvHeads() + h) * to.capacity() + toSlot + s) * headDim + i);
                assertThat(pair[1].getInt(b)).as("layer %d row %d head %d slot %d", l, r, h, s).isEqualTo(pair[0].getInt(a));
              }
            }
          }
        }
      }
    }
  }
}
