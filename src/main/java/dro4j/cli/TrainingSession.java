package dro4j.cli;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.rl.CompletionsListener;
import dro4j.rl.config.TrainingArguments;
import dro4j.rl.metrics.MetricsLog;
import dro4j.rl.metrics.TensorBoardWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.stream.Stream;
import dro4j.model.TensorEngine;
import dro4j.rl.CheckpointSink;
import dro4j.rl.ResumeState;
import dro4j.rl.StepListener;
import dro4j.rl.metrics.MetricsRecorder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * What the {@code train} and {@code sft} commands set up around a trainer: the checkpoint to resume
 * from ({@code --resume}), checkpoint writing, the metrics log and plots in {@code output_dir}, and the
 * console progress. Closing it closes the resumed policy and the logs.
 */
final class TrainingSession implements AutoCloseable {
  private final PrintWriter out;
  private final Path outputDir;
  private final Checkpointing checkpoints = Checkpointing.available();
  private final ConsoleReport report;
  private final MetricsRecorder metrics;
  private final TensorBoardWriter tensorBoard;
  private final List<Path> earlierRun;
  private final CompletionsLog completions;

  /** What a run writes into output_dir besides its checkpoint-* folders. */
  static final List<String> RUN_OUTPUTS = List.of(MetricsLog.FILE_NAME, CompletionsLog.FILE_NAME, "plots", "runs",
      RunReport.SUMMARY, RunReport.REPORT);
  private final LanguageModel resumed;
  private final ResumeState resumeState;

  /**
   * Opens the session: with {@code resume}, loads the newest checkpoint of {@code output_dir} (its
   * folder is the policy; error when there is none) and continues its logs after that checkpoint's
   * step; a fresh run needs an output_dir without an earlier run, or {@code overwrite_output_dir}.
   */
  TrainingSession(PrintWriter out, TrainingArguments args, boolean resume, String... reportKeys) {
    this.out = out;
    this.outputDir = args.outputDir();
    this.report = new ConsoleReport(out, reportKeys);
    if (resume) {
      Checkpointing.Resume r = checkpoints.latest(outputDir);
      this.earlierRun = List.of();
      // a LoRA checkpoint is an adapter folder: the base is the job's model, as in the run that wrote it
      this.resumed = dro4j.model.LoraConfig.isAdapterFolder(r.directory())
          ? LanguageModel.load(dro4j.model.BundledModel.resolve(args.model()), r.directory(), TensorEngine.device(args.device()))
          : LanguageModel.load(r.directory(), TensorEngine.device(args.device()));
      this.resumeState = r.state();
      out.println("resuming from " + r.directory() + " at step " + r.state().step());
      String warning = threadCountWarning(r.state().torchNumThreads(), TensorEngine.threads());
      if (warning != null) {
        out.println(warning);
      }
    } else {
      this.resumed = null;
      this.resumeState = null;
      this.earlierRun = earlierRun(outputDir, args.overwriteOutputDir());
    }
    this.metrics = new MetricsRecorder(outputDir, resumedStep());
    this.tensorBoard = "tensorboard".equals(args.reportTo()) ? new TensorBoardWriter(outputDir.resolve("runs")) : null;
    this.completions = new CompletionsLog(out, outputDir, resumedStep());
  }

  /**
   * The earlier run's outputs in a fresh run's output folder ({@link #RUN_OUTPUTS}, {@code
   * checkpoint-*}): refused unless {@code overwrite} (overwrite_output_dir); then {@link #started}
   * deletes them, once the trainer has been built, so a job that fails its checks loses nothing.
   */
  private static List<Path> earlierRun(Path dir, boolean overwrite) {
    List<Path> earlier = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> entries = Files.list(dir)) {
        entries.filter(p -> RUN_OUTPUTS.contains(p.getFileName().toString())
            || p.getFileName().toString().startsWith("checkpoint-")).sorted().forEach(earlier::add);
      } catch (IOException e) {
        throw new BadInputException(dir, "cannot list the output folder: " + e.getMessage(), e);
      }
    }
    if (!earlier.isEmpty() && !overwrite) {
      throw new BadInputException(dir.toAbsolutePath(), "output_dir already holds a run (" + names(earlier)
          + "); --resume continues it, --overwrite_output_dir true deletes it first, or choose another --output_dir");
    }
    return earlier;
  }

  private static String names(List<Path> paths) {
    return String.join(", ", paths.stream().map(p -> p.getFileName().toString()).toList());
  }

  private static void deleteRecursively(Path path) {
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    } catch (IOException e) {
      throw new BadInputException(path, "cannot delete (overwrite_output_dir): " + e.getMessage(), e);
    }
  }

  /** The PyTorch thread count in use and how to change it, for the start-up line. */
  static String threads() {
    return "PyTorch threads " + TensorEngine.threads() + " (DRO4J_THREADS=N sets it)";
  }

  /** Receives the rollouts of logged steps for {@code completions.jsonl} (log_completions). */
  CompletionsListener completions() {
    return completions;
  }

  /**
   * The warning for a resume at another PyTorch thread count than the checkpoint's run used, or null
   * when they agree or the checkpoint does not record it: reductions and matrix products split their
   * sums by thread, so the continued run will not be bit-identical to an uninterrupted one.
   */
  static String threadCountWarning(Integer recorded, int current) {
    if (recorded == null || recorded == current) {
      return null;
    }
    return "warning: the checkpoint was written with " + recorded + " PyTorch thread" + (recorded == 1 ? "" : "s")
        + " and this run uses " + current + ", so it will not be bit-identical to an uninterrupted run;"
        + " set DRO4J_THREADS=" + recorded + " to continue it exactly";
  }

  /** Where the trainer writes checkpoints. */
  CheckpointSink checkpoints() {
    return checkpoints.sink();
  }

  /** The listeners to add to the trainer: console progress, the metrics log and TensorBoard (report_to). */
  List<StepListener> listeners() {
    return tensorBoard == null ? List.of(report, metrics) : List.of(report, metrics, tensorBoard);
  }

  /** The policy loaded from the checkpoint, or null when not resuming. */
  LanguageModel resumedPolicy() {
    return resumed;
  }

  /** The trainer state of the checkpoint, or null when not resuming. */
  ResumeState resumeState() {
    return resumeState;
  }

  /** Steps already done (0 for a fresh run). */
  long resumedStep() {
    return resumeState == null ? 0 : resumeState.step();
  }

  /**
   * Tells the progress display how many steps the run has; with overwrite_output_dir, first deletes
   * the earlier run's outputs.
   */
  void started(long totalSteps) {
    if (!earlierRun.isEmpty()) {
      for (Path p : earlierRun) deleteRecursively(p);
      out.println("overwrite_output_dir: deleted the earlier run's " + names(earlierRun) + " in " + outputDir);
    }
    report.totalSteps(totalSteps, resumedStep());
  }

  /** Prints where the run's outputs are. */
  void printOutputs() {
    out.printf("metrics: %s, plots: %s, checkpoints: %s%n", metrics.file(), outputDir.resolve("plots"), outputDir);
    if (Files.exists(outputDir.resolve(RunReport.REPORT))) {
      out.printf("report: %s, summary: %s%n", outputDir.resolve(RunReport.REPORT), outputDir.resolve(RunReport.SUMMARY));
    }
  }

  @Override
  public void close() {
    report.close();
    metrics.close();
    completions.close();
    if (tensorBoard != null) tensorBoard.close();
    if (resumed != null) {
      resumed.close();
    }
  }
}
