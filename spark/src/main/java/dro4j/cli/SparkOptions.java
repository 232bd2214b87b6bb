package dro4j.cli;

import dro4j.spark.ExecutorModels;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/** The options of dro4j-spark's commands that say where and how the job runs. */
final class SparkOptions {
  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master: local[N] (N tasks in this JVM), local[N,F] (each task tried up to F times),"
          + " spark://HOST:PORT, yarn, k8s://... Default: spark-submit's --master, else local[*].")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = "A Spark setting, as spark-submit's --conf (repeatable), e.g. spark.task.cpus=2.")
  Map<String, String> conf = new LinkedHashMap<>();

  @Option(names = "--partitions", paramLabel = "N",
      description = "Partitions of the examples (eval, filter: default four per task slot, at most one per example)"
          + " or of a training step's prompt groups (train: default one per group).")
  Integer partitions;

  /**
   * Starts Spark for {@code app}: {@code --master} or spark-submit's, else {@code local[*]}; a local run
   * binds to the loopback address and has no web UI unless {@code --conf} asks for one.
   */
  JavaSparkContext start(String app) {
    SparkConf c = new SparkConf().setAppName(app); // spark-submit's settings arrive as spark.* properties
    if (master != null) c.setMaster(master);
    if (!c.contains("spark.master")) c.setMaster("local[*]");
    conf.forEach(c::set);
    if (c.get("spark.master").startsWith("local")) {
      c.setIfMissing("spark.ui.enabled", "false");
      c.setIfMissing("spark.driver.host", "127.0.0.1");
      c.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    long t0 = System.nanoTime();
    JavaSparkContext sc = new JavaSparkContext(c);
    sc.setLogLevel("WARN");
    System.err.printf("dro4j-spark: Spark %s started in %.2f s (master %s, %d task slots, PyTorch threads per task %d)%n",
        sc.version(), (System.nanoTime() - t0) / 1e9, sc.master(), sc.defaultParallelism(), ExecutorModels.threadsPerTask(c));
    return sc;
  }

  /** {@code --partitions}, else the default for {@code examples} examples. */
  int partitions(JavaSparkContext sc, int examples) {
    if (partitions != null) {
      if (partitions < 1) throw new dro4j.BadInputException("--partitions must be at least 1, got " + partitions);
      return partitions;
    }
    return Math.max(1, Math.min(examples, 4 * sc.defaultParallelism()));
  }
}
