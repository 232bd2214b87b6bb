package dro4j.data;

import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads data files of JSON objects, either a JSON array of objects ({@code [{...}, {...}]}, as
 * FinQA and SVAMP ship) or JSON Lines (one object per line, as GSM8K ships). The format is chosen
 * by the first non-blank character: {@code [} means an array, anything else JSON Lines.
 *
 * <p>Every problem is reported with the file and the line on which the offending record starts:
 * invalid JSON, a truncated record (the file or line ends inside a value), a value that is not an
 * object, duplicate keys, extra content after a record, and whatever the record parser rejects
 * (missing required field, wrong type). Blank lines in JSON Lines files are not records and are
 * passed over. Under {@link OnInvalid#SKIP} malformed records are left out, counted and reported;
 * the one exception is invalid JSON inside a JSON array, which always throws because the records
 * after it cannot be located.
 */
public final class JsonRecords {
  private static final Logger LOG = LoggerFactory.getLogger(JsonRecords.class);

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  // Reads one element at a time from an open array, so what follows an element is not an error.
  private static final ObjectMapper ARRAY_MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private JsonRecords() {}

  /** The two file layouts this reader understands. */
  public enum Format {
    /** One JSON array whose elements are the records. */
    JSON_ARRAY,
    /** One JSON object per line. */
    JSONL
  }

  /** Reads every record of {@code file}, throwing at the first malformed one. */
  public static List<JsonRecord> read(Path file) {
    return read(file, record -> record, OnInvalid.THROW).items();
  }

  /**
   * Reads {@code path} ({@link InputFiles#readable}: relative to the working directory, or {@code
   * bundled:NAME}) and turns each record into an item with {@code parser}, which reports a
   * malformed record by throwing {@link InvalidRecordException}.
   *
   * @throws BadInputException naming the file and line of the first malformed record (under {@link
   *     OnInvalid#THROW}), or when the file cannot be read at all
   */
  public static <T> Loaded<T> read(
      Path path, Function<JsonRecord, T> parser, OnInvalid onInvalid) {
    Path file = InputFiles.readable(path, "data file");
    var sink = new Sink<>(file, parser, onInvalid);
    try {
      if (detect(file) == Format.JSON_ARRAY) {
        readArray(file, sink);
      } else {
        readLines(file, sink);
      }
    } catch (CharacterCodingException e) {
      throw new BadInputException(file, "not valid UTF-8 text", e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
    if (!sink.skipped.isEmpty()) {
      LOG.warn(
          "{}: skipped {} malformed record(s): {}",
          file,
          sink.skipped.size(),
          sink.skipped.subList(0, Math.min(5, sink.skipped.size())));
    }
    return new Loaded<>(file, sink.items, sink.skipped);
  }

  /** The layout of {@code file}, judged by its first non-blank character. */
  public static Format detect(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      int c;
      while ((c = in.read()) != -1) {
        // skip whitespace and a UTF-8 byte order mark (EF BB BF)
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF) {
          continue;
        }
        return c == '[' ? Format.JSON_ARRAY : Format.JSONL;
      }
    }
    return Format.JSONL;
  }

  private static void readLines(Path file, Sink<?> sink) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      int line = 0;
      int index = 0;
      while ((text = reader.readLine()) != null) {
        line++;
        if (line == 1 && text.startsWith("\uFEFF")) {
          text = text.substring(1);
        }
        if (text.isBlank()) {
          continue;
        }
        String where = "line " + line;
        JsonNode node;
        try {
          node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
          sink.invalid(line, where, jsonProblem(e));
          continue;
        }
        sink.accept(new JsonRecord(sink.file, line, index++, node), where);
      }
    }
  }

  private static void readArray(Path file, Sink<?> sink) throws IOException {
    try (JsonParser parser = ARRAY_MAPPER.createParser(file.toFile())) {
      try {
        parser.nextToken(); // the opening '[' (detect() saw it)
        int index = 0;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
          if (token == null) {
            throw new BadInputException(
                file, "line " + parser.currentLocation().getLineNr() + ": truncated file: the array is not closed");
          }
          int line = parser.currentTokenLocation().getLineNr();
          JsonNode node = ARRAY_MAPPER.readTree(parser);
          sink.accept(new JsonRecord(file, line, index, node), "record " + index + " at line " + line);
          index++;
        }
        if (parser.nextToken() != null) {
          throw new BadInputException(
              file, "line " + parser.currentTokenLocation().getLineNr() + ": extra content after the array");
        }
      } catch (JsonProcessingException e) {
        // Not skippable: after a syntax error the following records cannot be located.
        int line = e.getLocation() != null ? e.getLocation().getLineNr() : -1;
        throw new BadInputException(file, "line " + line + ": " + jsonProblem(e), e);
      }
    }
  }

  private static String jsonProblem(JsonProcessingException e) {
    if (e instanceof JsonEOFException) {
      return "truncated record: the input ends inside a JSON value";
    }
    return "invalid JSON: " + e.getOriginalMessage();
  }

  /** Collects parsed items and applies the {@link OnInvalid} policy. */
  private static final class Sink<T> {
    final Path file;
    final Function<JsonRecord, T> parser;
    final OnInvalid onInvalid;
    final List<T> items = new ArrayList<>();
    final List<Loaded.Skipped> skipped = new ArrayList<>();

    Sink(Path file, Function<JsonRecord, T> parser, OnInvalid onInvalid) {
      this.file = file;
      this.parser = parser;
      this.onInvalid = onInvalid;
    }

    void accept(JsonRecord record, String where) {
      if (!record.json().isObject()) {
        invalid(record.line(), where, "expected a JSON object, found " + JsonRecord.describe(record.json()));
        return;
      }
      T item;
      try {
        item = parser.apply(record);
      } catch (InvalidRecordException e) {
        invalid(record.line(), where, e.getMessage());
        return;
      }
      items.add(item);
    }

    void invalid(int line, String where, String problem) {
      if (onInvalid == OnInvalid.THROW) {
        throw new BadInputException(file, where + ": " + problem);
      }
      skipped.add(new Loaded.Skipped(line, problem));
    }
  }
}
