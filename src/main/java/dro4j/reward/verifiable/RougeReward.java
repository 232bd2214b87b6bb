package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * ROUGE reward of the response's answer against the reference ({@link Rouge}): ROUGE-1 F1 is DRO's
 * ParaRev baseline (Xu et al. 2025, arXiv 2506.13351). Registered as {@code rouge1}, {@code
 * rouge2} and {@code rougeL}; the measure defaults to F1 and may be precision or recall.
 *
 * <p>The answer is found by an {@link AnswerExtraction}, by default the whole response; use {@code
 * marker} with {@code </think>} to score only the outcome of a reasoning model (no marker: 0). A
 * reference without a single word is an input error, not a reward of 0 for everyone. Diagnostics:
 * {@code precision} and {@code recall} of each rollout.
 *
 * @param type which ROUGE
 * @param measure which number is the reward
 * @param stem whether to Porter-stem tokens (off, as in rouge-score)
 * @param extraction how the answer is taken out of the response
 */
public record RougeReward(Type type, Measure measure, boolean stem, AnswerExtraction extraction) implements Reward {

  /** The ROUGE variants. */
  public enum Type {
    /** ROUGE-1: unigram overlap. */
    ROUGE1("rouge1"),
    /** ROUGE-2: bigram overlap. */
    ROUGE2("rouge2"),
    /** ROUGE-L: longest common subsequence. */
    ROUGE_L("rougeL");

    private final String key;

    Type(String key) {
      this.key = key;
    }

    /** The name used in configurations and logs. */
    public String key() {
      return key;
    }
  }

  /** Which of precision, recall and F1 is the reward. */
  public enum Measure {
    /** The F1 of precision and recall. */
    F1,
    /** Precision. */
    PRECISION,
    /** Recall. */
    RECALL
  }

  /** Checks the arguments. */
  public RougeReward {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(measure, "measure");
    Objects.requireNonNull(extraction, "extraction");
  }

  @Override
  public String name() {
    return type.key();
  }

  /** The ROUGE score of {@code prediction} against {@code target} with this reward's settings. */
  public Rouge.Score compute(String target, String prediction) {
    List<String> t = Rouge.tokenize(target, stem);
    List<String> p = Rouge.tokenize(prediction, stem);
    return switch (type) {
      case ROUGE1 -> Rouge.rougeN(t, p, 1);
      case ROUGE2 -> Rouge.rougeN(t, p, 2);
      case ROUGE_L -> Rouge.rougeL(t, p);
    };
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (RolloutGroup g : groups) {
      if (Rouge.tokenize(g.reference(), false).isEmpty()) {
        throw new BadInputException("example " + g.example().id() + ": " + name()
            + " needs a reference answer with at least one word, found '" + g.reference() + "'");
      }
      double[] scores = new double[g.size()];
      List<Double> precision = new ArrayList<>();
      List<Double> recall = new ArrayList<>();
      for (int i = 0; i < scores.length; i++) {
        String answer = extraction.extract(g.rollouts().get(i).text()).orElse(null);
        Rouge.Score s = answer == null ? new Rouge.Score(0, 0, 0) : compute(g.reference(), answer);
        scores[i] = switch (measure) {
          case F1 -> s.f1();
          case PRECISION -> s.precision();
          case RECALL -> s.recall();
        };
        precision.add(s.precision());
        recall.add(s.recall());
      }
      Map<String, Object> diagnostics = new LinkedHashMap<>();
      diagnostics.put("precision", precision);
      diagnostics.put("recall", recall);
      out.add(new RewardResult(scores, diagnostics));
    }
    return out;
  }
}
