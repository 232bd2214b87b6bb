package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parameters written straight into PyTorch's storage, in chunks of whole rows. */
class TensorFillTest {
  /** Writes element i's index as its value and records the ranges asked for. */
  private static TensorFill.Source indices(List<long[]> calls) {
    return (first, into) -> {
      calls.add(new long[] {first, into.remaining() / 4});
      var values = into.asFloatBuffer();
      for (long i = first; values.hasRemaining(); i++) values.put(i);
    };
  }

  @Test
  void rowsAreFilledChunkByChunkInOrder() {
    try (NDManager manager = TensorEngine.newManager()) {
      List<long[]> calls = new ArrayList<>();
      // 7 rows of 5 floats, chunks of at most 3 rows (60 bytes): rows 0-2, 3-5, 6
      NDArray a = TensorFill.fp32(manager, new long[] {7, 5}, indices(calls), 60);
      assertThat(a.getShape().getShape()).containsExactly(7, 5);
      float[] values = a.toFloatArray();
      for (int i = 0; i < values.length; i++) assertThat(values[i]).isEqualTo(i);
      assertThat(calls).extracting(c -> c[0] + ":" + c[1]).containsExactly("0:15", "15:15", "30:5");
    }
  }

  @Test
  void vectorsScalarsAndEmptyTensors() {
    try (NDManager manager = TensorEngine.newManager()) {
      List<long[]> calls = new ArrayList<>();
      assertThat(TensorFill.fp32(manager, new long[] {4}, indices(calls), 4).toFloatArray()).containsExactly(0, 1, 2, 3);
      assertThat(TensorFill.fp32(manager, new long[] {}, indices(calls)).toFloatArray()).containsExactly(0);
      assertThat(TensorFill.fp32(manager, new long[] {0, 3}, indices(calls)).size()).isZero();
      assertThat(calls).extracting(c -> c[0] + ":" + c[1]).containsExactly("0:4", "0:1");
    }
  }
}
