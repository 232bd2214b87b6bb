package dro4j.data.pararev;

import dro4j.data.Example;
import dro4j.reward.verifiable.Rouge;
import java.util.List;

/**
 * ParaRev's automatic metrics for a set of revisions against the authors' revisions: ROUGE-1/2/L F1
 * (the DRO paper's ParaRev baseline reward family) and the length ratio, which shows over- or
 * under-editing (DRO reports edit lengths alongside win rates). Judge win rates come from a judge
 * reward in reference mode ({@code pairwise_judge}).
 *
 * @param count number of revisions scored
 * @param rouge1 mean ROUGE-1 F1
 * @param rouge2 mean ROUGE-2 F1
 * @param rougeL mean ROUGE-L F1
 * @param lengthRatio mean of (words in the revision) / (words in the reference)
 */
public record ParaRevMetrics(int count, double rouge1, double rouge2, double rougeL, double lengthRatio) {

  /** Metrics of {@code outputs[i]} against {@code examples[i].reference()}. */
  public static ParaRevMetrics evaluate(List<Example> examples, List<String> outputs) {
    if (examples.size() != outputs.size()) {
      throw new IllegalArgumentException(examples.size() + " examples but " + outputs.size() + " outputs");
    }
    double r1 = 0;
    double r2 = 0;
    double rl = 0;
    double ratio = 0;
    for (int i = 0; i < examples.size(); i++) {
      List<String> reference = Rouge.tokenize(examples.get(i).reference(), false);
      List<String> output = Rouge.tokenize(outputs.get(i), false);
      r1 += Rouge.rougeN(reference, output, 1).f1();
      r2 += Rouge.rougeN(reference, output, 2).f1();
      rl += Rouge.rougeL(reference, output).f1();
      ratio += words(outputs.get(i)) / (double) Math.max(1, words(examples.get(i).reference()));
    }
    int n = Math.max(1, examples.size());
    return new ParaRevMetrics(examples.size(), r1 / n, r2 / n, rl / n, ratio / n);
  }

  private static int words(String text) {
    String t = text.trim();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }
}
