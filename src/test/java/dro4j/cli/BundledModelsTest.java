package dro4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.finqa.FinQaProgram;
import dro4j.data.finqa.FinQaSftData;
import dro4j.data.finqa.SyntheticFinQa;
import dro4j.eval.EvalOptions;
import dro4j.eval.Evaluator;
import dro4j.eval.ExampleResult;
import dro4j.model.BundledModel;
import dro4j.rl.config.SftConfig;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import dro4j.task.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bundled:NAME wherever a model is given, finqa-tiny's answers, and clean errors for other names and ~. */
class BundledModelsTest {
  @Test
  void finqaTinyAnswersAHeldOutExampleWithAFinQaProgram() {
    // seed 4242 is neither the training seed (1) nor the held-out evaluation seed (1001)
    List<Example> heldOut = FinQaSftData.synthetic(4242, 2, SyntheticFinQa.Settings.defaults());
    try (LanguageModel lm = LanguageModel.load(Path.of("bundled:finqa-tiny"))) {
      assertThat(lm.directory().resolve("MODEL_CARD.md")).exists();
      assertThat(lm.directory().resolve("LICENSE")).content().contains("Apache");
      Task task = Tasks.byName("finqa_program");
      PromptRenderer prompts = PromptRenderer.forTask(lm, task, null, null, null);
      for (ExampleResult r : new Evaluator(task, EvalOptions.defaults()).run(lm, prompts, heldOut, done -> {}).results()) {
        String text = r.completions().get(0).text();
        assertThat(text).as(text).startsWith("<think>").contains("</think>");
        FinQaProgram program = FinQaProgram.parse(text.substring(text.lastIndexOf("</think>") + 8).trim());
        assertThat(program.steps()).isNotEmpty();
        assertThat(r.completions().get(0).answer()).isNotNull();
      }
    }
  }

  @Test
  void bundledNamesResolveEverywhereAndStories260KStaysTheDefault() {
    assertThat(BundledModel.names()).containsExactly("finqa-tiny", "finqa-tiny-tools", "stories260K");
    assertThat(BundledModel.resolve((Path) null)).isEqualTo(BundledModel.directory());
    assertThat(BundledModel.resolve("bundled:stories260K")).isEqualTo(BundledModel.directory());
    assertThat(BundledModel.resolve(Path.of("some/folder"))).isEqualTo(Path.of("some/folder"));
    ModelOption option = new ModelOption();
    option.directory = Path.of("bundled:finqa-tiny");
    assertThat(option.resolve()).isEqualTo(BundledModel.directory("finqa-tiny"));
    SftConfig cfg = SftConfig.builder().load("model: bundled:finqa-tiny\n", Path.of("job.yaml")).build();
    assertThat(BundledModel.resolve(cfg.training().model())).isEqualTo(BundledModel.directory("finqa-tiny"));
    assertThat(SftConfig.builder().load("model: ~\n", Path.of("job.yaml")).build().training().model()).isNull();
  }

  @Test
  void unknownNamesAndTildeAreCleanErrorsNamingTheBundledModels() {
    assertThatThrownBy(() -> BundledModel.resolve("bundled:gpt5")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("no bundled model 'gpt5'").hasMessageContaining("bundled:stories260K")
        .hasMessageContaining("bundled:finqa-tiny");
    SftConfig quoted = SftConfig.builder().load("model: \"~\"\n", Path.of("job.yaml")).build();
    assertThatThrownBy(() -> LanguageModel.loadOrDefault(quoted.training().model())).isInstanceOf(BadInputException.class)
        .hasMessageContaining("bundled:stories260K");
    CliTest.Result r = CliTest.run("generate", "--model", "~", "--prompt", "x", "--max-new-tokens", "1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("'~' is not a model folder").contains("bundled:stories260K");
    CliTest.Result home = CliTest.run("generate", "--model", System.getProperty("user.home"), "--prompt", "x");
    if (!Files.exists(Path.of(System.getProperty("user.home"), "config.json"))) {
      assertThat(home.err()).contains("the shell turns ~ into the home folder").contains("bundled:stories260K");
    }
    CliTest.Result unknown = CliTest.run("score", "--model", "bundled:nope", "--context", "a", "--target", "b");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("no bundled model 'nope'");
  }
}
