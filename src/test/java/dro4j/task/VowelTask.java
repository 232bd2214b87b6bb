package dro4j.task;

import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.prompt.PromptTemplate;
import java.nio.file.Path;
import java.util.List;

/**
 * A custom task registered through {@code META-INF/services/dro4j.task.Task} in the test resources:
 * a completion is correct when its first word starts with a vowel, so stories260K gets some right and
 * some wrong.
 */
public final class VowelTask implements Task {
  /** The name it registers under. */
  public static final String NAME = "vowel_test";

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
    return new PromptTemplate("vowel", null, "{prompt}", null);
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String text = completion.trim();
    if (text.isEmpty()) return Verdict.binary(null, false);
    String first = text.split("\\s+")[0];
    return Verdict.binary(first, "AEIOUaeiou".indexOf(first.charAt(0)) >= 0);
  }
}
