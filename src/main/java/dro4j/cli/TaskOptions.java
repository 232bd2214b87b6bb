package dro4j.cli;

import dro4j.BadInputException;
import dro4j.data.prompt.PromptTemplate;
import dro4j.task.PromptRenderer;
import dro4j.task.Task;
import dro4j.task.Tasks;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The task path's options, shared by {@code filter} and {@code eval} (and named as {@code train}'s
 * settings {@code task}, {@code prompt_template}, {@code system_prompt}, {@code max_prompt_length}).
 */
final class TaskOptions {
  @Option(names = "--task", paramLabel = "TASK", required = true,
      description = "The task (its loader reads --data, its template builds the prompts, its metric judges):"
          + " finqa, pararev, gsm8k, svamp, jsonl (dro4j's example format), or a custom task registered on the"
          + " class path.")
  String task;

  @Option(names = "--template", paramLabel = "NAME",
      description = "Prompt template: finqa, pararev, pararev_context, math, plain, or a template text with {field}"
          + " placeholders (as train's prompt_template). Default: the task's (finqa, pararev, math for gsm8k and"
          + " svamp, plain for jsonl).")
  String template;

  @Option(names = "--system-prompt", paramLabel = "TEXT",
      description = "System message replacing the template's (as train's system_prompt).")
  String systemPrompt;

  @Option(names = "--max-prompt-length", paramLabel = "N", defaultValue = "" + PromptRenderer.DEFAULT_MAX_PROMPT_LENGTH,
      description = "Prompts longer than N tokens keep their last N, as in training (max_prompt_length);"
          + " 0: never cut (default: ${DEFAULT-VALUE}).")
  int maxPromptLength;

  /** The named task; an unknown name is a usage error. */
  Task task(CommandLine cli) {
    try {
      return Tasks.byName(task);
    } catch (BadInputException e) {
      throw new CommandLine.ParameterException(cli, "--task: " + e.getMessage());
    }
  }

  /** The prompt template for {@code task} with {@code --template} and {@code --system-prompt} applied. */
  PromptTemplate template(Task task) {
    return PromptRenderer.template(task, template, systemPrompt);
  }

  /** The truncation length, or null for none. */
  Integer maxPromptLength() {
    return maxPromptLength > 0 ? maxPromptLength : null;
  }

  /** Prints how many of {@code total} prompts were cut, when any were. */
  void reportTruncated(CommandLine cli, long truncated, long total) {
    if (truncated > 0) {
      cli.getErr().printf("%d of %d prompts were cut to their last %d tokens (--max-prompt-length)%n",
          truncated, total, maxPromptLength);
    }
  }
}
