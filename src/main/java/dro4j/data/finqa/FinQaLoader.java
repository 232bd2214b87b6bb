package dro4j.data.finqa;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.data.JsonRecords;
import dro4j.data.Loaded;
import dro4j.data.OnInvalid;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads FinQA files (train.json, dev.json, test.json of the official repository, or files written
 * by {@link #write}) in the schema described at {@link FinQaRecord}. A JSON array is the official
 * layout; JSON Lines with one record per line is read as well.
 */
public final class FinQaLoader {
  private FinQaLoader() {}

  /** The examples of {@code file}, throwing at the first malformed record. */
  public static List<Example> load(Path file) {
    return load(file, OnInvalid.THROW).items();
  }

  /** The examples of {@code file}, applying {@code onInvalid} to malformed records. */
  public static Loaded<Example> load(Path file, OnInvalid onInvalid) {
    return JsonRecords.read(file, record -> FinQaRecord.parse(record).toExample(), onInvalid);
  }

  /** The records of {@code file} in FinQA's own terms, applying {@code onInvalid}. */
  public static Loaded<FinQaRecord> records(Path file, OnInvalid onInvalid) {
    return JsonRecords.read(file, FinQaRecord::parse, onInvalid);
  }

  /** Writes {@code records} to {@code file} as one indented JSON array, as FinQA ships. */
  public static void write(Path file, List<FinQaRecord> records) {
    ObjectMapper mapper = new ObjectMapper();
    ArrayNode array = mapper.createArrayNode();
    records.forEach(r -> array.add(r.toJson()));
    try {
      mapper.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), array);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot write: " + e.getMessage(), e);
    }
  }
}
