package dro4j.spark;

import dro4j.data.prompt.PromptTemplate;
import dro4j.eval.EvalOptions;
import java.io.Serializable;
import java.util.Objects;

/**
 * What every executor of a distributed evaluation needs, shipped with each task.
 *
 * @param model the model folder as every executor sees it, {@code bundled:NAME}, or null for the bundled
 *     default
 * @param adapter a PEFT LoRA adapter folder every executor sees, applied on top of the model, or null
 * @param task the task's name ({@link dro4j.task.Tasks#byName}; a custom task's jar must be on the
 *     executors' class path)
 * @param template builds each example's prompt
 * @param options samples, sampling, seed and prompt length, as {@code dro4j eval}'s
 */
public record EvalJob(String model, String adapter, String task, PromptTemplate template, EvalOptions options) implements Serializable {
  /** Checks the settings that are required. */
  public EvalJob {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(options, "options");
  }
}
