package dro4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import dro4j.data.Example;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in tasks' metrics on hand-written completions, and the registry. */
class TaskMetricsTest {
  private static final List<List<String>> TABLE = List.of(
      List.of("", "2019", "2018"), List.of("revenue", "$ 5829", "$ 5735"));

  private static Example finqa(Object exeAns) {
    return new Example("f", Map.of("question", "q"), String.valueOf(exeAns), Map.of("exe_ans", exeAns, "table", TABLE));
  }

  @Test
  void finqaIsDrosMetricWithProgramsPercentagesAndScales() {
    Task t = Tasks.byName("finqa");
    double growth = (5829.0 - 5735) / 5735; // 0.01639...
    Example e = finqa(growth);
    // a program is executed over the table; its value is the answer
    Verdict program = t.judge(e, "<think>cells 5829 and 5735</think> subtract(5829, 5735), divide(#0, 5735)");
    assertThat(Double.parseDouble(program.answer())).isCloseTo(growth, within(1e-5));
    assertThat(program.correct()).isTrue();
    assertThat(t.judge(e, "</think> subtract(5829, 5735), divide(#0, 5829)").correct()).isTrue(); // 1.6% off: within 2%
    assertThat(t.judge(e, "</think> subtract(5829, 5735), divide(#0, 100)").correct()).isFalse();
    Verdict broken = t.judge(e, "</think> divide(#3, 5735)");
    assertThat(broken.answer()).isNull();
    assertThat(broken.correct()).isFalse();
    // percentages and the x100 / 100 scales
    assertThat(t.judge(finqa(0.125), "</think> The answer is 12.5%").correct()).isTrue();
    assertThat(t.judge(finqa(0.125), "</think> 12.5").correct()).isTrue();
    assertThat(t.judge(finqa(12.5), "</think> 0.125").correct()).isTrue();
    assertThat(t.judge(finqa(12.5), "</think> 12.3").correct()).isTrue(); // 1.6% off
    assertThat(t.judge(finqa(12.5), "</think> 12.0").correct()).isFalse(); // 4% off
    // gold 0 needs |answer| < 1e-6
    assertThat(t.judge(finqa(0.0), "</think> 0.0000001").correct()).isTrue();
    assertThat(t.judge(finqa(0.0), "</think> 0.001").correct()).isFalse();
    // yes/no compare as text; no answer is null
    assertThat(t.judge(finqa("yes"), "<think>3 > 2</think> Yes.").correct()).isTrue();
    assertThat(t.judge(finqa("yes"), "</think> no").correct()).isFalse();
    Verdict none = t.judge(e, "<think>I do not know</think> unclear");
    assertThat(none.answer()).isNull();
    assertThat(none.correct()).isFalse();
    // the answer comes after the reasoning: numbers inside it do not count
    assertThat(t.judge(finqa(7.0), "<think>7</think> 9").answer()).isEqualTo("9");
  }

  @Test
  void mathJsonlAndParaRevMetrics() {
    Example math = new Example("m", Map.of("question", "q"), "18", Map.of("answer_value", 18));
    Task gsm8k = Tasks.byName("gsm8k");
    assertThat(gsm8k.judge(math, "<think>9 * 2</think> The answer is 18.").correct()).isTrue();
    assertThat(gsm8k.judge(math, "</think> 18.001").correct()).isFalse(); // 1e-6 relative
    assertThat(Tasks.byName("svamp").judge(math, "</think> \\boxed{18}").answer()).isEqualTo("18");

    Example plain = new Example("j", Map.of("prompt", "Capital of France?"), "Paris", Map.of());
    Task jsonl = Tasks.byName("jsonl");
    assertThat(jsonl.judge(plain, " the paris!").correct()).isTrue(); // SQuAD normalisation
    assertThat(jsonl.judge(plain, "Lyon").correct()).isFalse();
    assertThat(jsonl.judge(plain, "  ").answer()).isNull();

    Example para = new Example("p", Map.of("instruction", "i", "paragraph", "x"), "the cat sat on the mat", Map.of());
    Task pararev = Tasks.byName("pararev");
    Verdict v = pararev.judge(para, "<think>shorter</think> the cat sat");
    assertThat(v.correct()).isNull();
    assertThat(v.score()).isCloseTo(2 * 0.5 * 1.0 / 1.5, within(1e-9)); // LCS 3: recall 3/6, precision 3/3
    assertThat(v.extras().get("length_ratio")).isCloseTo(0.5, within(1e-9));
    assertThat(pararev.scoreName()).isEqualTo("rougeL");
  }

  @Test
  void registryKnowsTheBuiltInsAndServiceLoaderTasks() {
    assertThat(Tasks.names()).startsWith("finqa", "finqa_program", "pararev", "gsm8k", "svamp", "jsonl").contains(VowelTask.NAME);
    assertThat(Tasks.byName(null).name()).isEqualTo("jsonl");
    assertThat(Tasks.byName(VowelTask.NAME)).isInstanceOf(VowelTask.class);
    assertThatThrownBy(() -> Tasks.byName("nope")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("unknown task 'nope'").hasMessageContaining("finqa");
    assertThat(Tasks.byName("gsm8k").defaultRewards()).extracting(m -> m.get("name")).containsExactly("numeric_match");
    assertThat(Tasks.byName("finqa").defaultRewards()).extracting(m -> m.get("name")).containsExactly("r3");
    assertThat(Tasks.byName("finqa").reasoningEnd()).isEqualTo("</think>");
  }
}
