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

class Gsm8kLoaderTest {
  @TempDir Path dir;

  @Test
  void loadsTheTestSplit() {
    List<Example> examples = Gsm8kLoader.load(Fixtures.data("gsm8k", "test.jsonl"));
    assertThat(examples).hasSize(1319);
    Example first = examples.get(0);
    assertThat(first.id()).isEqualTo("gsm8k/test/0");
    assertThat(first.field("question")).startsWith("Janet\u2019s ducks lay 16 eggs per day.");
    assertThat(first.reference()).isEqualTo("18");
    assertThat(first.metadata()).containsEntry("answer_value", 18.0).containsEntry("source", "gsm8k");
    assertThat((String) first.metadata().get("solution"))
        .startsWith("Janet sells 16 - 3 - 4")
        .doesNotContain("####");
    // "#### 2,125": thousands separators are removed from the reference
    assertThat(examples.get(146).reference()).isEqualTo("2125");
    assertThat(examples.get(1318).reference()).isEqualTo("14");
  }

  @Test
  void missingFinalAnswerMarkNamesFileAndLine() throws IOException {
    Path file = dir.resolve("g.jsonl");
    Files.writeString(
        file,
        "{\"question\": \"1+1?\", \"answer\": \"1+1=2\\n#### 2\"}\n{\"question\": \"2+2?\", \"answer\": \"it is 4\"}\n");
    assertThatThrownBy(() -> Gsm8kLoader.load(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": line 2: field 'answer' has no final answer after '####'");
  }

  @Test
  void nonNumericFinalAnswerIsRejected() throws IOException {
    Path file = dir.resolve("g.jsonl");
    Files.writeString(file, "{\"question\": \"q\", \"answer\": \"#### four\"}\n");
    assertThatThrownBy(() -> Gsm8kLoader.load(file))
        .hasMessage(file + ": line 1: the final answer after '####' is not a number: 'four'");
  }
}
