package dro4j.reward.verifiable;

import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE by hand on rouge-score's docstring example, tokenization, stemming. */
class RougeTest {
  // rouge-score's own example: target 9 tokens, prediction 8 tokens
  static final List<String> TARGET = Rouge.tokenize("The quick brown fox jumps over the lazy dog", false);
  static final List<String> PREDICTION = Rouge.tokenize("The quick brown dog jumps on the log.", false);

  @Test
  void rouge1() {
    // overlap: the x2, quick, brown, dog, jumps = 6; P = 6/8, R = 6/9, F = 12/17
    Rouge.Score s = Rouge.rougeN(TARGET, PREDICTION, 1);
    assertThat(s.precision()).isEqualTo(0.75);
    assertThat(s.recall()).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(s.f1()).isCloseTo(12.0 / 17, within(1e-15));
  }

  @Test
  void rouge2() {
    // bigrams shared: "the quick", "quick brown" = 2 of 7 predicted, 8 target; F = 4/15
    Rouge.Score s = Rouge.rougeN(TARGET, PREDICTION, 2);
    assertThat(s.precision()).isCloseTo(2.0 / 7, within(1e-15));
    assertThat(s.recall()).isEqualTo(0.25);
    assertThat(s.f1()).isCloseTo(4.0 / 15, within(1e-15));
  }

  @Test
  void rougeL() {
    // LCS "the quick brown jumps the" = 5: P = 5/8, R = 5/9, F = 10/17
    assertThat(Rouge.lcsLength(TARGET, PREDICTION)).isEqualTo(5);
    Rouge.Score s = Rouge.rougeL(TARGET, PREDICTION);
    assertThat(s.precision()).isEqualTo(0.625);
    assertThat(s.f1()).isCloseTo(10.0 / 17, within(1e-15));
    assertThat(Rouge.lcsLength(List.of("a", "b", "c", "d"), List.of("b", "d", "a", "c"))).isEqualTo(2);
  }

  @Test
  void clippedCountsAndEmptySides() {
    Rouge.Score s = Rouge.rougeN(List.of("the", "the", "the"), List.of("the"), 1);
    assertThat(s.precision()).isEqualTo(1.0);
    assertThat(s.f1()).isEqualTo(0.5);
    assertThat(Rouge.rougeN(TARGET, List.of(), 1).f1()).isZero();
    assertThat(Rouge.rougeL(TARGET, List.of()).f1()).isZero();
    assertThat(Rouge.rougeN(List.of("a"), List.of("a"), 2).f1()).isZero(); // no bigram on either side
  }

  @Test
  void tokenizerLikeRougeScore() {
    assertThat(Rouge.tokenize("Hello, WORLD! It's 2024.", false)).containsExactly("hello", "world", "it", "s", "2024");
    assertThat(Rouge.tokenize("naïve café", false)).containsExactly("na", "ve", "caf");
    // stems only tokens longer than 3 characters
    assertThat(Rouge.tokenize("Running dogs jumped; cats was", true)).containsExactly("run", "dog", "jump", "cat", "was");
  }

  @Test
  void porterStemmerOnThePapersExamples() {
    String[][] pairs = {
      {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"caress", "caress"}, {"cats", "cat"},
      {"feed", "feed"}, {"agreed", "agre"}, {"plastered", "plaster"}, {"bled", "bled"}, {"motoring", "motor"},
      {"sing", "sing"}, {"conflated", "conflat"}, {"troubled", "troubl"}, {"sized", "size"}, {"hopping", "hop"},
      {"tanned", "tan"}, {"falling", "fall"}, {"hissing", "hiss"}, {"fizzed", "fizz"}, {"failing", "fail"},
      {"filing", "file"}, {"happy", "happi"}, {"sky", "sky"}, {"relational", "relat"}, {"conditional", "condit"},
      {"rational", "ration"}, {"valenci", "valenc"}, {"digitizer", "digit"}, {"generalizations", "gener"},
      {"connection", "connect"}, {"connections", "connect"}, {"connective", "connect"}, {"connecting", "connect"},
      {"controll", "control"}, {"roll", "roll"}, {"probate", "probat"}, {"rate", "rate"}, {"cease", "ceas"},
      {"adoption", "adopt"}, {"triplicate", "triplic"}, {"electrical", "electr"}, {"hopeful", "hope"},
      {"goodness", "good"}, {"revival", "reviv"}, {"allowance", "allow"}, {"replacement", "replac"},
    };
    for (String[] p : pairs) {
      assertThat(PorterStemmer.stem(p[0])).as(p[0]).isEqualTo(p[1]);
    }
  }

  @Test
  void rewardOnTheOutcomeAfterAMarker() {
    var reward = new RougeReward(RougeReward.Type.ROUGE1, RougeReward.Measure.F1, false,
        new AnswerExtraction(AnswerExtraction.Mode.MARKER, "</think>"));
    var r = result(reward, group("the cat sat on the mat", "<think>dogs</think> The cat sat.", "the cat sat on the mat"));
    // [the cat sat] vs [the cat sat on the mat]: overlap 3, P = 1, R = 1/2, F = 2/3; no marker: 0
    assertThat(r.scores()[0]).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(r.scores()[1]).isZero();
    assertThat(dro4j.reward.TextGroups.diag(r, "recall")).containsExactly(0.5, 0.0);
    var l = new RougeReward(RougeReward.Type.ROUGE_L, RougeReward.Measure.RECALL, false, AnswerExtraction.auto());
    assertThat(l.name()).isEqualTo("rougeL");
    assertThatThrownBy(() -> result(l, group("---", "x")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("at least one word");
  }
}
