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
import java.util.regex.Pattern;

/**
 * Loads GSM8K (Cobbe et al. 2021) JSON Lines files: {@code {"question": ..., "answer": ...}}, where
 * the answer is a worked solution ending in {@code "#### <number>"}.
 *
 * <p>Each line becomes an example with id {@code gsm8k/<file name without extension>/<0-based
 * record index>}, field {@code question}, and as reference the number after the last "####" with
 * thousands separators removed ("2,125" gives "2125"). Metadata: {@code source} ("gsm8k"), {@code
 * answer_value} (the number as a Double), {@code solution} (the worked solution before "####"). A
 * missing "####" or a final answer that is not a plain number is a malformed record.
 */
public final class Gsm8kLoader {
  private static final Pattern PLAIN_NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");

  private Gsm8kLoader() {}

  /** The examples of {@code file}, throwing at the first malformed record. */
  public static List<Example> load(Path file) {
    return load(file, OnInvalid.THROW).items();
  }

  /** The examples of {@code file}, applying {@code onInvalid} to malformed records. */
  public static Loaded<Example> load(Path file, OnInvalid onInvalid) {
    String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    return JsonRecords.read(file, record -> parse(record, "gsm8k/" + stem + "/"), onInvalid);
  }

  private static Example parse(JsonRecord record, String idPrefix) {
    String question = record.text("question");
    String answer = record.text("answer");
    int mark = answer.lastIndexOf("####");
    if (mark < 0) {
      throw record.invalid("field 'answer' has no final answer after '####'");
    }
    String finalText = answer.substring(mark + 4).trim().replace(",", "");
    if (!PLAIN_NUMBER.matcher(finalText).matches()) {
      throw record.invalid("the final answer after '####' is not a number: '" + finalText + "'");
    }
    double value = Double.parseDouble(finalText);
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("source", "gsm8k");
    metadata.put("answer_value", value);
    metadata.put("solution", answer.substring(0, mark).trim());
    return new Example(
        idPrefix + record.index(), Map.of("question", question), NumericAnswers.format(value), metadata);
  }
}
