package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DataOrderTest {

  @Test
  void everyEpochIsAPermutationAndEpochsDiffer() {
    DataOrder order = new DataOrder(10, 7, true);
    int[] e0 = order.indices(0, 10);
    int[] e1 = order.indices(10, 10);
    assertThat(IntStream.of(e0).sorted().toArray()).containsExactly(IntStream.range(0, 10).toArray());
    assertThat(IntStream.of(e1).sorted().toArray()).containsExactly(IntStream.range(0, 10).toArray());
    assertThat(e0).isNotEqualTo(e1);
    assertThat(e0).isNotEqualTo(IntStream.range(0, 10).toArray());
  }

  @Test
  void positionsArePureFunctionsOfSeedSoResumeNeedsOnlyTheStep() {
    DataOrder straight = new DataOrder(7, 3, true);
    int[] all = straight.indices(0, 21);
    DataOrder resumed = new DataOrder(7, 3, true); // a fresh object, as after a restart
    // step 4 of a run with 3 examples per step straddles epochs 1 and 2
    assertThat(resumed.indices(12, 3)).containsExactly(Arrays.copyOfRange(all, 12, 15));
    assertThat(new DataOrder(7, 4, true).indices(0, 7)).isNotEqualTo(Arrays.copyOfRange(all, 0, 7));
  }

  @Test
  void withoutShuffleFileOrderRepeats() {
    DataOrder order = new DataOrder(3, 1, false);
    assertThat(order.indices(2, 5)).containsExactly(2, 0, 1, 2, 0);
    assertThat(order.epoch(6)).isEqualTo(2.0);
  }

  @Test
  void seedsOfDifferentStepsAndPurposesDiffer() {
    assertThat(Seeds.rollouts(1, 0)).isNotEqualTo(Seeds.rollouts(1, 1)).isNotEqualTo(Seeds.rollouts(2, 0));
    assertThat(Seeds.rollouts(1, 5)).isEqualTo(Seeds.rollouts(1, 5));
    assertThat(Seeds.derive(1, "data", 0)).isNotEqualTo(Seeds.derive(1, "rollouts", 0));
  }
}
