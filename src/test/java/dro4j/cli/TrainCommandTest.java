package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.rl.DemoData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train and sft commands: settings from YAML and flags, help, exit codes, short real runs. */
class TrainCommandTest {
  private static final String[] TINY = {"--max_steps", "2", "--per_step_prompts", "1", "--num_generations", "2",
      "--max_completion_length", "4"};

  private static CliTest.Result run(String... args) {
    return CliTest.run(args);
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void helpListsEverySettingWithItsDocumentationAndTheDemoJob() {
    CliTest.Result r = run("train", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--learning_rate", "--learning-rate", "--per_step_prompts", "--epsilon_high",
        "DAPO", "Dr. GRPO", "--loss_type", "--config=FILE.yaml", "--resume", "bundled demo job", "--print-config");
    CliTest.Result sft = run("sft", "--help");
    assertThat(sft.out()).contains("--per_device_train_batch_size", "--completion_only_loss", "--eval-dataset");
    assertThat(run("--help").out()).contains("train", "sft");
  }

  @Test
  void shortTrainRunWithFlagsOverridingTheFile(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("job.yaml");
    Files.writeString(config, String.join("\n",
        "learning_rate: 1e-3",
        "lr_scheduler_type: constant",
        "rewards:",
        "  - name: keyword",
        "    words: [dog]",
        ""));
    Path out = dir.resolve("out");
    CliTest.Result r = run(concat(new String[] {"train", "--config", config.toString(), "--learning-rate=2e-4",
        "--output_dir", out.toString()}, TINY));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("rewards [keyword]", "step 1/2", "step 2/2", "learning_rate 2.00e-04", "done: 2 steps",
        "sample: ", "metrics: ");
    // the last step is checkpointed, logged and plotted
    assertThat(out.resolve("checkpoint-2").resolve("model.safetensors")).isRegularFile();
    assertThat(out.resolve("metrics.jsonl")).isRegularFile();
    assertThat(out.resolve("plots").resolve("reward_loss.png")).isRegularFile();
    // --resume at the end of the run: nothing left to do, but it loads the checkpoint
    CliTest.Result again = run(concat(new String[] {"train", "--config", config.toString(), "--learning-rate=2e-4",
        "--output_dir", out.toString(), "--resume"}, TINY));
    assertThat(again.out()).as(again.err()).contains("resuming from " + out.resolve("checkpoint-2"));
  }

  @Test
  void badConfigurationsFailWithOneLineNamingTheProblem(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "learning_rate: 1e-3\nnum_generatoins: 4\n");
    CliTest.Result r = run("train", "--config", config.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(config.toString(), "unknown key 'num_generatoins'", "num_generations");

    CliTest.Result flag = run("train", "--no_such_setting", "3");
    assertThat(flag.code()).isEqualTo(2);
    assertThat(flag.err()).contains("--no_such_setting");

    CliTest.Result value = run("train", "--num_generations", "many");
    assertThat(value.code()).isEqualTo(2);
    assertThat(value.err()).contains("--num_generations", "integer");

    CliTest.Result resume = run("train", "--resume", "--max_steps", "1", "--output_dir", dir.resolve("empty").toString());
    assertThat(resume.code()).isEqualTo(1);
    assertThat(resume.err()).contains("--resume", "no checkpoint found");
  }

  @Test
  void shortSftRunPrintsEvalNll(@TempDir Path dir) {
    Path eval = dir.resolve("eval.jsonl");
    java.util.List<Example> heldOut = DemoData.colorQuestions().subList(90, 96);
    ExampleFiles.writeJsonl(eval, heldOut);
    CliTest.Result r = run("sft", "--max_steps", "2", "--per_device_train_batch_size", "2", "--eval-dataset", eval.toString(),
        "--output_dir", dir.resolve("out").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("SFT: ", "step 2/2", "loss", "eval NLL per token: ", "done: 2 steps");
  }
}
