package dro4j.rl.metrics;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Shows training progress: on a terminal, a progress bar (me.tongfei progressbar) with ETA and the
 * key numbers (reward, loss, kl, tokens/s); elsewhere (output redirected, {@code System.console()}
 * null, or a CI environment) a compact line every N steps, for example
 *
 * <pre>
 * step 20/100 (20%) | reward 0.5320 | loss 0.01230 | kl 4.100e-04 | tok/s 1234 | elapsed 0:01:23 | eta 0:05:32
 * </pre>
 *
 * <p>ETA is the time per step so far in this process times the steps left, so a resumed run (which
 * starts at a later step) estimates from its own pace. Metrics a step does not report are left out.
 */
public final class ProgressReporter implements AutoCloseable {

  /** A number shown in the progress line: its short label and the metric it reads. */
  public record Key(String label, String metric) {}

  /** The numbers shown: reward mean, loss, KL and tokens per second. */
  public static final List<Key> KEYS = List.of(
      new Key("reward", MetricNames.REWARD),
      new Key("loss", MetricNames.LOSS),
      new Key("kl", MetricNames.KL),
      new Key("tok/s", MetricNames.TOKENS_PER_SECOND));

  private final long totalSteps;
  private final long startStep;
  private final ProgressBar bar; // null in line mode
  private final int logEvery;
  private final PrintStream out;
  private final LongSupplier nanoTime;
  private final long startNanos;
  private String label = "step";
  private long lastStep;
  private String lastNumbers = "";
  private boolean lastPrinted = true;

  private ProgressReporter(long totalSteps, long startStep, ProgressBar bar, int logEvery,
      PrintStream out, LongSupplier nanoTime) {
    if (totalSteps < 1 || startStep < 0 || startStep > totalSteps) {
      throw new IllegalArgumentException("need 0 <= startStep <= totalSteps and totalSteps >= 1, got "
          + startStep + " and " + totalSteps);
    }
    this.totalSteps = totalSteps;
    this.startStep = startStep;
    this.bar = bar;
    this.logEvery = logEvery;
    this.out = out;
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
    this.lastStep = startStep;
  }

  /**
   * A progress bar on a terminal ({@link #isInteractive()}), else a line on standard error every
   * {@code logEvery} steps.
   *
   * @param totalSteps the step training ends at
   * @param startStep the step training starts after (0, or the resumed checkpoint's step)
   * @param logEvery how often to print a line when there is no terminal (&gt;= 1)
   */
  public static ProgressReporter create(long totalSteps, long startStep, int logEvery) {
    return isInteractive()
        ? bar(totalSteps, startStep, null)
        : lines(totalSteps, startStep, logEvery, System.err, System::nanoTime);
  }

  /**
   * A progress bar.
   *
   * @param consumer where the rendered bar goes; null for the console (standard error)
   */
  public static ProgressReporter bar(long totalSteps, long startStep, ProgressBarConsumer consumer) {
    return bar("train", "steps", totalSteps, startStep, consumer);
  }

  /**
   * A progress bar of {@code total} items called {@code unit} (e.g. "examples"), named {@code
   * taskName}, drawn on a terminal ({@link #isInteractive()}), else a line on standard error every
   * {@code logEvery} items that starts with {@code taskName}.
   */
  public static ProgressReporter create(String taskName, String unit, long total, int logEvery) {
    if (isInteractive()) {
      return bar(taskName, unit, total, 0, null);
    }
    ProgressReporter r = lines(total, 0, logEvery, System.err, System::nanoTime);
    r.label = taskName;
    return r;
  }

  private static ProgressReporter bar(String taskName, String unit, long totalSteps, long startStep,
      ProgressBarConsumer consumer) {
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(taskName)
        .setInitialMax(totalSteps)
        .setUnit(" " + unit, 1)
        .setUpdateIntervalMillis(500)
        .startsFrom(startStep, Duration.ZERO);
    if (consumer != null) {
      b.setConsumer(consumer);
    }
    return new ProgressReporter(totalSteps, startStep, b.build(), 1, null, System::nanoTime);
  }

  /**
   * Plain lines: one at the first step, every {@code logEvery} steps, and at the last step (or at
   * {@link #close} for the last step reported, if not printed yet).
   *
   * @param nanoTime the clock ({@code System::nanoTime}; tests pass a fake one)
   */
  public static ProgressReporter lines(long totalSteps, long startStep, int logEvery, PrintStream out,
      LongSupplier nanoTime) {
    if (logEvery < 1) {
      throw new IllegalArgumentException("logEvery must be >= 1, got " + logEvery);
    }
    return new ProgressReporter(totalSteps, startStep, null, logEvery, out, nanoTime);
  }

  /**
   * Whether a progress bar can be drawn: a console is attached, it is a terminal (Java 22+ reports
   * this; before, a console implies one), and the environment variable {@code CI} is unset, empty,
   * "false" or "0".
   */
  public static boolean isInteractive() {
    return isInteractive(System.getenv("CI"), System.console());
  }

  static boolean isInteractive(String ci, Console console) {
    if (ci != null && !ci.isBlank() && !ci.trim().equals("0") && !ci.trim().equalsIgnoreCase("false")) {
      return false;
    }
    if (console == null) {
      return false;
    }
    try {
      // From Java 22 System.console() is non-null even when redirected; isTerminal() tells.
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /** Reports that {@code step} is done, with its metrics (see {@link #KEYS} for what is shown). */
  public synchronized void update(long step, Map<String, ?> metrics) {
    lastStep = step;
    lastNumbers = numbers(metrics);
    if (bar != null) {
      bar.setExtraMessage(lastNumbers);
      bar.stepTo(step);
      return;
    }
    boolean due = step - startStep == 1 || step % logEvery == 0 || step >= totalSteps;
    lastPrinted = due;
    if (due) {
      out.println(line());
      out.flush();
    }
  }

  /** Ends the bar, or prints the last reported step if its line was not printed. */
  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
    } else if (!lastPrinted) {
      out.println(line());
      out.flush();
      lastPrinted = true;
    }
  }

  private String line() {
    StringBuilder s = new StringBuilder();
    s.append(label).append(' ').append(lastStep).append('/').append(totalSteps)
        .append(" (").append(lastStep * 100 / totalSteps).append("%)");
    if (!lastNumbers.isEmpty()) {
      s.append(" | ").append(lastNumbers);
    }
    long elapsed = nanoTime.getAsLong() - startNanos;
    s.append(" | elapsed ").append(clock(elapsed));
    long done = lastStep - startStep;
    if (done > 0) {
      double perStep = (double) elapsed / done;
      s.append(" | eta ").append(clock((long) (perStep * Math.max(0, totalSteps - lastStep))));
    }
    return s.toString();
  }

  /** "reward 0.5320 | loss 0.01230 | ..." for the keys present in {@code metrics}. */
  static String numbers(Map<String, ?> metrics) {
    List<String> parts = new ArrayList<>();
    for (Key k : KEYS) {
      if (metrics.get(k.metric()) instanceof Number n) {
        parts.add(k.label() + " " + format(n.doubleValue()));
      }
    }
    return String.join(" | ", parts);
  }

  /** Four significant digits, plain for 0.001..100000, else scientific; whole numbers from 100. */
  static String format(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    double a = Math.abs(v);
    if (a == 0) {
      return "0";
    }
    if (a >= 100 && a < 1e9) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 1e-3 && a < 100) {
      return String.format(Locale.ROOT, "%.4g", v);
    }
    return String.format(Locale.ROOT, "%.3e", v);
  }

  /** H:MM:SS. */
  static String clock(long nanos) {
    long seconds = Math.max(0, Math.round(nanos / 1e9));
    return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
        seconds % 60);
  }
}
