package dro4j.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeywordRewardTest {
  private final KeywordReward ball = new KeywordReward(List.of("ball"));

  @Test
  void shareOfSentencesMentioningTheWord() {
    assertThat(ball.score("Tom had a ball. He was happy! Where is the Ball?")).isEqualTo(2.0 / 3);
    assertThat(ball.score("The ball rolled away")).isEqualTo(1.0); // an unfinished sentence counts
    assertThat(ball.score("She saw a balloon. Then a football.")).isZero(); // whole words only
    assertThat(ball.score("ball\nball\n\nno")).isEqualTo(2.0 / 3);
    assertThat(ball.score("")).isZero();
    assertThat(ball.score(" ... ")).isZero();
  }

  @Test
  void anyOfSeveralWordsAndConfiguration() {
    KeywordReward r = KeywordReward.fromParams(Map.of("words", List.of("dog", "cat")));
    assertThat(r.score("A dog. A cat. A cow.")).isEqualTo(2.0 / 3);
    assertThat(KeywordReward.fromParams(Map.of("words", "cow")).score("A cow.")).isEqualTo(1.0);
    assertThat(r.name()).isEqualTo("keyword");
    assertThatThrownBy(() -> KeywordReward.fromParams(Map.of())).hasMessageContaining("'words'");
    assertThatThrownBy(() -> KeywordReward.fromParams(Map.of("words", "a", "case", true))).hasMessageContaining("'case'");
    assertThatThrownBy(() -> new KeywordReward(List.of(" "))).hasMessageContaining("blank");
  }

  @Test
  void scoresEveryRolloutOfEveryGroup() {
    RolloutGroup g = new RolloutGroup(
        new dro4j.data.Example("e", Map.of("prompt", "p"), "", Map.of()), new int[] {1},
        List.of(Rollout.ofText("a ball."), Rollout.ofText("no.")));
    List<RewardResult> results = ball.score(List.of(g), RewardContext.textOnly());
    assertThat(results.get(0).scores()).containsExactly(1.0, 0.0);
  }
}
