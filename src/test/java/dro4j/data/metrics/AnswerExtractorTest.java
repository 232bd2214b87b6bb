package dro4j.data.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnswerExtractorTest {
  @Test
  void lastBoxedWinsAndBracesNest() {
    assertThat(AnswerExtractor.finalAnswer("try \\boxed{1}, no: \\boxed{\\frac{1}{2}} so the answer is 3"))
        .contains("\\frac{1}{2}");
    assertThat(AnswerExtractor.finalAnswer("so \\boxed{ 12.5\\% } and later \\boxed{unclosed"))
        .contains("12.5\\%");
  }

  @Test
  void answerTagComesNext() {
    assertThat(AnswerExtractor.finalAnswer("<think>7 or 8</think><answer> 8 </answer> the answer is 7"))
        .contains("8");
  }

  @Test
  void statedAnswerIsTheRestOfItsLineCleaned() {
    assertThat(AnswerExtractor.finalAnswer("Thinking 1 2 3.\nThe final answer is: **$12.3 million**.\nDone 4"))
        .contains("$12.3 million");
    assertThat(AnswerExtractor.finalAnswer("answer: 3.8.")).contains("3.8");
    assertThat(AnswerExtractor.finalAnswer("First answer is 1. Second, the Answer = yes")).contains("yes");
  }

  @Test
  void otherwiseTheLastNumber() {
    assertThat(AnswerExtractor.finalAnswer("revenue rose from 1,000 to 1,200, a change of (200)"))
        .contains("(200)");
    assertThat(AnswerExtractor.finalAnswer("growth was 12.5% overall")).contains("12.5%");
  }

  @Test
  void longOutputsWithoutAnAnswerAreFast() {
    String output = "word ".repeat(200_000);
    long start = System.nanoTime();
    assertThat(AnswerExtractor.finalAnswer(output)).isEqualTo(Optional.empty());
    assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
  }

  @Test
  void nothingToExtract() {
    assertThat(AnswerExtractor.finalAnswer("I cannot tell.")).isEqualTo(Optional.empty());
    assertThat(AnswerExtractor.finalAnswer("the answer is ")).isEqualTo(Optional.empty());
  }
}
