package dro4j.rl;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.Map;

/**
 * A job's own reward, named in {@code rewards:} by its class name: a public class implementing {@link
 * Reward} with a public constructor taking the entry's parameters ({@code Map<String, Object>}) or a public
 * no-argument one. On Spark each executor builds it from the same name, so the class must be on every
 * executor's class path too.
 */
final class RewardClasses {
  private RewardClasses() {}

  /** Whether {@code name} reads as a class name rather than a built-in reward's (those have no dots). */
  static boolean looksLikeClassName(String name) {
    return name.contains(".");
  }

  /** A new instance of reward class {@code className} built from {@code params}. */
  static Reward create(String className, Map<String, Object> params) {
    Class<?> c = load(className);
    if (!Reward.class.isAssignableFrom(c)) {
      throw new BadInputException("reward class " + className + " does not implement dro4j.reward.Reward");
    }
    if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers())) {
      throw new BadInputException("reward class " + className + " must be a public, non-abstract class");
    }
    Constructor<?> constructor;
    Object[] arguments;
    try {
      constructor = c.getConstructor(Map.class);
      arguments = new Object[] {params};
    } catch (NoSuchMethodException noMapConstructor) {
      try {
        constructor = c.getConstructor();
      } catch (NoSuchMethodException noNoArgConstructor) {
        throw new BadInputException("reward class " + className + " has neither a public constructor taking its"
            + " parameters (Map<String, Object>) nor a public no-argument one");
      }
      if (!params.isEmpty()) {
        // a no-argument constructor would silently drop them
        throw new BadInputException("reward class " + className + " takes no parameters (it has no public"
            + " constructor taking a Map<String, Object>), but the job gives " + params.keySet());
      }
      arguments = new Object[0];
    }
    try {
      return (Reward) constructor.newInstance(arguments);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw withCause("reward class " + className + ": its constructor failed: "
          + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName()), cause);
    } catch (ReflectiveOperationException e) {
      throw withCause("reward class " + className + " cannot be created: " + e, e);
    }
  }

  /**
   * The class from the thread's context class loader first (on a Spark executor the one holding the
   * jars of {@code spark-submit --jars}), then from dro4j's own.
   */
  private static Class<?> load(String className) {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    if (context != null) {
      try {
        return Class.forName(className, false, context);
      } catch (ClassNotFoundException | LinkageError e) {
        // fall through to dro4j's own loader
      }
    }
    try {
      return Class.forName(className, false, RewardClasses.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new BadInputException("unknown reward '" + className + "': not a built-in reward (dro4j reward --list)"
          + " and no class of that name on the class path; a reward class must be on the class path of this"
          + " process and, with rollout_workers: spark, of every executor (spark-submit --jars)");
    } catch (LinkageError e) {
      throw withCause("reward class " + className + " cannot be loaded: " + e, e);
    }
  }

  private static BadInputException withCause(String problem, Throwable cause) {
    BadInputException e = new BadInputException(problem);
    e.initCause(cause);
    return e;
  }
}
