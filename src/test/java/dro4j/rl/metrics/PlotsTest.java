package dro4j.rl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** 60 steps of a noisy rising reward and falling loss, with a NaN KL now and then. */
  static Path writeRun(Path out) {
    Random rng = new Random(3);
    try (MetricsLog log = MetricsLog.open(out, 0)) {
      for (long step = 1; step <= 60; step++) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MetricNames.REWARD, 0.2 + 0.6 * step / 60 + 0.1 * rng.nextGaussian());
        m.put(MetricNames.LOSS, 1.0 / step + 0.02 * rng.nextGaussian());
        m.put(MetricNames.KL, step % 7 == 0 ? Double.NaN : 1e-4 * step);
        m.put(MetricNames.ENTROPY, 2.0 - step / 60.0);
        m.put(MetricNames.GRAD_NORM, 1 + rng.nextDouble());
        m.put("always_nan", Double.NaN);
        m.put("text", "abc");
        log.log(step, m);
      }
      return log.file();
    }
  }

  @Test
  void writesOnePngPerPresentKeyAndTheCombinedFigure(@TempDir Path dir) throws IOException {
    Path metrics = writeRun(dir);
    Path plots = dir.resolve("plots");
    List<Path> written = Plots.write(metrics, plots, Plots.DEFAULT_KEYS, 640, 360);

    // completions/mean_length is absent from the log: skipped
    assertThat(written).containsExactly(plots.resolve("reward.png"), plots.resolve("loss.png"),
        plots.resolve("kl.png"), plots.resolve("entropy.png"), plots.resolve("grad_norm.png"),
        plots.resolve("reward_loss.png"));
    try (Stream<Path> s = Files.list(plots)) {
      assertThat(s.count()).as("no temporary files left").isEqualTo(written.size());
    }
    for (Path png : written) {
      byte[] bytes = Files.readAllBytes(png);
      assertThat(Arrays.copyOf(bytes, 8)).as(png.toString()).isEqualTo(PNG_SIGNATURE);
      BufferedImage image = ImageIO.read(png.toFile());
      boolean combined = png.getFileName().toString().equals(Plots.COMBINED_FILE);
      assertThat(image.getWidth()).as(png.toString()).isEqualTo(640);
      assertThat(image.getHeight()).as(png.toString()).isEqualTo(combined ? 720 : 360);
    }
    // the curves are drawn: the moving average's red is on the reward chart, in both halves of
    // the combined figure
    BufferedImage reward = ImageIO.read(plots.resolve("reward.png").toFile());
    assertThat(countColor(reward, 0, 360, 214, 39, 40)).isGreaterThan(200);
    BufferedImage both = ImageIO.read(plots.resolve("reward_loss.png").toFile());
    assertThat(countColor(both, 0, 360, 214, 39, 40)).isGreaterThan(200);
    assertThat(countColor(both, 360, 720, 214, 39, 40)).isGreaterThan(200);
  }

  @Test
  void keysWithoutAFiniteNumberAreSkipped(@TempDir Path dir) {
    Path metrics = writeRun(dir);
    List<Path> written = Plots.write(metrics, dir.resolve("p"),
        List.of("always_nan", "text", "missing", MetricNames.LOSS));
    assertThat(written).containsExactly(dir.resolve("p").resolve("loss.png"));
  }

  @Test
  void defaultSizeAndFileNames(@TempDir Path dir) throws IOException {
    Path metrics = writeRun(dir);
    Path png = Plots.write(metrics, dir, List.of(MetricNames.REWARD)).get(0);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(Plots.DEFAULT_WIDTH);
    assertThat(image.getHeight()).isEqualTo(Plots.DEFAULT_HEIGHT);
    assertThat(Plots.fileName(MetricNames.COMPLETION_MEAN_LENGTH))
        .isEqualTo("completions_mean_length.png");
    assertThat(Plots.fileName("rewards/r3 score/mean")).isEqualTo("rewards_r3_score_mean.png");
  }

  @Test
  void movingAverageIsTrailing() {
    assertThat(Plots.movingAverage(new double[] {1, 2, 3, 4, 5}, 2))
        .containsExactly(1, 1.5, 2.5, 3.5, 4.5);
  }

  @Test
  void missingMetricsFileIsBadInput(@TempDir Path dir) {
    assertThatThrownBy(() -> Plots.write(dir.resolve("metrics.jsonl"), dir, Plots.DEFAULT_KEYS))
        .isInstanceOf(BadInputException.class).hasMessageContaining("metrics.jsonl");
  }

  private static int countColor(BufferedImage image, int fromY, int toY, int r, int g, int b) {
    int count = 0;
    for (int y = fromY; y < toY; y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        if (((rgb >> 16) & 0xff) == r && ((rgb >> 8) & 0xff) == g && (rgb & 0xff) == b) {
          count++;
        }
      }
    }
    return count;
  }
}
