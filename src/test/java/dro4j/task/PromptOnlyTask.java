package dro4j.task;

import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.prompt.PromptTemplate;
import java.nio.file.Path;
import java.util.List;

/**
 * The shared part of the test tasks registered in {@code META-INF/services/dro4j.task.Task}: dro4j
 * example files, the prompt as it is ({@code {prompt}}), a name and an end of reasoning of their own.
 */
abstract class PromptOnlyTask implements Task {
  private final String name;
  private final String reasoningEnd;

  PromptOnlyTask(String name, String reasoningEnd) {
    this.name = name;
    this.reasoningEnd = reasoningEnd;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Example> load(Path file) {
    return ExampleFiles.read(file);
  }

  @Override
  public PromptTemplate template() {
    return new PromptTemplate(name, null, "{prompt}", reasoningEnd);
  }
}
