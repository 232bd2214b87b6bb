package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyBatchTest {

  @Test
  void promptsAreLeftPaddedAndCompletionsRightPadded() {
    PolicyBatch b = PolicyBatch.of(
        List.of(new int[] {1, 5, 6}, new int[] {1, 7}),
        List.of(new int[] {9}, new int[] {8, 4, 2}),
        new boolean[] {true, false});
    assertThat(b.promptWidth()).isEqualTo(3);
    assertThat(b.completionWidth()).isEqualTo(3);
    assertThat(b.tokens()[0]).containsExactly(1, 5, 6, 9, 0, 0);
    assertThat(b.valid()[0]).containsExactly(true, true, true, true, false, false);
    assertThat(b.tokens()[1]).containsExactly(0, 1, 7, 8, 4, 2);
    assertThat(b.valid()[1]).containsExactly(false, true, true, true, true, true);
    assertThat(b.completionIds()[0]).containsExactly(9, 0, 0);
    assertThat(b.completionMask()[0]).containsExactly(1f, 0f, 0f);
    assertThat(b.completionMask()[1]).containsExactly(0f, 0f, 0f); // excluded from the loss
    assertThat(b.lossTokens()).isEqualTo(1);
    assertThat(b.inputTokens()).isEqualTo(4 + 5);
  }

  @Test
  void emptyCompletionsKeepAMaskedColumnAndBadShapesAreRejected() {
    PolicyBatch b = PolicyBatch.of(List.of(new int[] {1}), List.of(new int[0]));
    assertThat(b.completionWidth()).isEqualTo(1);
    assertThat(b.lossTokens()).isZero();
    assertThatThrownBy(() -> PolicyBatch.of(List.of(new int[0]), List.of(new int[] {3})))
        .hasMessageContaining("empty prompt");
    assertThatThrownBy(() -> PolicyBatch.of(List.of(new int[] {1}), List.of())).hasMessageContaining("1 prompts");
  }

  @Test
  void sftBatchMasksThePromptAndPredictsTheNextToken() {
    SftBatch b = SftBatch.of(List.of(new int[] {1, 5}, new int[] {1}), List.of(new int[] {6, 2}, new int[] {7}), true);
    assertThat(b.tokens()[0]).containsExactly(1, 5, 6, 2);
    assertThat(b.labels()[0]).containsExactly(5, 6, 2);
    assertThat(b.lossMask()[0]).containsExactly(0f, 1f, 1f);
    assertThat(b.tokens()[1]).containsExactly(1, 7, 0, 0);
    assertThat(b.lossMask()[1]).containsExactly(1f, 0f, 0f);
    assertThat(b.lossTokens()).isEqualTo(3);
    SftBatch all = SftBatch.of(List.of(new int[] {1, 5}), List.of(new int[] {6}), false);
    assertThat(all.lossMask()[0]).containsExactly(1f, 1f);
  }
}
