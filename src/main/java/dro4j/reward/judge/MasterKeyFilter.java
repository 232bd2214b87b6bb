package dro4j.reward.judge;

import dro4j.BadInputException;
import dro4j.data.metrics.AnswerExtractor;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Refuses "master key" responses before a judge sees them. Zhao et al. 2025 ("One Token to Fool
 * LLM-as-a-Judge", arXiv 2507.08794) show that LLM judges, GPT-4o and Claude-4 among them, often
 * accept as correct a response that is only a non-word symbol (" ", ".", ",", ":") or only a
 * reasoning opener ("Thought process:", "Let's solve this problem step by step.", "Solution", and
 * the same in other languages: "解", "かいせつ", "Respuesta"). A policy trained against such a
 * judge learns to answer with them. A rejected response earns the judge's lowest reward and costs
 * no API call.
 *
 * <p>The checks, in order:
 *
 * <ol>
 *   <li>blank: empty or only whitespace;
 *   <li>no content: not a single letter or digit (only punctuation and symbols);
 *   <li>opener only: nothing but generic openers remains after removing, again and again from the
 *       start, any opener of {@link #openers} (matched case-insensitively as whole words, curly
 *       apostrophes read as straight ones) and the punctuation around them; {@link
 *       #DEFAULT_OPENERS} lists the paper's master keys and close variants;
 *   <li>too little content: fewer than {@code minContentChars} letters and digits remain after the
 *       openers (default 1, so a bare "42" passes);
 *   <li>no answer (only with {@code requireAnswer}): {@link AnswerExtractor#finalAnswer} finds
 *       nothing (no box, answer tag, "answer is" or number), which catches truncated reasoning such
 *       as "Let's solve this step by step. First, we" on numeric tasks.
 * </ol>
 *
 * @param minContentChars the least number of letters and digits outside openers
 * @param requireAnswer whether the response must contain an extractable answer
 * @param openers generic openers, lower case
 */
public record MasterKeyFilter(int minContentChars, boolean requireAnswer, List<String> openers) {
  /**
   * The master keys of Zhao et al. 2025 and close variants. Phrases are removed only at the start,
   * so "Answer: 42" keeps "42" and passes.
   */
  public static final List<String> DEFAULT_OPENERS = List.of(
      "thought process", "let's solve this problem step by step", "let's solve this step by step",
      "let's solve the problem step by step", "let's think step by step", "let us think step by step",
      "let's solve this problem", "let's solve this", "let's think", "let me think", "let's see",
      "step by step", "solution", "answer", "final answer", "the answer is", "reasoning", "explanation",
      "thinking", "okay", "ok", "sure", "hmm", "well", "解", "解答", "かいせつ", "解説", "respuesta", "solución");

  /** Checks the minimum and normalises the openers (lower case, longest first). */
  public MasterKeyFilter {
    if (minContentChars < 0) {
      throw new BadInputException("judge: min_content_chars must be >= 0, got " + minContentChars);
    }
    // longest first, so "let's solve this step by step" wins over "let's solve this"
    openers = openers.stream().map(o -> normalise(o).strip()).filter(o -> !o.isEmpty())
        .sorted(Comparator.comparingInt(String::length).reversed()).toList();
  }

  /** The default filter: the default openers, at least one letter or digit, no answer required. */
  public static MasterKeyFilter standard() {
    return new MasterKeyFilter(1, false, DEFAULT_OPENERS);
  }

  /** Why {@code response} must not reach the judge, or empty when it may. */
  public Optional<String> reject(String response) {
    if (response.isBlank()) {
      return Optional.of("blank");
    }
    if (response.codePoints().noneMatch(Character::isLetterOrDigit)) {
      return Optional.of("no content: only punctuation or symbols");
    }
    String rest = withoutOpeners(normalise(response));
    if (rest.isEmpty()) {
      return Optional.of("only a generic opener");
    }
    long content = rest.codePoints().filter(Character::isLetterOrDigit).count();
    if (content < minContentChars) {
      return Optional.of("too little content: " + content + " letters or digits");
    }
    if (requireAnswer && AnswerExtractor.finalAnswer(response).isEmpty()) {
      return Optional.of("no answer");
    }
    return Optional.empty();
  }

  private String withoutOpeners(String text) {
    String rest = stripNonContent(text);
    boolean removed = true;
    while (removed && !rest.isEmpty()) {
      removed = false;
      for (String opener : openers) {
        if (rest.startsWith(opener) && (rest.length() == opener.length() || !wordChar(rest, opener.length()))) {
          rest = stripNonContent(rest.substring(opener.length()));
          removed = true;
          break;
        }
      }
    }
    return rest;
  }

  // an opener is a whole word: "ok" must not swallow the start of "okapi"; CJK openers have no word
  // boundary and end wherever they end
  private static boolean wordChar(String s, int at) {
    int cp = s.codePointAt(at);
    int before = s.codePointBefore(at);
    return Character.isLetterOrDigit(cp) && Character.isLetterOrDigit(before) && isLatinish(before) && isLatinish(cp);
  }

  private static boolean isLatinish(int cp) {
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script == Character.UnicodeScript.LATIN || script == Character.UnicodeScript.COMMON;
  }

  /** Drops leading and trailing characters that are neither letters nor digits. */
  private static String stripNonContent(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && !Character.isLetterOrDigit(s.codePointAt(start))) {
      start += Character.charCount(s.codePointAt(start));
    }
    while (end > start && !Character.isLetterOrDigit(s.codePointBefore(end))) {
      end -= Character.charCount(s.codePointBefore(end));
    }
    return s.substring(start, end);
  }

  private static String normalise(String s) {
    return s.toLowerCase(Locale.ROOT).replace('\u2019', '\'').replace('\u2018', '\'').replaceAll("\\s+", " ");
  }
}
