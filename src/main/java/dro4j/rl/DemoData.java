package dro4j.rl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.JsonRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The small data sets bundled for the offline demo jobs on stories260K (used when {@code dataset}
 * is not set), in dro4j's example format.
 */
public final class DemoData {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoData() {}

  /**
   * 24 TinyStories-style story openings (field {@code prompt}, no reference) for {@code dro4j
   * train}: the model continues each, and a keyword reward asks for a word in every sentence.
   */
  public static List<Example> keywordPrompts() {
    return read("keyword-prompts.jsonl");
  }

  /**
   * 96 prompt-completion examples for {@code dro4j sft}: "{name} had a {color} {object}. What
   * color was the {object}?" answered " The {object} was {color}." (distinct name, colour and
   * object combinations, in a fixed shuffled order).
   */
  public static List<Example> colorQuestions() {
    return read("sft-colors.jsonl");
  }

  /**
   * The demo examples used when {@code dataset} is not set, which are in dro4j's format: refused for a
   * named task other than {@code jsonl}, whose loader and template expect its own data.
   */
  public static List<Example> forTask(String task, java.util.function.Supplier<List<Example>> demo) {
    if (task != null && !task.equals("jsonl")) {
      throw new dro4j.BadInputException("task " + task + " needs a dataset (the bundled demo examples are prompts for"
          + " the demo job, not " + task + " data): set dataset in the job or --dataset FILE");
    }
    return demo.get();
  }

  /**
   * The YAML text of a bundled demo job: {@code train.yaml} (GRPO with the keyword reward) or {@code
   * sft.yaml} (SFT on the colour questions).
   */
  public static String job(String name) {
    try (InputStream in = DemoData.class.getResourceAsStream("/dro4j/rl/demo/" + name)) {
      if (in == null) throw new IllegalStateException("bundled job missing from the jar: " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Example> read(String name) {
    Path where = Path.of("<bundled>", name);
    List<Example> out = new ArrayList<>();
    try (InputStream in = DemoData.class.getResourceAsStream("/dro4j/rl/demo/" + name)) {
      if (in == null) throw new IllegalStateException("bundled data missing from the jar: " + name);
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      int lineNumber = 0;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) continue;
        JsonNode node = JSON.readTree(line);
        out.add(ExampleFiles.parse(new JsonRecord(where, lineNumber, out.size(), node)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(out);
  }
}
