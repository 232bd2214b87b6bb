package dro4j.data.finqa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.data.Example;
import dro4j.data.Loaded;
import dro4j.data.OnInvalid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinQaLoaderTest {
  private static final Path BUNDLED = Fixtures.data("finqa", "example_finqa.json");

  @TempDir Path dir;

  @Test
  void loadsTheBundledRecord() {
    List<Example> examples = FinQaLoader.load(BUNDLED);
    assertThat(examples).hasSize(1);
    Example e = examples.get(0);
    assertThat(e.id()).isEqualTo("ADI/2009/page_49.pdf-1");
    assertThat(e.field("question")).isEqualTo("what is the the interest expense in 2009?");
    assertThat(e.reference()).isEqualTo("3.8"); // exe_ans, not the inconsistent answer "380"
    assertThat(e.metadata()).containsEntry("answer", "380").containsEntry("exe_ans", 3.8);
    assertThat(e.metadata().get("program")).isEqualTo("divide(100, 100), divide(3.8, #0)");
    assertThat(e.field("table").lines().toList())
        .hasSize(4)
        .first()
        .isEqualTo(" | october 31 2009 | november 1 2008");
    assertThat(e.field("table").lines().toList().get(1))
        .isEqualTo("fair value of forward exchange contracts asset ( liability ) | $ 6427 | $ -23158 ( 23158 )");
    assertThat(e.field("context"))
        .startsWith("interest rate to a variable interest rate")
        .contains("\n\n | october 31 2009")
        .endsWith("or local currency selling prices. .");
  }

  @Test
  void theBundledProgramReproducesItsExeAns() {
    FinQaRecord r = FinQaLoader.records(BUNDLED, OnInvalid.THROW).items().get(0);
    assertThat(FinQaProgram.run(r.program(), r.table())).isEqualTo(new FinQaValue.Numeric(3.8));
    assertThat(FinQaMetrics.executionMatch(r.program(), r.table(), r.exeAns())).isTrue();
    assertThat(r.goldInds()).containsOnlyKeys("text_1");
    assertThat(FinQaMetrics.gold(r.toExample())).isEqualTo(r.exeAns());
    assertThat(FinQaMetrics.droCorrect("$3.8 million", FinQaMetrics.gold(r.toExample()))).isTrue();
  }

  @Test
  void writtenRecordsLoadBackUnchanged() {
    List<FinQaRecord> records = FinQaLoader.records(BUNDLED, OnInvalid.THROW).items();
    Path file = dir.resolve("copy.json");
    FinQaLoader.write(file, records);
    assertThat(FinQaLoader.records(file, OnInvalid.THROW).items()).isEqualTo(records);
  }

  private Path withQa(String qa) throws IOException {
    Path file = dir.resolve("bad.json");
    Files.writeString(
        file,
        "[\n {\"id\": \"x\", \"pre_text\": [], \"post_text\": [], \"table\": [[\"\", \"2019\"]],\n"
            + "  \"qa\": " + qa + "}\n]\n");
    return file;
  }

  @Test
  void missingProgramNamesFileAndLine() throws IOException {
    Path file = withQa("{\"question\": \"q\", \"exe_ans\": 1}");
    assertThatThrownBy(() -> FinQaLoader.load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": record 0 at line 2: missing required field 'qa.program'");
  }

  @Test
  void exeAnsOfWrongTypeIsRejected() throws IOException {
    Path file = withQa("{\"question\": \"q\", \"program\": \"add(1, 2)\", \"exe_ans\": \"three\"}");
    assertThatThrownBy(() -> FinQaLoader.load(file))
        .hasMessage(file + ": record 0 at line 2: field 'qa.exe_ans' must be a number or \"yes\"/\"no\", found \"three\"");
  }

  @Test
  void tableCellsMustBeStrings() throws IOException {
    Path file = dir.resolve("cells.jsonl");
    Files.writeString(
        file,
        "{\"id\": \"x\", \"pre_text\": [], \"post_text\": [], \"table\": [[\"a\", 5]],"
            + " \"qa\": {\"question\": \"q\", \"program\": \"add(1, 2)\", \"exe_ans\": 3}}\n");
    Loaded<Example> loaded = FinQaLoader.load(file, OnInvalid.SKIP);
    assertThat(loaded.items()).isEmpty();
    assertThat(loaded.skipped())
        .containsExactly(new Loaded.Skipped(1, "field 'table[0][1]' must be a string, found a number"));
  }

  @Test
  void yesNoExeAnsLoads() throws IOException {
    Path file = withQa("{\"question\": \"q\", \"program\": \"greater(2, 1)\", \"exe_ans\": \"yes\"}");
    FinQaRecord r = FinQaLoader.records(file, OnInvalid.THROW).items().get(0);
    assertThat(r.exeAns()).isEqualTo(new FinQaValue.YesNo(true));
    assertThat(r.toExample().reference()).isEqualTo("yes");
    assertThat(FinQaMetrics.executionMatch(r.program(), r.table(), r.exeAns())).isTrue();
  }
}
