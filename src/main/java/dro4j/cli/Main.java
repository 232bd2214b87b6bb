package dro4j.cli;

import dro4j.BadInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dro4j} command line. Exit codes: 0 success, 2 bad usage, 1 any other failure (one line on
 * stderr naming the file and the problem).
 */
@Command(
    name = "dro4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Direct Reasoning Optimization and self-computed rewards for language models.",
    subcommands = {
      GenerateCommand.class,
      ScoreCommand.class,
      MergeCommand.class,
      RenderCommand.class,
      AgreementCommand.class,
      BenchCommand.class,
      RewardCommand.class,
      FilterCommand.class,
      EvalCommand.class,
      TrainCommand.class,
      SftCommand.class,
      InitCommand.class,
      TrainTokenizerCommand.class,
      SyntheticFinQaCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the CLI and returns its exit code (for tests). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(new Main(), out, err, args);
  }

  /** Runs the command {@code root} (dro4j's or dro4j-spark's) with dro4j's error handling. */
  static int run(Object root, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(root);
    cli.setOut(out);
    cli.setOverwrittenOptionsAllowed(true); // a flag given twice: the last one wins, as with argparse
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + describe(ex));
          if (System.getenv("DRO4J_DEBUG") != null) {
            ex.printStackTrace(commandLine.getErr());
          }
          commandLine.getErr().flush();
          return 1;
        });
    // a usage error: the message and where the options are documented, not the whole help
    cli.setParameterExceptionHandler((ex, commandArgs) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("error: " + ex.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(ex, c.getErr());
      c.getErr().println("('" + c.getCommandSpec().qualifiedName() + " --help' lists the options)");
      c.getErr().flush();
      return 2;
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  private static String describe(Throwable ex) {
    if (ex instanceof BadInputException || ex instanceof IllegalArgumentException
        || ex instanceof dro4j.model.NativePlatform.UnsupportedPlatformException) {
      return ex.getMessage();
    }
    String msg = ex.getMessage();
    return ex.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  public static void main(String[] args) {
    // java -jar cannot add jdk.incubator.vector: rerun with it so decoding uses the Java kernels
    VectorRelaunch.runAndExit(VectorRelaunch.command(VectorRelaunch.Inputs.current(), args));
    String hint = VectorRelaunch.allocatorHint(System.getenv(), System.getProperty("os.name"), args);
    if (hint != null) System.err.println(hint);
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Version from the jar manifest, or "dev". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"dro4j " + (v == null ? "dev" : v)};
    }
  }
}
