package dro4j.text;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.Fixtures;
import dro4j.data.Example;
import dro4j.data.finqa.FinQaLoader;
import dro4j.data.finqa.FinQaSftData;
import dro4j.data.finqa.SyntheticFinQa;
import dro4j.model.BundledModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The number-and-table tokenizer: a byte-fallback BPE learned from the synthetic FinQA corpus, with digits
 * as single tokens, that round-trips any UTF-8 text through DJL's Hugging Face tokenizers. Checked on a
 * freshly trained one and on the bundled finqa-tiny's.
 */
class BpeTrainerTest {
  @TempDir Path tmp;

  private static final List<String> ODD_TEXTS = List.of(
      "revenue rose 12.5% 😀 to € 5,829 — 营业收入 增长 ; ÿ \u0000 tab\tend",
      "  two  spaces, trailing space ",
      "Ωmega 🇺🇸 \uD83E\uDD16 naïve façade");

  private static List<String> corpus() {
    List<String> texts = new ArrayList<>();
    for (Example e : FinQaSftData.synthetic(5, 300, SyntheticFinQa.Settings.defaults())) {
      texts.add(e.field("prompt"));
      texts.add(e.reference());
    }
    return texts;
  }

  @Test
  void learnsASmallVocabularyWithByteFallbackAndSingleDigitTokens() {
    BpeTrainer.Trained t = BpeTrainer.train(corpus(), 700);
    assertThat(t.size()).isBetween(400, 700);
    assertThat(t.vocab()).containsEntry("<unk>", 0).containsEntry("<s>", 1).containsEntry("</s>", 2)
        .containsEntry("<0x00>", 3).containsEntry("<0xFF>", 258);
    assertThat(t.vocab().keySet()).filteredOn(s -> s.length() > 1 && s.chars().anyMatch(Character::isDigit)
        && !s.startsWith("<0x")).isEmpty();
    assertThat(BpeTrainer.train(corpus(), 700).merges()).usingElementComparator((a, b) -> String.join(" ", a)
        .compareTo(String.join(" ", b))).containsExactlyElementsOf(t.merges());
    Path dir = tmp.resolve("tok");
    BpeTrainer.write(t, dir, 512);
    checkTokenizer(dir);
  }

  @Test
  void theBundledFinQaTinyTokenizerRoundTripsAnyTextAndSplitsNumbersIntoDigits() {
    Path dir = BundledModel.directory(BundledModel.FINQA_TINY);
    checkTokenizer(dir);
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertThat(tok.vocabSize()).isLessThan(2048);
    }
  }

  private static void checkTokenizer(Path dir) {
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertThat(tok.bosTokenId()).isEqualTo(1);
      assertThat(tok.eosTokenId()).isEqualTo(2);
      List<String> real = FinQaLoader.load(Fixtures.data("finqa", "example_finqa.json")).stream()
          .flatMap(e -> Stream.concat(e.fields().values().stream(), Stream.of(e.reference()))).toList();
      for (String text : Stream.concat(ODD_TEXTS.stream(), real.stream()).toList()) {
        int[] ids = tok.encode(text, false);
        assertThat(ids).doesNotContain(0); // never <unk>: unseen characters become bytes
        assertThat(tok.decode(ids, true)).as("round trip of %s", text).isEqualTo(text);
      }
      int[] emoji = tok.encode("😀", false);
      assertThat(tok.tokenString(emoji[emoji.length - 1])).startsWith("<0x");
      int[] ids = tok.encode("subtract(5829, 5735.25)", false);
      List<String> pieces = new ArrayList<>();
      for (int id : ids) pieces.add(tok.tokenString(id));
      assertThat(pieces).containsSubsequence("5", "8", "2", "9").containsSubsequence("5", "7", "3", "5", ".", "2", "5");
      for (char d = '0'; d <= '9'; d++) assertThat(tok.tokenId(String.valueOf(d))).isPositive();
      assertThat(tok.encode("x", true)[0]).isEqualTo(1);
    }
  }
}
