package dro4j.reward.verifiable;

import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.result;
import static dro4j.reward.TextGroups.scores;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.data.Example;
import dro4j.reward.RewardResult;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Exact, numeric and FinQA match, and answer extraction. */
class AnswerMatchRewardsTest {
  static final AnswerExtraction AUTO = AnswerExtraction.auto();

  @Test
  void extractionModes() {
    String r = "<think>maybe 3</think> Answer: 4 apples\nso \\boxed{5}";
    assertThat(AUTO.extract(r)).hasValue("5");
    assertThat(new AnswerExtraction(AnswerExtraction.Mode.BOXED, null).extract("no box")).isEmpty();
    assertThat(new AnswerExtraction(AnswerExtraction.Mode.MARKER, "Answer:").extract(r)).hasValue("4 apples\nso \\boxed{5}");
    assertThat(new AnswerExtraction(AnswerExtraction.Mode.MARKER, "</think>").extract("no tag")).isEmpty();
    assertThat(new AnswerExtraction(AnswerExtraction.Mode.WHOLE, null).extract("  x ")).hasValue("x");
    // auto falls back to the whole response when nothing marks an answer
    assertThat(AUTO.extract("Paris, I think")).hasValue("Paris, I think");
    assertThatThrownBy(() -> AnswerExtraction.Mode.parse("last")).hasMessageContaining("auto, boxed, marker, whole");
  }

  @Test
  void exactMatchNormalizesLikeSquad() {
    var reward = new ExactMatchReward(AUTO);
    RewardResult r = result(reward, group("Paris",
        "The answer is: the PARIS.", "\\boxed{Paris!}", "London", "I think Paris"));
    assertThat(r.scores()).containsExactly(1, 1, 0, 0);
    assertThat(dro4j.reward.TextGroups.diag(r, "extracted"))
        .containsExactly("the PARIS", "Paris!", "London", "I think Paris");
    var boxed = new ExactMatchReward(new AnswerExtraction(AnswerExtraction.Mode.BOXED, null));
    RewardResult none = result(boxed, group("Paris", "Paris"));
    assertThat(none.scores()).containsExactly(0);
    assertThat(dro4j.reward.TextGroups.diag(none, "extracted")).containsExactly((Object) null);
  }

  @Test
  void exactMatchRejectsAnEmptyReference() {
    // "The." normalises to "" and would match an empty reference: refuse instead
    assertThatThrownBy(() -> scores(new ExactMatchReward(AUTO), group("the", "The.")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("exact_match needs a reference");
  }

  @Test
  void numericMatchWithinRelativeTolerance() {
    var reward = new NumericMatchReward(AUTO, 0.02);
    // 12.7 is 1.6% off 12.5, 12.8 is 2.4% off; (12.5) is -12.5; 1,250% matches as a fraction (12.5)
    double[] s = scores(reward, group("12.5",
        "so the answer is 12.7", "answer: 12.8", "The answer is (12.5).", "\\boxed{1,250%}", "no idea"));
    assertThat(s).containsExactly(1, 0, 0, 1, 0);
    assertThat(scores(new NumericMatchReward(AUTO, 0), group("$12.5", "answer is 12.50", "answer is 12.51")))
        .containsExactly(1, 0);
  }

  @Test
  void numericGoldFromExeAnsMetadataFirst() {
    Example ex = new Example("q1", Map.of(), "three", Map.of("exe_ans", 3.0));
    assertThat(scores(new NumericMatchReward(AUTO, 1e-6), group(ex, "answer: 3", "answer: 4"))).containsExactly(1, 0);
    assertThatThrownBy(() -> scores(new NumericMatchReward(AUTO, 0.02), group("n/a", "answer: 3")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("numeric_match needs a number");
    assertThatThrownBy(() -> scores(new NumericMatchReward(AUTO, 0.02), group("Yes", "answer: yes")))
        .hasMessageContaining("finqa_match handles yes/no");
    assertThatThrownBy(() -> new NumericMatchReward(AUTO, -1)).hasMessageContaining("tolerance");
  }

  @Test
  void finqaMatchUsesDrosThreeScalesAndYesNo() {
    var reward = new FinQaMatchReward(AUTO);
    // gold 0.123: 12.3% and 12.3 match at /100; 0.1254 is 1.95% off; 0.2 is not
    assertThat(scores(reward, group("0.123", "Answer: 12.3%", "Answer: 12.3", "Answer: 0.1254", "Answer: 0.2")))
        .containsExactly(1, 1, 1, 0);
    assertThat(scores(reward, group("yes", "Answer: Yes, it grew", "Answer: no"))).containsExactly(1, 0);
    Example fin = new Example("f", Map.of(), "ignored", Map.of("exe_ans", "no"));
    assertThat(scores(reward, group(fin, "answer: no", "answer: yes"))).containsExactly(1, 0);
  }

  @Test
  void finqaMatchExecutesAProgramAnswerOverTheTableAsTheTaskMetricDoes() {
    var reward = new FinQaMatchReward(new AnswerExtraction(AnswerExtraction.Mode.MARKER, "</think>"));
    Example fin = new Example("f", Map.of(), "ignored", Map.of("exe_ans", 0.5,
        "table", java.util.List.of(java.util.List.of("", "2017"), java.util.List.of("revenue", "$ 10"))));
    assertThat(scores(reward, group(fin,
        "<think> x </think> divide(5, 10)",        // 0.5
        "<think> x </think> divide(revenue, 20)",  // not a number or step: no answer
        "<think> x </think> subtract(10, 5)",      // 5 = 0.5 x 10, not a scale FinQA mixes
        "<think> x </think> divide(1, 0)",          // fails: no answer
        "<think> x </think> 0.5")))                 // a plain answer still counts
        .containsExactly(1, 0, 0, 0, 1);
    RewardResult r = result(reward, group(fin, "<think> x </think> add(0.25, 0.25)"));
    assertThat(dro4j.reward.TextGroups.diag(r, "extracted")).containsExactly("0.5");
  }

  @Test
  void everyRolloutGetsAScore() {
    double[] s = scores(new NumericMatchReward(AUTO, 0.02), group("1", "", " ", "1"));
    assertThat(Arrays.stream(s).boxed().toList()).containsExactly(0.0, 0.0, 1.0);
  }
}
