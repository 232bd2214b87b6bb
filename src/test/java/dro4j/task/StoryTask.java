package dro4j.task;

import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.prompt.PromptTemplate;
import java.nio.file.Path;
import java.util.List;

/**
 * A test task for stories260K (registered in {@code META-INF/services/dro4j.task.Task}): the prompt as
 * it is, the reasoning is the next sentence (it ends at "."), the reference the sentence after it.
 */
public final class StoryTask implements Task {
  /** The name it registers under. */
  public static final String NAME = "story_test";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Example> load(Path file) {
    return ExampleFiles.read(file);
  }

  @Override
  public PromptTemplate template() {
    return new PromptTemplate("story", null, "{prompt}", ".");
  }

  @Override
  public Verdict judge(Example example, String completion) {
    return Verdict.binary(completion.trim(), completion.trim().equals(example.reference().trim()));
  }
}
