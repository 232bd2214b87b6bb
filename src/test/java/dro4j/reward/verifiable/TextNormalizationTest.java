package dro4j.reward.verifiable;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextNormalizationTest {
  @Test
  void followsSquadNormalizeAnswer() {
    // lower, punctuation deleted (not spaced), articles removed, whitespace collapsed
    assertThat(TextNormalization.squad("The  Eiffel-Tower!")).isEqualTo("eiffeltower");
    assertThat(TextNormalization.squad("An apple a\tday")).isEqualTo("apple day");
    assertThat(TextNormalization.squad("A.B.C.")).isEqualTo("abc");
    assertThat(TextNormalization.squad("$1,234.50")).isEqualTo("123450");
  }

  @Test
  void articlesOnlyAsWholeWords() {
    assertThat(TextNormalization.squad("Theatre and anthem")).isEqualTo("theatre and anthem");
    assertThat(TextNormalization.squad("the")).isEmpty();
  }
}
