package dro4j.spark;

import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplate;
import dro4j.task.JsonlTask;
import dro4j.task.Task;
import dro4j.task.Verdict;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.TaskContext;

/**
 * The {@code jsonl} task, except that a Spark task's first attempt fails when it judges example {@link
 * #FAILS_AT}: a task failed on purpose mid-job (outside Spark it never fails).
 */
public final class FlakyTask implements Task {
  static final String NAME = "flaky_jsonl";
  static final String FAILS_AT = "e4";
  private final JsonlTask jsonl = new JsonlTask();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Example> load(Path file) {
    return jsonl.load(file);
  }

  @Override
  public PromptTemplate template() {
    return jsonl.template();
  }

  @Override
  public Verdict judge(Example example, String completion) {
    TaskContext spark = TaskContext.get();
    if (spark != null && spark.attemptNumber() == 0 && example.id().equals(FAILS_AT)) {
      throw new IllegalStateException("task attempt failed on purpose at example " + FAILS_AT);
    }
    return jsonl.judge(example, completion);
  }
}
