package dro4j.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.data.Example;
import dro4j.rl.GrpoTrainer;
import dro4j.rl.config.GrpoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled agent jobs ({@code examples/agents/*.yaml}) load and train through {@code GrpoTrainer}
 * on the bundled stories260K (one short step each), and the bundled environments behave as documented.
 */
class AgentJobsTest {
  @TempDir Path out;

  @Test
  void bundledJobsRunOneTrajectoryStep() {
    for (String job : List.of("finqa_calculator")) { // guess_number runs through the CLI (AgentJobCommandTest)
      Path root = Path.of(System.getProperty("basedir", "."));
      GrpoConfig config = GrpoConfig.builder().load(root.resolve("examples/agents/" + job + ".yaml"))
          .set("dataset", root.resolve(config(root, job)).toString())
          .set("max_steps", 1).set("max_completion_length", 12).set("num_generations", 2).set("per_step_prompts", 1)
          // the held-out evaluation is CalculatorJobCommandTest's; a tool-error penalty and a bonus for the
          // share of calls that ran join the reward, and the turns get the step rewards minus their failed
          // calls as turn rewards
          .set("eval_on_start", false).set("eval_strategy", "no").set("tool_error_reward", -0.5)
          .set("tool_success_reward", 0.25)
          .set("turn_reward", "tool_errors+environment")
          .set("output_dir", out.resolve(job).toString()).build();
      List<Map<String, Object>> steps = new ArrayList<>();
      try (GrpoTrainer trainer = GrpoTrainer.builder(config).listener((step, metrics) -> steps.add(metrics)).build()) {
        trainer.train();
      }
      assertThat(steps).as(job).hasSize(1);
      Map<String, Object> m = steps.get(0);
      assertThat(m).containsKeys("turns/mean", "turns/tool_calls", "turns/tool_errors", "rewards/environment/mean", "loss");
      assertThat((double) m.get("turns/mean")).isBetween(1.0, (double) config.maxTurns());
      // reward = environment's return + tool_error_reward per failed call + tool_success_reward times the
      // share of calls that ran, each a per-trajectory mean
      double errors = ((Number) m.get("turns/tool_errors")).doubleValue();
      assertThat(((Number) m.get("rewards/tool_errors/mean")).doubleValue()).isCloseTo(-0.5 * errors, org.assertj.core.data.Offset.offset(1e-9));
      double success = ((Number) m.get("rewards/tool_success/mean")).doubleValue();
      assertThat(success).isBetween(0.0, 0.25);
      assertThat(((Number) m.get("reward")).doubleValue()).isCloseTo(
          ((Number) m.get("rewards/environment/mean")).doubleValue() - 0.5 * errors + success, org.assertj.core.data.Offset.offset(1e-9));
      // the mean turn reward over all turns: (return - failed calls) per trajectory over turns per trajectory
      assertThat(((Number) m.get("turns/turn_reward/mean")).doubleValue()).isCloseTo(
          (((Number) m.get("rewards/environment/mean")).doubleValue() - errors) / (double) m.get("turns/mean"),
          org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  private static String config(Path root, String job) {
    return Files.exists(root.resolve("examples/agents/" + job + ".jsonl"))
        ? "examples/agents/" + job + ".jsonl" : "examples/agents/" + job + ".json";
  }

  @Test
  void guessNumberRewardsTheSecretAndBinarySearchIsOptimal() {
    GuessNumberEnvironment env = new GuessNumberEnvironment();
    env.reset(new Example("g", Map.of(), "11", Map.of("max", 16)));
    int lo = 1;
    int hi = 16;
    StepResult r;
    do {
      int mid = (lo + hi) / 2;
      r = env.step("My guess is " + mid);
      if ("Higher.".equals(r.observation())) lo = mid + 1;
      if ("Lower.".equals(r.observation())) hi = mid - 1;
    } while (!r.done());
    assertThat(r.reward()).isEqualTo(1.0);
    assertThat(env.guesses()).isLessThanOrEqualTo(GuessNumberEnvironment.optimalGuesses(16)).isEqualTo(5 - 1);
    assertThat(env.step("no number").observation()).contains("whole number");
  }

  @Test
  void finqaCalculatorRunsFinQaOperations() throws Exception {
    FinQaCalculatorEnvironment env = new FinQaCalculatorEnvironment();
    Example example = new Example("f", Map.of("pre_text", "in millions :", "table", "revenue | 5829 | 5735",
        "post_text", "", "question", "what is the change?"), "94.0",
        Map.of("table", List.of(List.of("", "2019", "2018"), List.of("revenue", "$ 5829", "5735"))));
    String first = env.reset(example);
    // the finqa task's own prompt, so finqa-tiny reads the table in the context it learnt it in
    assertThat(first).isEqualTo(FinQaCalculatorEnvironment.INSTRUCTION
        + dro4j.data.prompt.PromptTemplates.FINQA.userText(example)).endsWith("\n\nQuestion: what is the change?");
    Map<String, Tool> tools = new java.util.HashMap<>();
    for (Tool t : env.tools()) tools.put(t.name(), t);
    assertThat(tools).containsOnlyKeys("add", "subtract", "multiply", "divide", "exp", "greater",
        "table_sum", "table_average", "table_max", "table_min");
    assertThat(tools.get("table_sum").call(Map.of("row", "revenue"))).isEqualTo("11564");
    assertThat(tools.get("table_max").call(Map.of("row", " revenue "))).isEqualTo("5829");
    assertThatThrownBy(() -> tools.get("table_min").call(Map.of("row", "costs"))).hasMessageContaining("no row named 'costs'");
    assertThatThrownBy(() -> tools.get("table_average").call(Map.of("a", 1))).hasMessageContaining("needs argument row");
    assertThat(tools.get("subtract").call(Map.of("a", 5829, "b", 5735))).isEqualTo("94");
    assertThat(tools.get("greater").call(Map.of("a", 2, "b", 3))).isEqualTo("no");
    assertThat(env.step("The answer is 94").reward()).isEqualTo(1.0);
  }
}
