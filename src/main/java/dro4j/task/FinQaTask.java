package dro4j.task;

import dro4j.data.Example;
import dro4j.data.finqa.FinQaLoader;
import dro4j.data.finqa.FinQaMetrics;
import dro4j.data.finqa.FinQaProgram;
import dro4j.data.finqa.FinQaProgramException;
import dro4j.data.finqa.FinQaValue;
import dro4j.data.metrics.AnswerExtractor;
import dro4j.data.metrics.NumericAnswers;
import dro4j.data.prompt.PromptTemplate;
import dro4j.data.prompt.PromptTemplates;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FinQA (Chen et al. 2021): numeric questions over a financial report's text and table, in the
 * official JSON schema ({@link FinQaLoader}), with the {@code finqa} prompt and R3 as the default
 * reward (DRO's FinQA setting).
 *
 * <p>Metric, DRO's: the answer after {@code </think>} is either a FinQA program ({@code
 * subtract(5829, 5735), divide(#0, 5735)}), which is executed over the example's table and whose
 * value becomes the answer, or free text, whose final answer is found by {@link AnswerExtractor} (or,
 * failing that, a leading "yes" or "no"). It
 * is correct when its number is within 2% (relative) of {@code exe_ans} as written, divided by 100 or
 * multiplied by 100 ({@link FinQaMetrics#droCorrect}: FinQA mixes fractions and percentages, so
 * {@code 12.5%} matches 0.125); a gold value of 0 needs {@code |answer| < 1e-6} (a relative tolerance
 * of 0 would accept only an exact zero); yes/no gold answers compare as text. A program that does not
 * parse or execute gives no answer.
 */
public final class FinQaTask implements Task {
  /** Absolute tolerance for a gold value of 0. */
  public static final double ZERO_TOLERANCE = 1e-6;

  private static final Pattern YES_NO = Pattern.compile("\\W*(yes|no)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern PROGRAM_START = Pattern.compile(
      "\\s*(add|subtract|multiply|divide|exp|greater|table_max|table_min|table_sum|table_average)\\s*\\(");

  private final boolean programReference;

  /** The task; stateless, so one instance serves every command. */
  public FinQaTask() {
    this(false);
  }

  /**
   * @param programReference the reference answer is the gold FinQA program ({@code finqa_program}:
   *     for models that answer with programs, as FinQA's own models and the bundled finqa-tiny do, so
   *     that R3 and the filter score the answer such a model writes) instead of the executed value
   *     ({@code finqa})
   */
  public FinQaTask(boolean programReference) {
    this.programReference = programReference;
  }

  @Override
  public String name() {
    return programReference ? "finqa_program" : "finqa";
  }

  @Override
  public List<Example> load(Path file) {
    List<Example> examples = FinQaLoader.load(file);
    if (!programReference) return examples;
    List<Example> out = new java.util.ArrayList<>(examples.size());
    for (Example e : examples) {
      Object program = e.metadata().get("program");
      if (!(program instanceof String p) || p.isBlank()) {
        throw new dro4j.BadInputException(file, "example " + e.id() + " has no qa.program, which finqa_program"
            + " uses as the reference answer");
      }
      // no leading space: the reference is tokenized on its own, and a SentencePiece-style tokenizer
      // (finqa-tiny's, Llama's) already starts it with the word-start marker the model writes after </think>
      out.add(new Example(e.id(), e.fields(), p, e.metadata()));
    }
    return out;
  }

  @Override
  public PromptTemplate template() {
    return PromptTemplates.FINQA;
  }

  @Override
  public List<Map<String, Object>> defaultRewards() {
    return List.of(Map.of("name", "r3"));
  }

  @Override
  public Verdict judge(Example example, String completion) {
    String answer = answer(example, Task.afterReasoning(completion, reasoningEnd()));
    return Verdict.binary(answer, answer != null && correct(answer, FinQaMetrics.gold(example)));
  }

  /**
   * The answer of the text after the reasoning: a program's executed value, else the final answer in
   * the text; null when there is none or the program fails.
   */
  static String answer(Example example, String text) {
    if (PROGRAM_START.matcher(text).lookingAt()) {
      String program = text.lines().findFirst().orElse("").trim().replaceAll("[.;]+$", "");
      try {
        return FinQaProgram.run(program, table(example)).text();
      } catch (FinQaProgramException e) {
        return null;
      }
    }
    Optional<String> found = AnswerExtractor.finalAnswer(text);
    if (found.isPresent()) return found.get();
    Matcher yesNo = YES_NO.matcher(text);
    return yesNo.lookingAt() ? yesNo.group(1).toLowerCase(Locale.ROOT) : null;
  }

  /** DRO's verdict for an answer against the gold value (see the class comment). */
  public static boolean correct(String answer, FinQaValue gold) {
    if (gold instanceof FinQaValue.Numeric n && n.value() == 0) {
      Optional<NumericAnswers.ParsedNumber> p = NumericAnswers.parse(answer);
      return p.isPresent() && Math.abs(p.get().value()) < ZERO_TOLERANCE;
    }
    return FinQaMetrics.droCorrect(answer, gold);
  }

  @SuppressWarnings("unchecked")
  private static List<List<String>> table(Example example) {
    Object t = example.metadata().get("table");
    return t instanceof List<?> rows ? (List<List<String>>) rows : List.of();
  }
}
