package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dro4j train --config examples/agents/finqa_calculator.yaml}, cut to one small step: the bundled
 * tool-use warm start calls the calculator, the held-out set is played before and after (eval_start/ and
 * eval/ tool-call and answer metrics), and completions.jsonl holds each trajectory turn by turn.
 */
class CalculatorJobCommandTest {
  @Test
  void calculatorJobEvaluatesAndLogsTurns(@TempDir Path dir) throws Exception {
    Path root = Path.of(System.getProperty("basedir", "."));
    // four held-out records keep the test cheap
    ObjectMapper json = new ObjectMapper();
    JsonNode heldOut = json.readTree(root.resolve("examples/agents/finqa_calculator_heldout.json").toFile());
    List<JsonNode> four = List.of(heldOut.get(0), heldOut.get(1), heldOut.get(2), heldOut.get(3));
    Path eval = dir.resolve("heldout.json");
    json.writeValue(eval.toFile(), four);
    CliTest.Result r = CliTest.run("train", "--config", root.resolve("examples/agents/finqa_calculator.yaml").toString(),
        "--dataset", root.resolve("examples/agents/finqa_calculator.json").toString(), "--eval_dataset", eval.toString(),
        "--max_steps", "1", "--per_step_prompts", "1", "--num_generations", "2", "--logging_steps", "1",
        "--output_dir", dir.resolve("out").toString());
    assertThat(r.code()).as(r.err()).isZero();

    JsonNode metrics = json.readTree(Files.readAllLines(dir.resolve("out").resolve("metrics.jsonl")).get(0));
    for (String k : List.of("final_answer_accuracy", "tool_call_success_rate", "tool_calls", "with_successful_tool_call")) {
      assertThat(metrics.has("eval_start/" + k)).as(k).isTrue();
      assertThat(metrics.has("eval/" + k)).as(k).isTrue();
    }
    // rewards: [] in an environment job: the environment's return alone
    metrics.fieldNames().forEachRemaining(k -> assertThat(k).doesNotStartWith("rewards/r3"));
    assertThat(metrics.has("rewards/environment/mean")).isTrue();
    assertThat(metrics.has("turns/tool_call_success_rate")).isTrue();
    // the warm start calls tools on the held-out questions, and (almost) always well
    assertThat(metrics.get("eval_start/tool_calls").asDouble()).isGreaterThan(0.5);
    assertThat(metrics.get("eval_start/tool_call_success_rate").asDouble()).isGreaterThan(0.5);
    // per tool: the calls add up to the total, and the successes to the overall rate
    double calls = 0;
    double ran = 0;
    for (java.util.Iterator<String> it = metrics.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.startsWith("eval_start/tool_calls/")) continue;
      String tool = k.substring("eval_start/tool_calls/".length());
      assertThat(tool).matches("add|subtract|multiply|divide|exp|greater|table_(sum|average|max|min)|unknown|malformed");
      double c = metrics.get(k).asDouble();
      calls += c;
      ran += c * metrics.get("eval_start/tool_call_success_rate/" + tool).asDouble();
    }
    assertThat(calls).isCloseTo(metrics.get("eval_start/tool_calls").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(ran / calls).isCloseTo(metrics.get("eval_start/tool_call_success_rate").asDouble(),
        org.assertj.core.data.Offset.offset(1e-9));

    boolean sawTool = false;
    for (String line : Files.readAllLines(dir.resolve("out").resolve("completions.jsonl"))) {
      JsonNode turns = json.readTree(line).get("turns");
      assertThat(turns.isArray()).isTrue();
      assertThat(turns.get(0).get("role").asText()).isEqualTo("assistant");
      // a trajectory ends with the policy's answer, or with a tool result when it stopped after that call
      // (max_turns, max_completion_length, a template that cannot append the next turn)
      int lastAssistant = turns.size() - 1;
      while (!turns.get(lastAssistant).get("role").asText().equals("assistant")) {
        assertThat(turns.get(lastAssistant).get("role").asText()).as(line).isEqualTo("tool");
        lastAssistant--;
      }
      assertThat(turns.get(lastAssistant).has("reward")).isTrue();
      for (int i = 0; i < turns.size(); i++) {
        JsonNode t = turns.get(i);
        if (!t.get("role").asText().equals("tool")) continue;
        sawTool = true;
        assertThat(t.has("text") && t.has("error")).as(t.toString()).isTrue();
        // the call it answers is on the assistant turn before it
        int a = i - 1;
        while (!turns.get(a).get("role").asText().equals("assistant")) a--;
        JsonNode call = turns.get(a).get("tool_calls").get(0);
        assertThat(call.has("name") || call.has("error")).as(call.toString()).isTrue();
      }
    }
    assertThat(sawTool).isTrue();
  }
}
