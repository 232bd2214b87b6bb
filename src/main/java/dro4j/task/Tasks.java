package dro4j.task;

import dro4j.BadInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The registry of tasks: the built-in ones ({@code finqa}, {@code pararev}, {@code gsm8k}, {@code
 * svamp}, {@code jsonl}) and every {@link Task} on the class path listed in a {@code
 * META-INF/services/dro4j.task.Task} file ({@link ServiceLoader}), looked up by {@link Task#name()}.
 */
public final class Tasks {
  /** The task used when none is named: dro4j's own example format. */
  public static final String DEFAULT = "jsonl";

  private Tasks() {}

  /**
   * The task called {@code name}, or {@link #DEFAULT} for null.
   *
   * @throws BadInputException for an unknown name, listing the known ones
   */
  public static Task byName(String name) {
    Map<String, Task> all = all();
    Task t = all.get(name == null ? DEFAULT : name);
    if (t == null) {
      throw new BadInputException("unknown task '" + name + "'; known: " + String.join(", ", all.keySet())
          + " (a custom task is found when its jar, with META-INF/services/dro4j.task.Task, is on the class path)");
    }
    return t;
  }

  /** The names of every task found, built-in ones first. */
  public static List<String> names() {
    return new ArrayList<>(all().keySet());
  }

  private static Map<String, Task> all() {
    Map<String, Task> tasks = new LinkedHashMap<>();
    for (Task t : List.of(new FinQaTask(), new FinQaTask(true), new ParaRevTask(), MathTask.gsm8k(), MathTask.svamp(), new JsonlTask())) {
      tasks.put(t.name(), t);
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try {
      for (Task t : ServiceLoader.load(Task.class, loader != null ? loader : Tasks.class.getClassLoader())) {
        Task previous = tasks.putIfAbsent(t.name(), t);
        if (previous != null && previous.getClass() != t.getClass()) {
          throw new BadInputException("two tasks are called '" + t.name() + "': " + previous.getClass().getName()
              + " and " + t.getClass().getName());
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new BadInputException("cannot load a registered task: " + e.getMessage());
    }
    return tasks;
  }
}
