package dro4j.rl.metrics;

import dro4j.BadInputException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG line charts of a run's {@code metrics.jsonl}, drawn headless with XChart: one chart per metric
 * (x = step) and a combined figure with reward above loss. Non-finite and non-numeric values are left
 * out of a curve; a metric no line has is skipped. Curves of 20 points or more also show a trailing
 * moving average, since per-step RL metrics are noisy.
 */
public final class Plots {
  static {
    // No display on training machines; must be set before AWT starts.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** The main curves: reward, loss, KL, entropy, gradient norm, mean completion length. */
  public static final List<String> DEFAULT_KEYS = List.of(
      MetricNames.REWARD,
      MetricNames.LOSS,
      MetricNames.KL,
      MetricNames.ENTROPY,
      MetricNames.GRAD_NORM,
      MetricNames.COMPLETION_MEAN_LENGTH);

  /** The combined reward/loss figure's file name. */
  public static final String COMBINED_FILE = "reward_loss.png";

  /** Default size of one chart in pixels. */
  public static final int DEFAULT_WIDTH = 800;

  /** Default height of one chart in pixels (the combined figure is twice as high). */
  public static final int DEFAULT_HEIGHT = 500;

  private static final int MOVING_AVERAGE_MIN_POINTS = 20;

  private Plots() {}

  /** {@link #write(Path, Path, List, int, int)} at 800 x 500 pixels per chart. */
  public static List<Path> write(Path metricsJsonl, Path outDir, List<String> keys) {
    return write(metricsJsonl, outDir, keys, DEFAULT_WIDTH, DEFAULT_HEIGHT);
  }

  /**
   * Draws one PNG per metric in {@code keys} that the file has ({@link #fileName}), plus {@link
   * #COMBINED_FILE} ({@code width} x {@code 2 * height}, reward above loss) when both are among the
   * keys and present.
   *
   * @param keys metric names ({@link #DEFAULT_KEYS} for the main curves)
   * @return the files written, in key order, the combined figure last
   * @throws BadInputException when the metrics file is missing or malformed
   */
  public static List<Path> write(Path metricsJsonl, Path outDir, List<String> keys, int width,
      int height) {
    if (width < 100 || height < 100) {
      throw new IllegalArgumentException("charts need at least 100 x 100 pixels, got " + width
          + " x " + height);
    }
    List<MetricsLog.Row> rows = MetricsLog.read(metricsJsonl);
    List<Path> written = new ArrayList<>();
    XYChart reward = null;
    XYChart loss = null;
    try {
      Files.createDirectories(outDir);
      for (String key : keys) {
        XYChart chart = chart(rows, key, width, height);
        if (chart == null) {
          continue;
        }
        Path file = outDir.resolve(fileName(key));
        save(List.of(chart), 1, file);
        written.add(file);
        if (key.equals(MetricNames.REWARD)) {
          reward = chart;
        } else if (key.equals(MetricNames.LOSS)) {
          loss = chart;
        }
      }
      if (reward != null && loss != null) {
        Path file = outDir.resolve(COMBINED_FILE);
        save(List.of(reward, loss), 2, file);
        written.add(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing plots to " + outDir, e);
    }
    return written;
  }

  /** The PNG name of a metric: characters other than letters, digits, '-' and '.' become '_'. */
  public static String fileName(String key) {
    return key.replaceAll("[^A-Za-z0-9.\\-]", "_") + ".png";
  }

  /** The chart of one metric, or null when no row has a finite value for it. */
  private static XYChart chart(List<MetricsLog.Row> rows, String key, int width, int height) {
    double[] xs = new double[rows.size()];
    double[] ys = new double[rows.size()];
    int n = 0;
    for (MetricsLog.Row row : rows) {
      double y = row.number(key);
      if (Double.isFinite(y)) {
        xs[n] = row.step();
        ys[n] = y;
        n++;
      }
    }
    if (n == 0) {
      return null;
    }
    xs = Arrays.copyOf(xs, n);
    ys = Arrays.copyOf(ys, n);

    XYChart chart = new XYChartBuilder().width(width).height(height).title(key)
        .xAxisTitle("step").yAxisTitle(key).build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setAntiAlias(true);
    boolean average = n >= MOVING_AVERAGE_MIN_POINTS;
    chart.getStyler().setLegendVisible(average);

    XYSeries raw = chart.addSeries(key, xs, ys);
    raw.setMarker(n == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    raw.setLineColor(average ? new Color(120, 160, 220) : new Color(31, 119, 180));
    raw.setLineWidth(1.2f);
    if (average) {
      int window = Math.max(5, n / 25);
      XYSeries smooth = chart.addSeries("mean of last " + window, xs, movingAverage(ys, window));
      smooth.setMarker(SeriesMarkers.NONE);
      smooth.setLineColor(new Color(214, 39, 40));
      smooth.setLineStyle(new BasicStroke(2.2f));
    }
    return chart;
  }

  /** Trailing mean over up to {@code window} values ending at each index. */
  static double[] movingAverage(double[] ys, int window) {
    double[] out = new double[ys.length];
    double sum = 0;
    for (int i = 0; i < ys.length; i++) {
      sum += ys[i];
      if (i >= window) {
        sum -= ys[i - window];
      }
      out[i] = sum / Math.min(i + 1, window);
    }
    return out;
  }

  /** Writes the charts stacked in one column, through a temporary file and a rename. */
  private static void save(List<XYChart> charts, int rows, Path file) throws IOException {
    // Not Files.createTempFile: that makes an owner-only file, and the PNG should get the umask's mode.
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
    try {
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        if (charts.size() == 1) {
          BitmapEncoder.saveBitmap(charts.get(0), out, BitmapFormat.PNG);
        } else {
          BitmapEncoder.saveBitmap(charts, rows, 1, out, BitmapFormat.PNG);
        }
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
