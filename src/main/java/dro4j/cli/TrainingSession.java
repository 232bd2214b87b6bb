package dro4j.cli;

import dro4j.LanguageModel;
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
  private final LanguageModel resumed;
  private final ResumeState resumeState;

  /**
   * Opens the session: with {@code resume}, loads the newest checkpoint of {@code outputDir} (its
   * folder is the policy; error when there is none); opens the metrics log after that checkpoint's step.
   */
  TrainingSession(PrintWriter out, Path outputDir, boolean resume, String... reportKeys) {
    this.out = out;
    this.outputDir = outputDir;
    this.report = new ConsoleReport(out, reportKeys);
    if (resume) {
      Checkpointing.Resume r = checkpoints.latest(outputDir);
      this.resumed = LanguageModel.load(r.directory());
      this.resumeState = r.state();
      out.println("resuming from " + r.directory() + " at step " + r.state().step());
      String warning = threadCountWarning(r.state().torchNumThreads(), TensorEngine.threads());
      if (warning != null) {
        out.println(warning);
      }
    } else {
      this.resumed = null;
      this.resumeState = null;
    }
    this.metrics = new MetricsRecorder(outputDir, resumedStep());
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

  /** The listeners to add to the trainer: console progress and the metrics log. */
  List<StepListener> listeners() {
    return List.of(report, metrics);
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

  /** Tells the progress display how many steps the run has. */
  void started(long totalSteps) {
    report.totalSteps(totalSteps, resumedStep());
  }

  /** Prints where the run's outputs are. */
  void printOutputs() {
    out.printf("metrics: %s, plots: %s, checkpoints: %s%n", metrics.file(), outputDir.resolve("plots"), outputDir);
  }

  @Override
  public void close() {
    report.close();
    metrics.close();
    if (resumed != null) {
      resumed.close();
    }
  }
}
