package dro4j.reward.verifiable;

import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.result;
import static dro4j.reward.TextGroups.scores;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** think_format, tags and regex. */
class FormatRewardsTest {
  @Test
  void thinkThenAnswer() {
    var reward = ThinkFormatReward.standard();
    var r = result(reward, group("", "  <think>reason</think> 42", "<think> </think> 42", "<think>a</think>\n",
        "<think>a</think><think>b</think>c", "x<think>a</think>b", "reason</think>42"));
    assertThat(r.scores()).containsExactly(1, 0, 0, 0, 0, 0);
    assertThat(dro4j.reward.TextGroups.diag(r, "problem")).containsExactly(
        null, "the thinking block is empty", "no answer after '</think>'", "'</think>' must occur exactly once",
        "the response must start with '<think>'", "'<think>' must occur exactly once");
  }

  @Test
  void thinkOpenedByTheTemplate() {
    var reward = new ThinkFormatReward("<think>", "</think>", false, null, null);
    assertThat(scores(reward, group("", "reason</think>42", "<think>reason</think>42", "</think>42", "a<think>b</think>c")))
        .containsExactly(1, 1, 0, 0);
  }

  @Test
  void thinkWithAnswerTags() {
    var reward = new ThinkFormatReward("<think>", "</think>", true, "<answer>", "</answer>");
    assertThat(scores(reward, group("", "<think>r</think>\n<answer>42</answer> ", "<think>r</think> so <answer>42</answer>",
        "<think>r</think><answer> </answer>", "<think>r</think><answer>1</answer><answer>2</answer>", "<think>r</think>42")))
        .containsExactly(1, 0, 0, 0, 0);
    assertThatThrownBy(() -> new ThinkFormatReward("<think>", "</think>", true, "<answer>", null))
        .isInstanceOf(BadInputException.class);
  }

  @Test
  void tagsExactlyOnceInOrder() {
    List<String> tags = List.of("<think>", "</think>", "<answer>", "</answer>");
    String good = "<think>a</think><answer>b</answer>";
    String swapped = "<answer>b</answer><think>a</think>";
    String doubled = "<think><think>a</think><answer>b</answer>";
    var strict = new TagsReward(tags, true, false);
    var partial = new TagsReward(tags, true, true);
    var unordered = new TagsReward(tags, false, false);
    assertThat(scores(strict, group("", good, swapped, doubled, "plain"))).containsExactly(1, 0, 0, 0);
    // swapped: <think> and </think> count, the answer tags come before them; doubled: <think> twice
    assertThat(scores(partial, group("", good, swapped, doubled, "plain"))).containsExactly(1, 0.5, 0.75, 0);
    assertThat(scores(unordered, group("", good, swapped, doubled))).containsExactly(1, 1, 0);
    assertThatThrownBy(() -> new TagsReward(List.of(), true, false)).isInstanceOf(BadInputException.class);
  }

  @Test
  void regexFullOrAnywhere() {
    assertThat(scores(RegexReward.of("\\d+", false), group("", "abc 12", "abc"))).containsExactly(1, 0);
    assertThat(scores(RegexReward.of("\\d+", true), group("", "abc 12", "12"))).containsExactly(0, 1);
    // DOTALL: . crosses lines
    assertThat(scores(RegexReward.of("<think>.*</think>.+", true), group("", "<think>a\nb</think>\nc"))).containsExactly(1);
    assertThatThrownBy(() -> RegexReward.of("(", true)).isInstanceOf(BadInputException.class).hasMessageContaining("'('");
  }
}
