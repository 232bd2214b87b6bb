package dro4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonRecordsTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static String example(String id) {
    return "{\"id\": \"" + id + "\", \"fields\": {\"question\": \"q " + id + "\"}, \"reference\": \"1\"}";
  }

  @Test
  void readsJsonLinesWithLineNumbersAndPassesOverBlankLines() throws IOException {
    Path file = write("ok.jsonl", example("a") + "\n\n" + example("b") + "\n");
    List<JsonRecord> records = JsonRecords.read(file);
    assertThat(records).extracting(JsonRecord::line).containsExactly(1, 3);
    assertThat(records).extracting(JsonRecord::index).containsExactly(0, 1);
    assertThat(records.get(1).text("fields.question")).isEqualTo("q b");
  }

  @Test
  void truncatedLastLineNamesFileAndLine() throws IOException {
    Path file = write("cut.jsonl", example("a") + "\n" + example("b") + "\n{\"id\": \"c\", \"fiel");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": line 3: truncated record");
  }

  @Test
  void invalidJsonNamesFileAndLine() throws IOException {
    Path file = write("bad.jsonl", example("a") + "\n{\"id\": 'single quotes'}\n");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": line 2: invalid JSON");
  }

  @Test
  void missingRequiredFieldNamesFileLineAndField() throws IOException {
    Path file = write("missing.jsonl", example("a") + "\n{\"id\": \"b\", \"fields\": {}}\n");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": line 2: missing required field 'reference'");
  }

  @Test
  void wrongTypeNamesFileLineFieldAndTypes() throws IOException {
    Path file = write("type.jsonl", "{\"id\": 7, \"fields\": {}, \"reference\": \"1\"}\n");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": line 1: field 'id' must be a string, found a number");
  }

  @Test
  void recordThatIsNotAnObjectIsRejected() throws IOException {
    Path file = write("array.jsonl", example("a") + "\n[1, 2]\n");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .hasMessage(file + ": line 2: expected a JSON object, found an array");
  }

  @Test
  void duplicateKeysAndTrailingContentAreInvalidJson() throws IOException {
    Path dup = write("dup.jsonl", "{\"id\": \"a\", \"id\": \"b\"}\n");
    assertThatThrownBy(() -> JsonRecords.read(dup))
        .hasMessageStartingWith(dup + ": line 1: invalid JSON")
        .hasMessageContaining("Duplicate field 'id'");
    Path two = write("two.jsonl", example("a") + " " + example("b") + "\n");
    assertThatThrownBy(() -> JsonRecords.read(two)).hasMessageStartingWith(two + ": line 1: invalid JSON");
  }

  @Test
  void skipInvalidKeepsGoodRecordsAndReportsEachSkippedLine() throws IOException {
    Path file =
        write(
            "mixed.jsonl",
            example("a") + "\n{broken\n" + example("c") + "\n{\"id\": \"d\"}\n" + example("e") + "\n{\"id\": \"f\", \"fie");
    Loaded<Example> loaded = ExampleFiles.read(file, OnInvalid.SKIP);
    assertThat(loaded.items()).extracting(Example::id).containsExactly("a", "c", "e");
    assertThat(loaded.skipped()).extracting(Loaded.Skipped::line).containsExactly(2, 4, 6);
    assertThat(loaded.skipped().get(1).problem()).isEqualTo("missing required field 'fields'");
    assertThat(loaded.skipped().get(2).problem()).startsWith("truncated record");
  }

  @Test
  void jsonArrayErrorsNameTheRecordsStartLine() throws IOException {
    Path file = write("arr.json", "[\n" + example("a") + ",\n{\n  \"id\": \"b\",\n  \"fields\": {}\n}\n]\n");
    assertThatThrownBy(() -> ExampleFiles.read(file))
        .hasMessage(file + ": record 1 at line 3: missing required field 'reference'");
    Loaded<Example> loaded = ExampleFiles.read(file, OnInvalid.SKIP);
    assertThat(loaded.items()).extracting(Example::id).containsExactly("a");
    assertThat(loaded.skipped()).containsExactly(new Loaded.Skipped(3, "missing required field 'reference'"));
  }

  @Test
  void truncatedJsonArrayThrowsEvenWhenSkipping() throws IOException {
    Path file = write("cut.json", "[\n" + example("a") + ",\n" + example("b").substring(0, 20));
    assertThatThrownBy(() -> ExampleFiles.read(file, OnInvalid.SKIP))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": line 3: truncated record");
  }

  @Test
  void invalidJsonInsideArrayNamesLine() throws IOException {
    Path file = write("bad.json", "[\n" + example("a") + ",\n" + example("b") + " oops\n]");
    assertThatThrownBy(() -> ExampleFiles.read(file, OnInvalid.SKIP))
        .hasMessageStartingWith(file + ": line 3: invalid JSON");
  }

  @Test
  void contentAfterTheArrayIsRejected() throws IOException {
    Path file = write("after.json", "[" + example("a") + "]\n{}\n");
    assertThatThrownBy(() -> ExampleFiles.read(file)).hasMessage(file + ": line 2: extra content after the array");
  }

  @Test
  void examplesRoundTripThroughJsonLines() {
    Example a =
        new Example(
            "a", Map.of("question", "2+2?"), "4", Map.of("answer_value", 4.0, "tags", List.of("x", "y")));
    Path file = dir.resolve("out.jsonl");
    ExampleFiles.writeJsonl(file, List.of(a));
    assertThat(ExampleFiles.read(file)).containsExactly(a);
  }

  @Test
  void exampleFieldAccessorNamesWhatIsMissing() {
    Example a = new Example("a", Map.of("question", "q"), "1", Map.of());
    assertThat(a.field("question")).isEqualTo("q");
    assertThatThrownBy(() -> a.field("context")).hasMessageContaining("no field 'context'");
  }
}
