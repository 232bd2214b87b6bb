package dro4j.data.prompt;

import dro4j.BadInputException;
import java.util.List;
import java.util.Map;

/**
 * The built-in prompts of the tasks dro4j ships loaders for. All but {@link #PLAIN} ask for the
 * reasoning inside {@code <think>...</think>} followed by the answer, the format of DeepSeek-R1-style models that DRO
 * trains (Xu et al. 2025 start from DeepSeek-R1-Distill-Qwen), so R3 can append the reference answer
 * right after {@code </think>}.
 */
public final class PromptTemplates {
  /** The marker that closes the reasoning in every built-in template. */
  public static final String THINK_END = "</think>";

  private static final String REASONING_FORMAT =
      "Think step by step inside <think> and </think>, then write only the final answer after </think>.";

  /** FinQA: text before the table, the linearised table, text after it, the question (fields of FinQaRecord.toExample). */
  public static final PromptTemplate FINQA = new PromptTemplate(
      "finqa",
      null,
      "Answer the question using the financial report below. " + REASONING_FORMAT
          + " Give the answer as a number (a percentage as a number followed by %).\n\n"
          + "{pre_text}\n\n{table}\n\n{post_text}\n\nQuestion: {question}",
      THINK_END);

  /** ParaRev: revise a scientific paragraph following the reviewer's instruction. */
  public static final PromptTemplate PARAREV = new PromptTemplate(
      "pararev",
      null,
      "Revise the following paragraph from a scientific paper according to the instruction. "
          + REASONING_FORMAT + " After </think>, write only the revised paragraph.\n\n"
          + "Instruction: {instruction}\n\nParagraph:\n{paragraph}",
      THINK_END);

  /** ParaRev with surrounding context (e.g. the section title or the neighbouring paragraphs). */
  public static final PromptTemplate PARAREV_WITH_CONTEXT = new PromptTemplate(
      "pararev_context",
      null,
      "Revise the following paragraph from a scientific paper according to the instruction. "
          + REASONING_FORMAT + " After </think>, write only the revised paragraph.\n\n"
          + "Context:\n{context}\n\nInstruction: {instruction}\n\nParagraph:\n{paragraph}",
      THINK_END);

  /** GSM8K and SVAMP: a math word problem with a numeric answer. */
  public static final PromptTemplate MATH = new PromptTemplate(
      "math",
      null,
      "Solve the problem. " + REASONING_FORMAT + " Give the final answer as a number.\n\n{question}",
      THINK_END);

  /**
   * The example's {@code prompt} field as it is, with no instructions and no reasoning format (no
   * {@link PromptTemplate#reasoningEnd()}): for base models such as the bundled stories260K and for
   * hand-made data sets in dro4j's example format.
   */
  public static final PromptTemplate PLAIN = new PromptTemplate("plain", null, "{prompt}", null);

  private static final Map<String, PromptTemplate> BY_NAME = Map.of(
      FINQA.name(), FINQA, PARAREV.name(), PARAREV, PARAREV_WITH_CONTEXT.name(), PARAREV_WITH_CONTEXT,
      MATH.name(), MATH, PLAIN.name(), PLAIN);

  private PromptTemplates() {}

  /** The built-in template called {@code name}. */
  public static PromptTemplate byName(String name) {
    PromptTemplate t = BY_NAME.get(name);
    if (t == null) {
      throw new BadInputException("unknown prompt template '" + name + "'; built in: " + names());
    }
    return t;
  }

  /** Names of the built-in templates, sorted. */
  public static List<String> names() {
    return BY_NAME.keySet().stream().sorted().toList();
  }
}
