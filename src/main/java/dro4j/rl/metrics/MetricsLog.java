package dro4j.rl.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-step metrics of a run, one JSON object a line in {@code <outputDir>/metrics.jsonl}:
 *
 * <pre>
 *   {"step":1,"reward":0.25,"loss":0.0132,"kl":"NaN",...}
 * </pre>
 *
 * <p>{@code step} comes first, then the metrics in the order the map gives them (use a {@link
 * LinkedHashMap}). Values are numbers, strings, booleans or null (and maps and lists of them, for logs such as
 * completions.jsonl). A non-finite number is written as
 * the string {@code "NaN"}, {@code "Infinity"} or {@code "-Infinity"} (strict JSON has no such
 * numbers, and Python's json would write bare {@code NaN}, which other readers reject); {@link #read}
 * turns those strings back into doubles, and {@code pandas.read_json(lines=True)} reads the column as
 * objects. Each line is flushed as soon as it is written, so a crash loses at most the line being
 * written.
 *
 * <p>Resuming from step K ({@link #open}) drops every line with a step above K (those steps will be
 * run again) and a partly written last line, by rewriting the file through a temporary file and an
 * atomic rename; a fresh run opens with K = 0 and starts an empty file. One writer per file.
 */
public final class MetricsLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);

  /** The file name inside the output folder. */
  public static final String FILE_NAME = "metrics.jsonl";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final JsonFactory FACTORY = JSON.getFactory();

  private final Path file;
  private final Writer out;

  private MetricsLog(Path file, Writer out) {
    this.file = file;
    this.out = out;
  }

  /**
   * One parsed line.
   *
   * @param step the step
   * @param values the other fields in file order: {@link Long} for integers, {@link Double} for other
   *     numbers (and for the non-finite strings), else {@link String}, {@link Boolean}, null, or the
   *     {@link List}/{@link Map} a nested value parses to
   */
  public record Row(long step, Map<String, Object> values) {
    /** Validates and freezes the values. */
    public Row {
      values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The value of {@code key} as a double; NaN when absent, null or not a number. */
    public double number(String key) {
      return values.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
  }

  /**
   * Opens {@code <outputDir>/metrics.jsonl} for appending, first keeping only the lines of steps up to
   * {@code resumeStep}; see the class comment.
   *
   * @param resumeStep the step training resumes after (the checkpoint's global step); 0 for a fresh
   *     run
   * @throws BadInputException when a line other than the last is not a JSON object with a step
   */
  public static MetricsLog open(Path outputDir, long resumeStep) {
    return open(outputDir, FILE_NAME, resumeStep);
  }

  /**
   * Opens {@code <outputDir>/<fileName>}, a log of the same line format (several lines may share a
   * step), as {@link #open(Path, long)} opens metrics.jsonl.
   */
  public static MetricsLog open(Path outputDir, String fileName, long resumeStep) {
    Path file = outputDir.resolve(fileName);
    try {
      Files.createDirectories(outputDir);
      if (Files.exists(file)) {
        truncateAfter(file, resumeStep);
      }
      Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      return new MetricsLog(file, w);
    } catch (IOException e) {
      throw new UncheckedIOException("opening " + file, e);
    }
  }

  /** The file written to. */
  public Path file() {
    return file;
  }

  /**
   * Appends the line of one step and flushes it.
   *
   * @param metrics metric name to value (Number, String, Boolean or null); must not contain "step"
   */
  public synchronized void log(long step, Map<String, ?> metrics) {
    if (metrics.containsKey("step")) {
      throw new IllegalArgumentException("\"step\" is written by MetricsLog, not a metric");
    }
    try {
      out.write(line(step, metrics));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
  }

  /** The JSON text of one line, without the newline. */
  static String line(long step, Map<String, ?> metrics) {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(text)) {
      g.writeStartObject();
      g.writeNumberField("step", step);
      for (Map.Entry<String, ?> e : metrics.entrySet()) {
        g.writeFieldName(e.getKey());
        writeValue(g, e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return text.toString();
  }

  private static void writeValue(JsonGenerator g, String key, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) {
        // a float keeps its short decimal form (0.1f is written 0.1, not 0.10000000149011612)
        if (v instanceof Float f) {
          g.writeNumber(f);
        } else {
          g.writeNumber(d);
        }
      } else {
        g.writeString(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
      }
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short
        || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof BigDecimal b) {
      g.writeNumber(b);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof CharSequence s) {
      g.writeString(s.toString());
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        writeValue(g, key + "." + e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) writeValue(g, key, o);
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("metric \"" + key + "\" is a " + v.getClass().getName()
          + "; log numbers, strings, booleans, null, or maps and lists of them");
    }
  }

  /**
   * Parses a metrics file. A last line that is cut short (a crash while writing it) is skipped.
   *
   * @throws BadInputException naming the file and line when another line is not a JSON object with
   *     an integer step
   */
  public static List<Row> read(Path file) {
    List<Row> rows = new ArrayList<>();
    for (ParsedLine p : parse(file)) {
      rows.add(p.row());
    }
    return rows;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing " + file, e);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private record ParsedLine(String text, Row row) {}

  private static List<ParsedLine> parse(Path file) {
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file does not exist", e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
    List<ParsedLine> lines = new ArrayList<>();
    String[] parts = content.split("\n", -1);
    // After the last '\n' comes "" for a complete file, or an unfinished line.
    for (int i = 0; i < parts.length; i++) {
      String text = parts[i];
      boolean last = i == parts.length - 1;
      if (text.isBlank()) {
        continue;
      }
      try {
        lines.add(new ParsedLine(text, parseLine(text)));
      } catch (IllegalArgumentException e) {
        if (last) {
          LOG.warn("{}: ignoring the unfinished last line ({})", file, e.getMessage());
        } else {
          throw new BadInputException(file, "line " + (i + 1) + ": " + e.getMessage(), e);
        }
      }
    }
    return lines;
  }

  private static Row parseLine(String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    JsonNode step = node.get("step");
    if (step == null || !step.canConvertToExactIntegral() || !step.canConvertToLong()) {
      throw new IllegalArgumentException("no integer \"step\"");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("step")) {
        values.put(e.getKey(), value(e.getValue()));
      }
    }
    return new Row(step.asLong(), values);
  }

  private static Object value(JsonNode v) {
    if (v.isNull()) {
      return null;
    }
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? (Object) v.asLong() : v.bigIntegerValue();
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      switch (v.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          return v.asText();
      }
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    return JSON.convertValue(v, Object.class);
  }

  /** Keeps the lines of steps up to {@code step}, rewriting the file atomically if any go. */
  private static void truncateAfter(Path file, long step) throws IOException {
    String content = Files.readString(file, StandardCharsets.UTF_8);
    List<ParsedLine> lines = parse(file);
    StringBuilder kept = new StringBuilder();
    int dropped = 0;
    for (ParsedLine p : lines) {
      if (p.row().step() <= step) {
        kept.append(p.text()).append('\n');
      } else {
        dropped++;
      }
    }
    if (kept.toString().equals(content)) {
      return; // nothing to drop, and the file ends with a complete line
    }
    LOG.info("{}: resuming after step {}, dropping {} later line(s)", file, step, dropped);
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(kept.toString().getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        // createTempFile makes an owner-only file; keep the mode the log had
        Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: nothing to keep
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
