package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticFinQaCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void malformedCallShareWritesSlipsAndRefusesAShareOutsideZeroToOne(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("slips.jsonl");
    CliTest.Result r = CliTest.run("synthetic-finqa", "--seed", "5", "--count", "6", "--rows", "2-3", "--years", "2",
        "--format", "finqa-tools", "--reasoning", "--malformed-call-share", "1", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(6);
    for (String line : lines) {
      JsonNode messages = JSON.readTree(line).get("metadata").get("messages");
      long errors = 0;
      for (JsonNode m : messages) {
        if (m.get("role").asText().equals("tool") && m.get("content").asText().startsWith("error: malformed tool call: ")) errors++;
      }
      assertThat(errors).as(line).isEqualTo(1);
    }

    CliTest.Result bad = CliTest.run("synthetic-finqa", "--seed", "5", "--count", "2", "--format", "finqa-tools",
        "--malformed-call-share", "1.5", "--out", dir.resolve("bad.jsonl").toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("malformed-call share must be in [0, 1], got 1.5");
    assertThat(dir.resolve("bad.jsonl")).doesNotExist();
  }
}
