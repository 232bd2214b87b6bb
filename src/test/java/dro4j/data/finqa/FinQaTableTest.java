package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FinQaTableTest {
  @Test
  void oneRowPerLineHeaderFirstCellsJoinedByBars() {
    List<List<String>> table =
        List.of(List.of("", "2019", "2018"), List.of("net revenue", "$ 10", "9"), List.of("other\nitems", "1", ""));
    assertThat(FinQaTable.linearize(table))
        .isEqualTo(" | 2019 | 2018\nnet revenue | $ 10 | 9\nother items | 1 | ");
  }
}
