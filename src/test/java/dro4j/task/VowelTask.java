package dro4j.task;

import dro4j.data.Example;

/**
 * A custom task registered through {@code META-INF/services/dro4j.task.Task} in the test resources:
 * a completion is correct when its first word starts with a vowel, so stories260K gets some right and
 * some wrong.
 */
public final class VowelTask extends PromptOnlyTask {
  /** The name it registers under. */
  public static final String NAME = "vowel_test";

  /** The task. */
  public VowelTask() {
    super(NAME, null);
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String text = completion.trim();
    if (text.isEmpty()) return Verdict.binary(null, false);
    String first = text.split("\\s+")[0];
    return Verdict.binary(first, "AEIOUaeiou".indexOf(first.charAt(0)) >= 0);
  }
}
