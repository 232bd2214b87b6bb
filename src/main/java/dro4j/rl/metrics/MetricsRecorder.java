package dro4j.rl.metrics;

import dro4j.rl.StepListener;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StepListener} that writes every reported step to {@code <output_dir>/metrics.jsonl} (a
 * resumed run first drops the lines after its checkpoint's step) and draws the main curves to
 * {@code <output_dir>/plots/*.png} when training ends.
 */
public final class MetricsRecorder implements StepListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsRecorder.class);

  private final Path outputDir;
  private final long resumeStep;
  private MetricsLog log;

  /**
   * A recorder of {@code <outputDir>/metrics.jsonl} for a run starting after {@code resumeStep} (0 =
   * fresh). The file is opened (and a resumed run's later lines dropped) at the first reported step,
   * so a run that fails before training leaves no file behind.
   */
  public MetricsRecorder(Path outputDir, long resumeStep) {
    this.outputDir = outputDir;
    this.resumeStep = resumeStep;
  }

  private synchronized MetricsLog log() {
    if (log == null) log = MetricsLog.open(outputDir, resumeStep);
    return log;
  }

  @Override
  public void onStep(long step, Map<String, Object> metrics) {
    // the trainers report the step among the metrics; the log writes it as the line's first field
    Map<String, Object> values = new java.util.LinkedHashMap<>(metrics);
    values.remove("step");
    log().log(step, values);
  }

  @Override
  public void onTrainEnd(long step) {
    log();
    close();
    try {
      Plots.write(file(), outputDir.resolve("plots"), Plots.DEFAULT_KEYS);
    } catch (RuntimeException e) {
      // Plots are a convenience; a headless-graphics problem must not fail a finished run.
      LOG.warn("could not draw plots in {}: {}", outputDir.resolve("plots"), e.toString());
    }
  }

  /** The metrics file. */
  public Path file() {
    return outputDir.resolve(MetricsLog.FILE_NAME);
  }

  @Override
  public synchronized void close() {
    if (log != null) log.close();
  }
}
