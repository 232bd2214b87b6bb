package dro4j.reward.judge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Strict verdict parsing, the master-key filter and template filling. */
class VerdictsAndFilterTest {
  @Test
  void verdictMustBeTheWholeLastLine() {
    assertThat(Verdicts.yesNo("The response matches.\nVERDICT: YES")).hasValue(true);
    assertThat(Verdicts.yesNo("verdict:no")).hasValue(false);
    assertThat(Verdicts.yesNo("**VERDICT:** YES.\n\n")).hasValue(true);
    assertThat(Verdicts.yesNo("VERDICT: YES\nWait, actually it is wrong.")).isEmpty();
    assertThat(Verdicts.yesNo("I would say YES")).isEmpty();
    assertThat(Verdicts.yesNo("VERDICT: YES or NO")).isEmpty();
    assertThat(Verdicts.yesNo("")).isEmpty();
    assertThat(Verdicts.score("SCORE: 7", 10)).hasValue(7);
    assertThat(Verdicts.score("SCORE: 11", 10)).isEmpty();
    assertThat(Verdicts.score("SCORE: 7.5", 10)).isEmpty();
    assertThat(Verdicts.preference("B is better.\nVERDICT: b")).hasValue(Verdicts.Preference.B);
    assertThat(Verdicts.preference("VERDICT: TIE")).hasValue(Verdicts.Preference.TIE);
    assertThat(Verdicts.preference("VERDICT: C")).isEmpty();
  }

  @Test
  void masterKeysOfOneTokenToFoolAreRefused() {
    MasterKeyFilter f = MasterKeyFilter.standard();
    // the paper's master keys, and variants
    for (String key : List.of("", " ", ".", ",", ":", "Thought process:", "Let's solve this problem step by step.",
        "Solution", "解", "かいせつ", "Respuesta", "Let's solve this step by step.", "**Solution:**",
        "Let\u2019s think step by step\u2026", "Thought process: Let's solve this problem step by step.", "Okay, let's see.")) {
      assertThat(f.reject(key)).as("'%s'", key).isPresent();
    }
    assertThat(f.reject(":")).hasValue("no content: only punctuation or symbols");
    assertThat(f.reject("Solution")).hasValue("only a generic opener");
    assertThat(f.reject("  ")).hasValue("blank");
    // real answers pass, including a bare number and an answer after an opener
    for (String ok : List.of("42", "Paris", "Answer: 42", "Solution: x = 3", "Okapis live in Congo.", "解答は5です")) {
      assertThat(f.reject(ok)).as(ok).isEmpty();
    }
  }

  @Test
  void optionalContentAndAnswerRules() {
    var strict = new MasterKeyFilter(5, true, MasterKeyFilter.DEFAULT_OPENERS);
    assertThat(strict.reject("Let's solve this step by step. First, we add")).hasValue("no answer");
    assertThat(strict.reject("Answer: 42")).hasValue("too little content: 2 letters or digits");
    assertThat(strict.reject("We add 40 and 2, so the answer is 42.")).isEmpty();
    var custom = new MasterKeyFilter(1, false, List.of("Here goes"));
    assertThat(custom.reject("here goes!")).hasValue("only a generic opener");
    assertThat(custom.reject("Solution")).isEmpty();
  }

  @Test
  void fillingIsOnePass() {
    String filled = JudgePrompts.fill("Q: {prompt}\nRef: {reference}\nR: {response} {other}",
        Map.of("prompt", "q", "reference", "SECRET", "response", "use {reference} and $1 \\"));
    assertThat(filled).isEqualTo("Q: q\nRef: SECRET\nR: use {reference} and $1 \\ {other}");
  }
}
