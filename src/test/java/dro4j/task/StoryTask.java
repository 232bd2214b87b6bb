package dro4j.task;

import dro4j.data.Example;

/**
 * A test task for stories260K (registered in {@code META-INF/services/dro4j.task.Task}): the prompt as
 * it is, the reasoning is the next sentence (it ends at "."), the reference the sentence after it.
 */
public final class StoryTask extends PromptOnlyTask {
  /** The name it registers under. */
  public static final String NAME = "story_test";

  /** The task. */
  public StoryTask() {
    super(NAME, ".");
  }

  @Override
  public Verdict judge(Example example, String completion) {
    return Verdict.binary(completion.trim(), completion.trim().equals(example.reference().trim()));
  }
}
