package dro4j.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.text.Tokenizer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Splitting rollouts into reasoning and outcome on the stories260K tokenizer (SentencePiece-style BPE). */
class ReasoningSplitTest {
  static Tokenizer tok;
  static final List<Integer> EOS = List.of(2);

  @BeforeAll
  static void load() {
    tok = Tokenizer.load(Fixtures.fixture("stories260K"));
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  /** Ids and text split at the same place, and the parts add up to the rollout. */
  private static void assertConsistent(ReasoningSplit.Split s, int[] ids) {
    int n = ids.length;
    while (n > 0 && EOS.contains(ids[n - 1])) {
      n--;
    }
    int[] body = Arrays.copyOf(ids, n);
    int r = s.reasoningIds().length;
    assertThat(Arrays.copyOf(body, r)).containsExactly(s.reasoningIds());
    assertThat(Arrays.copyOfRange(body, r, n)).containsExactly(s.outcomeIds());
    assertThat(tok.decode(s.reasoningIds(), false)).isEqualTo(s.reasoningText());
    assertThat(s.reasoningText() + s.outcomeText()).isEqualTo(tok.decode(body, false));
  }

  private static ReasoningSplit.Split split(ReasoningSplit rule, String text) {
    int[] ids = tok.encode(text, false);
    ReasoningSplit.Split s = rule.split(ids, tok, EOS);
    assertConsistent(s, ids);
    return s;
  }

  @Test
  void markerEndsTheReasoningAndBelongsToIt() {
    ReasoningSplit.Split s = split(ReasoningSplit.marker("Answer:"), "Tim had two apples and got two more. Answer: four");
    assertThat(s.found()).isTrue();
    assertThat(s.reasoningText()).isEqualTo("Tim had two apples and got two more. Answer:");
    assertThat(s.outcomeText()).isEqualTo(" four");
    // the marker's own tokens are the last reasoning tokens
    assertThat(tok.decode(Arrays.copyOfRange(s.reasoningIds(), s.reasoningIds().length - 2, s.reasoningIds().length), false))
        .endsWith(":");
  }

  @Test
  void closingTagSplitsAfterTheTag() {
    ReasoningSplit.Split s = split(ReasoningSplit.defaults(), "<think>she is happy</think> Lily smiled.");
    assertThat(s.found()).isTrue();
    assertThat(s.reasoningText()).isEqualTo("<think>she is happy</think>");
    assertThat(s.outcomeText()).isEqualTo(" Lily smiled.");
  }

  @Test
  void lastOccurrenceByDefaultFirstOnRequest() {
    String text = "Answer: three. No, wait. Answer: four";
    assertThat(split(ReasoningSplit.marker("Answer:"), text).reasoningText()).isEqualTo("Answer: three. No, wait. Answer:");
    ReasoningSplit first = ReasoningSplit.marker("Answer:").withOccurrence(ReasoningSplit.Occurrence.FIRST);
    ReasoningSplit.Split s = split(first, text);
    assertThat(s.reasoningText()).isEqualTo("Answer:");
    assertThat(s.outcomeText()).isEqualTo(" three. No, wait. Answer: four");
  }

  @Test
  void regexEndsTheReasoningWhereTheMatchEnds() {
    ReasoningSplit.Split s = split(ReasoningSplit.regex("[Tt]he answer is"), "So the answer is four. The end.");
    assertThat(s.found()).isTrue();
    assertThat(s.reasoningText()).isEqualTo("So the answer is");
    assertThat(s.outcomeText()).isEqualTo(" four. The end.");
  }

  @Test
  void aMarkerEndingInsideATokenTakesTheWholeToken() {
    // "▁Lily" is one token: the marker "Li" ends inside it, so the token goes to the reasoning.
    int[] ids = tok.encode("Lily went home.", false);
    assertThat(tok.tokenString(ids[0])).isEqualTo("▁Lily");
    ReasoningSplit.Split s = ReasoningSplit.marker("Li").split(ids, tok, EOS);
    assertConsistent(s, ids);
    assertThat(s.reasoningIds()).containsExactly(ids[0]);
    assertThat(s.reasoningText()).isEqualTo("Lily");
    assertThat(s.outcomeText()).isEqualTo(" went home.");
  }

  @Test
  void noMatchFallsBackToWholeReasoningOrEmptyReasoning() {
    int[] ids = tok.encode("Lily went home.", false);
    int[] withEos = Arrays.copyOf(ids, ids.length + 1);
    withEos[ids.length] = 2;
    ReasoningSplit.Split whole = ReasoningSplit.defaults().split(withEos, tok, EOS);
    assertConsistent(whole, withEos);
    assertThat(whole.found()).isFalse();
    assertThat(whole.reasoningIds()).containsExactly(ids); // the EOS is dropped
    assertThat(whole.outcomeIds()).isEmpty();
    assertThat(whole.outcomeText()).isEmpty();

    ReasoningSplit.Split empty =
        ReasoningSplit.defaults().withFallback(ReasoningSplit.Fallback.EMPTY_REASONING).split(withEos, tok, EOS);
    assertConsistent(empty, withEos);
    assertThat(empty.found()).isFalse();
    assertThat(empty.reasoningIds()).isEmpty();
    assertThat(empty.outcomeIds()).containsExactly(ids);
    assertThat(empty.outcomeText()).isEqualTo("Lily went home.");

    ReasoningSplit.Split none = ReasoningSplit.wholeRollout().split(ids, tok, EOS);
    assertThat(none.found()).isFalse();
    assertThat(none.reasoningIds()).containsExactly(ids);
  }

  @Test
  void emptyRolloutsAndMarkersAtTheEdgesNeverCrash() {
    ReasoningSplit.Split empty = ReasoningSplit.defaults().split(new int[0], tok, EOS);
    assertThat(empty.reasoningIds()).isEmpty();
    assertThat(empty.outcomeIds()).isEmpty();
    ReasoningSplit.Split onlyEos = ReasoningSplit.defaults().split(new int[] {2}, tok, EOS);
    assertThat(onlyEos.reasoningIds()).isEmpty();
    ReasoningSplit.Split atEnd = split(ReasoningSplit.defaults(), "thinking</think>");
    assertThat(atEnd.found()).isTrue();
    assertThat(atEnd.outcomeIds()).isEmpty();
    ReasoningSplit.Split atStart = split(ReasoningSplit.marker("Lily"), "Lily went home.");
    assertThat(atStart.found()).isTrue();
    assertThat(atStart.reasoningText()).isEqualTo("Lily");
  }

  @Test
  void textOnlyRolloutsAreTokenizedThenSplit() {
    Rollout r = Rollout.ofText("She counted. Answer: 5");
    ReasoningSplit.Split s = ReasoningSplit.marker("Answer:").split(r, tok, EOS);
    assertConsistent(s, tok.encode(r.text(), false));
    assertThat(s.reasoningText()).isEqualTo("She counted. Answer:");
    assertThat(s.outcomeText()).isEqualTo(" 5");
    ReasoningSplit.Split t = ReasoningSplit.marker("Answer:").splitText(r.text());
    assertThat(t.reasoningText()).isEqualTo("She counted. Answer:");
    assertThat(t.outcomeText()).isEqualTo(" 5");
    assertThat(ReasoningSplit.marker("Answer:").splitText("no marker").reasoningText()).isEqualTo("no marker");
  }

  @Test
  void badRulesAreBadInput() {
    assertThatThrownBy(() -> ReasoningSplit.marker("")).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> ReasoningSplit.regex("(unclosed")).isInstanceOf(BadInputException.class)
        .hasMessageContaining("(unclosed");
  }
}
