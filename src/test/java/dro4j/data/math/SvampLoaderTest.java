package dro4j.data.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.data.Example;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SvampLoaderTest {
  @TempDir Path dir;

  @Test
  void loadsAllProblems() {
    List<Example> examples = SvampLoader.load(Fixtures.data("svamp", "SVAMP.json"));
    assertThat(examples).hasSize(1000);
    Example first = examples.get(0);
    assertThat(first.id()).isEqualTo("svamp/chal-1");
    assertThat(first.field("question"))
        .isEqualTo(
            "Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars on each pack"
                + " How much do you have to pay to buy each pack?");
    assertThat(first.reference()).isEqualTo("51");
    assertThat(first.metadata())
        .containsEntry("answer_value", 51.0)
        .containsEntry("equation", "( 76.0 - 25.0 )")
        .containsEntry("type", "Subtraction");
    assertThat(examples.get(999).id()).isEqualTo("svamp/chal-1000");
    assertThat(examples.get(999).reference()).isEqualTo("11");
  }

  @Test
  void answerOfWrongTypeNamesFileRecordAndLine() throws IOException {
    Path file = dir.resolve("s.json");
    Files.writeString(
        file,
        "[\n  {\"ID\": \"a\", \"Body\": \"b.\", \"Question\": \"q?\", \"Answer\": 1.0},\n"
            + "  {\"ID\": \"b\", \"Body\": \"b.\", \"Question\": \"q?\", \"Answer\": \"2\"}\n]\n");
    assertThatThrownBy(() -> SvampLoader.load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": record 1 at line 3: field 'Answer' must be a number, found a string");
  }
}
