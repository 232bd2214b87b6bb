package dro4j.rl.metrics;

import dro4j.rl.StepListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * {@code report_to: tensorboard}: a {@link StepListener} that writes every numeric metric of each
 * reported step as a TensorBoard scalar to {@code <dir>/events.out.tfevents.<seconds>.<host>}.
 *
 * <p>The file is written here rather than through a library: Maven Central has no maintained
 * stand-alone Java TensorBoard writer (TensorFlow Java's is part of a native runtime of several hundred
 * MB), and the format is small. It is a TFRecord file (each record: its length as a little-endian
 * uint64, the masked CRC-32C of those 8 bytes, the bytes, their masked CRC-32C) of {@code
 * tensorflow.Event} protocol buffers: first {@code {wall_time, file_version: "brain.Event:2"}}, then one
 * {@code {wall_time, step, summary: {value: [{tag, simple_value}, ...]}}} per step, as TensorFlow's and
 * tensorboardX's writers produce them. Each event is flushed when written.
 */
public final class TensorBoardWriter implements StepListener, AutoCloseable {
  private final Path dir;
  private Path file;
  private OutputStream out;

  /**
   * A writer of a new event file in {@code dir}; the folder and the file are created at the first
   * reported step, so a run that fails before it leaves nothing behind.
   */
  public TensorBoardWriter(Path dir) {
    this.dir = dir;
  }

  private void open() {
    try {
      Files.createDirectories(dir);
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "localhost";
      }
      this.file = dir.resolve("events.out.tfevents." + System.currentTimeMillis() / 1000 + "." + host);
      this.out = Files.newOutputStream(file);
      ByteArrayOutputStream event = new ByteArrayOutputStream();
      wallTime(event);
      bytesField(event, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
      record(event.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("writing TensorBoard events in " + dir, e);
    }
  }

  /** The event file, or null before the first step. */
  public synchronized Path file() {
    return file;
  }

  @Override
  public synchronized void onStep(long step, Map<String, Object> metrics) {
    if (out == null) open();
    ByteArrayOutputStream summary = new ByteArrayOutputStream();
    for (Map.Entry<String, Object> e : metrics.entrySet()) {
      if (!(e.getValue() instanceof Number n) || e.getKey().equals("step")) continue;
      ByteArrayOutputStream value = new ByteArrayOutputStream();
      bytesField(value, 1, e.getKey().getBytes(StandardCharsets.UTF_8));
      value.write(0x15); // field 2, fixed32: simple_value
      value.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(n.floatValue()).array());
      bytesField(summary, 1, value.toByteArray());
    }
    ByteArrayOutputStream event = new ByteArrayOutputStream();
    wallTime(event);
    event.write(0x10); // field 2, varint: step
    varint(event, step);
    bytesField(event, 5, summary.toByteArray());
    try {
      record(event.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
  }

  @Override
  public synchronized void close() {
    if (out == null) return;
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing " + file, e);
    }
  }

  /** TFRecord's masked CRC-32C (Castagnoli): rotate right by 15 bits, add 0xa282ead8. */
  static int maskedCrc(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  private void record(byte[] data) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(data.length);
    header.putInt(maskedCrc(header.array(), 0, 8));
    out.write(header.array());
    out.write(data);
    out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data, 0, data.length)).array());
    out.flush();
  }

  private static void wallTime(ByteArrayOutputStream event) {
    event.write(0x09); // field 1, fixed64: wall_time in seconds
    event.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
        .putDouble(System.currentTimeMillis() / 1000.0).array());
  }

  private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
    varint(out, (long) field << 3 | 2);
    varint(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
