package dro4j.task;

import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A task: everything dro4j needs to filter, train and evaluate on one kind of data, in one place, so
 * that {@code filter}, {@code train}, {@code sft} and {@code eval} build the same prompt from the same
 * example and judge completions the same way.
 *
 * <p>A task owns
 *
 * <ul>
 *   <li>its loader, which reads the task's native files into {@link Example}s and names the file and
 *       line of a malformed record ({@link dro4j.BadInputException});
 *   <li>its prompt template ({@link #template()}), which also names the end-of-reasoning marker
 *       ({@link #reasoningEnd()});
 *   <li>its default rewards, used by {@code train} when the configuration lists none;
 *   <li>its evaluation metric ({@link #judge}): the extracted answer and its verdict.
 * </ul>
 *
 * <p>The built-in tasks are {@code finqa}, {@code pararev}, {@code gsm8k}, {@code svamp} and {@code
 * jsonl} (see {@link Tasks}). A task of your own implements this interface (with a public no-argument
 * constructor) and is listed in {@code META-INF/services/dro4j.task.Task} of its jar; with the jar on
 * the class path ({@code java -cp dro4j.jar:mytask.jar dro4j.cli.Main train --task mytask ...}) it is
 * found by {@link java.util.ServiceLoader} under its {@link #name()}.
 */
public interface Task {
  /** The name used by {@code --task} and {@code task:} (lower case, no spaces). */
  String name();

  /**
   * Reads the examples of a file in the task's native format.
   *
   * @throws dro4j.BadInputException naming the file (and line) of a malformed record
   */
  List<Example> load(Path file);

  /** The prompt every command builds for this task's examples (unless the user names another). */
  PromptTemplate template();

  /**
   * The text that ends the reasoning in a well-formed completion ({@code </think>}), or null when the
   * task asks for no separate reasoning. The answer is what follows it. Default: the template's.
   */
  default String reasoningEnd() {
    return template().reasoningEnd();
  }

  /**
   * The rewards {@code train} uses when the configuration gives none, in the YAML form of {@code
   * rewards:} (each a map with {@code name}, optional {@code weight} and the reward's parameters).
   * Default: none.
   */
  default List<Map<String, Object>> defaultRewards() {
    return List.of();
  }

  /**
   * Judges one completion of {@code example}: the answer it gives and whether it is correct (or, for
   * a graded metric, its score).
   */
  Verdict judge(Example example, String completion);

  /**
   * For a graded metric (whose verdicts carry a {@link Verdict#score()} and no {@link
   * Verdict#correct()}), the summary name of the mean score, such as {@code rougeL}; null (the
   * default) for a binary metric, which is summarised by pass@k.
   */
  default String scoreName() {
    return null;
  }

  /**
   * The answer part of a completion: what follows the last {@code reasoningEnd}, or the whole
   * completion when it has none (a completion that never closes its reasoning is judged on all of
   * it), trimmed.
   */
  static String afterReasoning(String completion, String reasoningEnd) {
    if (reasoningEnd != null && !reasoningEnd.isEmpty()) {
      int at = completion.lastIndexOf(reasoningEnd);
      if (at >= 0) {
        return completion.substring(at + reasoningEnd.length()).trim();
      }
    }
    return completion.trim();
  }
}
