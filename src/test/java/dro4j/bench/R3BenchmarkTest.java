package dro4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.Fixtures;
import dro4j.LanguageModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The R3 benchmark runs end to end on a small setting and reports what it measured. */
class R3BenchmarkTest {

  @Test
  void reportsGenerationAndBothScoringTimes() {
    StringWriter text = new StringWriter();
    try (LanguageModel lm = LanguageModel.load(Fixtures.fixture("stories260K"))) {
      List<R3Benchmark.Result> results = R3Benchmark.run(lm, new int[] {2, 3}, 6, 1, new PrintWriter(text));
      assertThat(results).extracting(R3Benchmark.Result::groupSize).containsExactly(2, 3);
      for (R3Benchmark.Result r : results) {
        assertThat(r.newTokens()).isEqualTo(6);
        assertThat(r.referenceTokens()).isEqualTo(lm.tokenizer().encode(R3Benchmark.REFERENCE, false).length);
        assertThat(r.generateSeconds()).isPositive();
        assertThat(r.cacheSeconds()).isPositive();
        assertThat(r.reencodeSeconds()).isPositive();
      }
    }
    assertThat(text.toString()).contains("R3 KV-cache ms").contains("re-enc/cache");
    assertThat(text.toString().lines().count()).isEqualTo(4); // title, header, two rows
    assertThat(R3Benchmark.median(new double[] {3, 1, 2})).isEqualTo(2.0);
    assertThat(R3Benchmark.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
  }
}
