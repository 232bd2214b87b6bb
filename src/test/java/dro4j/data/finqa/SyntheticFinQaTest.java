package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.data.Example;
import dro4j.data.OnInvalid;
import dro4j.data.metrics.AnswerExtractor;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticFinQaTest {
  @TempDir Path dir;

  @Test
  void everyProgramExecutesToItsStatedAnswer() {
    List<FinQaRecord> records = SyntheticFinQa.generate(7, 500, SyntheticFinQa.Settings.defaults());
    assertThat(records).hasSize(500);
    for (FinQaRecord r : records) {
      assertThat(FinQaMetrics.executionMatch(r.program(), r.table(), r.exeAns()))
          .as("%s: %s", r.id(), r.program())
          .isTrue();
      // the trace ends by stating exe_ans, and DRO's metric accepts the human-style answer text
      String traced = AnswerExtractor.finalAnswer(r.explanation()).orElseThrow();
      assertThat(traced).as(r.explanation()).isEqualTo(r.exeAns().text());
      assertThat(FinQaMetrics.droCorrect(r.answer(), r.exeAns())).as("%s vs %s", r.answer(), r.exeAns()).isTrue();
    }
  }

  @Test
  void sameSeedSameOutputOtherSeedOtherOutput() {
    var settings = SyntheticFinQa.Settings.defaults();
    List<FinQaRecord> a = SyntheticFinQa.generate(42, 50, settings);
    assertThat(SyntheticFinQa.generate(42, 50, settings)).isEqualTo(a);
    assertThat(SyntheticFinQa.generate(42, 20, settings)).isEqualTo(a.subList(0, 20));
    List<FinQaRecord> b = SyntheticFinQa.generate(43, 50, settings);
    assertThat(b.stream().map(FinQaRecord::question).toList())
        .isNotEqualTo(a.stream().map(FinQaRecord::question).toList());
  }

  @Test
  void pinnedFirstExampleSoChangesToTheGeneratorAreNoticed() {
    FinQaRecord r = SyntheticFinQa.example(1, 0, SyntheticFinQa.Settings.defaults());
    assertThat(r.id()).isEqualTo("synthetic/1/0");
    assertThat(r.question()).isEqualTo("what was the ratio of asia pacific to latin america in 2011?");
    assertThat(r.program()).isEqualTo("divide(1874, 629)");
    assertThat(r.exeAns()).isEqualTo(new FinQaValue.Numeric(2.97933));
    assertThat(r.answer()).isEqualTo("2.98");
    assertThat(r.table().get(0)).containsExactly("", "2013", "2012", "2011");
    assertThat(r.table().get(1)).containsExactly("north america", "$ 4648", "$ 4908", "$ 4509");
    assertThat(r.goldInds()).containsOnlyKeys("table_3", "table_4");
    assertThat(r.explanation())
        .isEqualTo(
            "in 2011 , asia pacific was 1874 and latin america was 629 . the ratio is 1874 / 629 = 2.97933 ."
                + " the answer is 2.97933 .");
  }

  @Test
  void difficultyControlsOperationsRowsAndYears() {
    for (int ops = 1; ops <= 2; ops++) {
      for (int rows = 2; rows <= 4; rows++) {
        for (int years = 2; years <= 3; years++) {
          for (FinQaRecord r : SyntheticFinQa.generate(ops * 100 + rows * 10 + years, 30, SyntheticFinQa.Settings.fixed(ops, rows, years))) {
            assertThat(FinQaProgram.parse(r.program()).steps()).hasSize(ops);
            assertThat(r.table()).hasSize(rows + 1);
            for (List<String> row : r.table()) {
              assertThat(row).hasSize(years + 1);
            }
          }
        }
      }
    }
  }

  @Test
  void coversEveryOperationTheQuestionsNeed() {
    Set<FinQaProgram.Operation> seen = new HashSet<>();
    for (FinQaRecord r : SyntheticFinQa.generate(3, 300, SyntheticFinQa.Settings.defaults())) {
      FinQaProgram.parse(r.program()).steps().forEach(s -> seen.add(s.op()));
    }
    assertThat(seen)
        .contains(
            FinQaProgram.Operation.ADD,
            FinQaProgram.Operation.SUBTRACT,
            FinQaProgram.Operation.MULTIPLY,
            FinQaProgram.Operation.DIVIDE,
            FinQaProgram.Operation.TABLE_SUM,
            FinQaProgram.Operation.TABLE_AVERAGE);
  }

  @Test
  void writtenFilesLoadWithTheFinQaLoader() {
    List<FinQaRecord> records = SyntheticFinQa.generate(5, 40, SyntheticFinQa.Settings.defaults());
    Path file = dir.resolve("synthetic.json");
    FinQaLoader.write(file, records);
    assertThat(FinQaLoader.records(file, OnInvalid.THROW).items()).isEqualTo(records);
    List<Example> examples = FinQaLoader.load(file);
    assertThat(examples).hasSize(40);
    Example e = examples.get(0);
    assertThat(e.reference()).isEqualTo(records.get(0).exeAns().text());
    assertThat(e.metadata()).containsKey("explanation");
    assertThat(e.field("table").lines().count()).isEqualTo(records.get(0).table().size());
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThatThrownBy(() -> SyntheticFinQa.Settings.fixed(3, 2, 2)).hasMessageContaining("operations");
    assertThatThrownBy(() -> SyntheticFinQa.Settings.fixed(1, 5, 2)).hasMessageContaining("rows");
    assertThatThrownBy(() -> new SyntheticFinQa.Settings(1, 2, 2, 4, 3, 2)).hasMessageContaining("years");
  }
}
