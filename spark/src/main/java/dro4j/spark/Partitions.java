package dro4j.spark;

import dro4j.BadInputException;
import dro4j.data.Example;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import scala.Tuple2;

/** How the jobs split examples into partitions and collect what the executors send back. */
final class Partitions {
  private Partitions() {}

  /**
   * What one partition sends back: one item per example, with the example's index in the input, and
   * the time its JVM took to load the model.
   */
  record Output<T extends Serializable>(List<Indexed<T>> items, double modelLoadSeconds) implements Serializable {}

  /** An item and the index of its example. */
  record Indexed<T extends Serializable>(int index, T value) implements Serializable {}

  /** {@code examples} with their indices, as the partitioned input. */
  static List<Tuple2<Integer, Example>> indexed(List<Example> examples) {
    List<Tuple2<Integer, Example>> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) out.add(new Tuple2<>(i, examples.get(i)));
    return out;
  }

  /**
   * The items of all {@code outputs} in input order (one per example, whichever partition or attempt
   * produced it).
   */
  static <T extends Serializable> List<T> inOrder(List<Output<T>> outputs, int examples) {
    List<T> ordered = new ArrayList<>(java.util.Collections.nCopies(examples, null));
    for (Output<T> o : outputs) {
      for (Indexed<T> item : o.items()) {
        if (ordered.set(item.index(), item.value()) != null) {
          throw new IllegalStateException("example " + item.index() + " came back twice");
        }
      }
    }
    int missing = ordered.indexOf(null);
    if (missing >= 0) throw new IllegalStateException("example " + missing + " did not come back");
    return ordered;
  }

  /** The longest model load among {@code outputs}: what the first task of the slowest executor waited. */
  static double modelLoadSeconds(List<? extends Output<?>> outputs) {
    double s = 0;
    for (Output<?> o : outputs) s = Math.max(s, o.modelLoadSeconds());
    return s;
  }

  /**
   * Runs {@code job}; a job that failed on an executor's {@link InputFailure} throws that failure, any
   * other failure an {@link IllegalStateException} with Spark's message.
   */
  static <T> T collect(Supplier<T> job) {
    try {
      return job.get();
    } catch (InputFailure | BadInputException e) {
      throw e;
    } catch (Exception e) { // Spark's SparkException is checked, though no Java signature declares it
      InputFailure f = InputFailure.in(e);
      if (f != null) throw f;
      throw new IllegalStateException("the Spark job failed: " + e.getMessage(), e);
    }
  }
}
