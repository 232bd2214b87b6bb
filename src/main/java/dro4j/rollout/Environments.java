package dro4j.rollout;

import dro4j.BadInputException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Resolves the {@code environment:} of a job: a bundled name ({@code guess_number}: {@link
 * GuessNumberEnvironment}, {@code finqa_calculator}: {@link FinQaCalculatorEnvironment}) or the
 * fully qualified name of a class implementing {@link Environment} with a public no-argument
 * constructor. The result creates one fresh environment per trajectory.
 */
public final class Environments {
  private Environments() {}

  private static final Map<String, Supplier<Environment>> BUNDLED = Map.of(
      "guess_number", GuessNumberEnvironment::new,
      "finqa_calculator", FinQaCalculatorEnvironment::new);

  /** The factory for {@code nameOrClass}. */
  public static Supplier<Environment> byName(String nameOrClass) {
    Supplier<Environment> bundled = BUNDLED.get(nameOrClass);
    if (bundled != null) return bundled;
    Class<?> c;
    try {
      c = Class.forName(nameOrClass);
    } catch (ClassNotFoundException e) {
      throw new BadInputException("unknown environment '" + nameOrClass + "': use guess_number, finqa_calculator or the"
          + " class name of a dro4j.rollout.Environment");
    }
    if (!Environment.class.isAssignableFrom(c)) {
      throw new BadInputException("environment class " + nameOrClass + " does not implement dro4j.rollout.Environment");
    }
    java.lang.reflect.Constructor<?> constructor;
    try {
      constructor = c.getConstructor();
    } catch (NoSuchMethodException e) {
      throw new BadInputException("environment class " + nameOrClass + " has no public no-argument constructor");
    }
    return () -> {
      try {
        return (Environment) constructor.newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create environment " + nameOrClass + ": " + e.getMessage(), e);
      }
    };
  }
}
