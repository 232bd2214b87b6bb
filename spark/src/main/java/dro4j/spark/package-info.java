/**
 * dro4j's evaluation and R3 filtering as Apache Spark jobs: the examples are partitioned, every executor
 * JVM loads the model once ({@link dro4j.spark.ExecutorModels}) and shares it between its concurrent
 * tasks, each example is sampled and scored on its own with the seed the in-process commands use, and
 * the driver assembles exactly what {@code dro4j eval} and {@code dro4j filter} would write.
 *
 * <p>{@link dro4j.spark.SparkEvaluation} and {@link dro4j.spark.SparkFiltering} are the library entry
 * points (give them a {@code JavaSparkContext}); {@code dro4j.cli.SparkMain} is the command line of
 * {@code dro4j-spark.jar}.
 */
package dro4j.spark;
