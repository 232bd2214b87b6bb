package dro4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line of {@code dro4j-spark.jar}: {@code eval} and {@code filter} as Spark jobs, with the
 * options and outputs of dro4j's own commands plus {@code --master}, {@code --conf} and {@code
 * --partitions}. Run it with {@code java -jar dro4j-spark.jar} (local mode or a standalone cluster;
 * the jar's manifest opens the JDK packages Spark needs) or hand the thin jar to {@code spark-submit}.
 */
@Command(
    name = "dro4j-spark",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "dro4j's eval and filter as Apache Spark jobs, and train with its rollouts on Spark (local[N] or a cluster).",
    subcommands = {SparkEvalCommand.class, SparkFilterCommand.class, SparkTrainCommand.class, CommandLine.HelpCommand.class})
public final class SparkMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    // Netty (Spark's RPC) reaches into java.nio only when told it may; spark-submit passes this flag too
    if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
      System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    }
    return Main.run(new SparkMain(), out, err, args);
  }

  public static void main(String[] args) {
    // java -jar cannot add jdk.incubator.vector: rerun the jar with it so decoding uses the Java kernels
    VectorRelaunch.runAndExit(VectorRelaunch.jarCommand(VectorRelaunch.Inputs.current(), SparkMain.class.getName(), args));
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }
}
