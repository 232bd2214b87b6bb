package dro4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The output folder of an evaluation: {@code results.jsonl} and {@code summary.json}. */
public final class EvalFiles {
  /** One line per example ({@link ExampleResult#toJson}). */
  public static final String RESULTS = "results.jsonl";
  /** The summary ({@link Evaluator#summary}). */
  public static final String SUMMARY = "summary.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private EvalFiles() {}

  /**
   * Refuses a folder that already holds an evaluation's results, unless {@code overwrite}; called
   * before the work starts, so a refusal costs nothing.
   *
   * @throws BadInputException when {@code dir} holds results and {@code overwrite} is false
   */
  public static void checkWritable(Path dir, boolean overwrite) {
    if (!overwrite && (Files.exists(dir.resolve(RESULTS)) || Files.exists(dir.resolve(SUMMARY)))) {
      throw new BadInputException(dir, "already holds evaluation results; pass --overwrite to replace them");
    }
  }

  /** Writes both files into {@code dir}, creating it when needed. */
  public static void write(Path dir, List<ExampleResult> results, Map<String, Object> summary) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BadInputException(dir, "cannot create the output folder: " + e.getMessage(), e);
    }
    Path file = dir.resolve(RESULTS);
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (ExampleResult r : results) {
        w.write(JSON.writeValueAsString(r.toJson()));
        w.write('\n');
      }
      file = dir.resolve(SUMMARY);
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
    } catch (IOException e) {
      throw new BadInputException(file, "cannot write: " + e.getMessage(), e);
    }
  }
}
