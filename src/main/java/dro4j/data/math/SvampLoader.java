package dro4j.data.math;

import dro4j.data.Example;
import dro4j.data.JsonRecord;
import dro4j.data.JsonRecords;
import dro4j.data.Loaded;
import dro4j.data.OnInvalid;
import dro4j.data.metrics.NumericAnswers;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads SVAMP (Patel et al. 2021) files: a JSON array of {@code {"ID", "Body", "Question",
 * "Equation", "Answer", "Type"}}; {@code ID}, {@code Body}, {@code Question} and the numeric {@code
 * Answer} are required.
 *
 * <p>Each record becomes an example with id {@code svamp/<ID>}, field {@code question} = Body and
 * Question, trimmed and joined by one space (a third of the bodies end without a period, e.g. "If
 * there is a discount of 25 dollars on each pack"; they are left as written rather than guessed
 * at), and as reference the answer as plain text (51.0 gives "51"). Metadata: {@code source} ("svamp"), {@code answer_value} (Double), and {@code equation},
 * {@code type} when present.
 */
public final class SvampLoader {
  private SvampLoader() {}

  /** The examples of {@code file}, throwing at the first malformed record. */
  public static List<Example> load(Path file) {
    return load(file, OnInvalid.THROW).items();
  }

  /** The examples of {@code file}, applying {@code onInvalid} to malformed records. */
  public static Loaded<Example> load(Path file, OnInvalid onInvalid) {
    return JsonRecords.read(file, SvampLoader::parse, onInvalid);
  }

  private static Example parse(JsonRecord record) {
    String id = record.text("ID");
    String body = record.text("Body").trim();
    String question = record.text("Question").trim();
    double answer = record.number("Answer");
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("source", "svamp");
    metadata.put("answer_value", answer);
    record.optionalText("Equation").ifPresent(e -> metadata.put("equation", e.trim()));
    record.optionalText("Type").ifPresent(t -> metadata.put("type", t));
    String text = body.isEmpty() ? question : body + " " + question;
    return new Example("svamp/" + id, Map.of("question", text), NumericAnswers.format(answer), metadata);
  }
}
