package dro4j.data.pararev;

import dro4j.data.Example;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.reward.verifiable.Rouge;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How often an automatic pairwise judge agrees with ParaReval's human annotators, so a judge
 * configuration can be trusted or distrusted before it is used as a reward or a metric.
 *
 * <p>Only rows where the human preferred one revision (A or B) are compared; rows judged "Both" or
 * "None" are counted but not scored. A judge's tie counts as half an agreement, the expected score of
 * a coin flip.
 */
public final class JudgeAgreement {
  private JudgeAgreement() {}

  /** A judge's verdict between two revisions of the same paragraph. */
  public enum Verdict {
    A,
    B,
    TIE
  }

  /** A pairwise judge: which revision better follows the instruction. */
  @FunctionalInterface
  public interface PairwiseJudge {
    Verdict compare(ParaRevRecord row, String revisionA, String revisionB);
  }

  /**
   * The result.
   *
   * @param rows rows with a human judgement
   * @param decisive rows where the human preferred A or B (the ones scored)
   * @param agreements judge verdicts equal to the human's, ties counted as 0.5
   * @param judgeTies decisive rows where the judge tied
   */
  public record Result(int rows, int decisive, double agreements, int judgeTies) {
    /** Agreement rate over decisive rows (0.5 = chance for a judge that ignores the texts). */
    public double rate() {
      return decisive == 0 ? Double.NaN : agreements / decisive;
    }
  }

  /**
   * A pairwise judge made from a group reward such as {@code pairwise_judge} in group mode: the two
   * revisions form a group of two rollouts of a prompt holding the instruction and the original
   * paragraph (field {@code prompt}), and the reward of revision A is its win probability over B.
   */
  public static PairwiseJudge fromReward(Reward reward, RewardContext context) {
    return (row, a, b) -> {
      Map<String, String> fields = new LinkedHashMap<>(row.toExample().fields());
      fields.put("prompt", "Instruction: " + row.instruction() + "\n\nParagraph:\n" + row.original());
      Example example = new Example(row.id(), fields, row.reference(), Map.of());
      RolloutGroup group = new RolloutGroup(example, new int[0], List.of(Rollout.ofText(a), Rollout.ofText(b)));
      RewardResult result = reward.score(List.of(group), context).get(0);
      double pA = result.scores()[0];
      double pB = result.scores()[1];
      return pA > pB ? Verdict.A : pB > pA ? Verdict.B : Verdict.TIE;
    };
  }

  /**
   * A reference-based heuristic: prefer the revision with the higher ROUGE-L F1 against the authors'
   * revision (DRO's ParaRev baseline metric family), ties when equal.
   */
  public static PairwiseJudge closerToReference() {
    return (row, a, b) -> {
      List<String> reference = Rouge.tokenize(row.reference(), false);
      double fa = Rouge.rougeL(reference, Rouge.tokenize(a, false)).f1();
      double fb = Rouge.rougeL(reference, Rouge.tokenize(b, false)).f1();
      return fa > fb ? Verdict.A : fb > fa ? Verdict.B : Verdict.TIE;
    };
  }

  /** A length heuristic: prefer the longer revision in words ({@code longer}) or the shorter one. */
  public static PairwiseJudge byLength(boolean longer) {
    return (row, a, b) -> {
      int la = a.trim().split("\\s+").length;
      int lb = b.trim().split("\\s+").length;
      if (la == lb) {
        return Verdict.TIE;
      }
      return (la > lb) == longer ? Verdict.A : Verdict.B;
    };
  }

  /** Measures {@code judge} against the human verdicts of {@code records}. */
  public static Result measure(List<ParaRevRecord> records, PairwiseJudge judge) {
    int rows = 0;
    int decisive = 0;
    double agreements = 0;
    int ties = 0;
    for (ParaRevRecord r : records) {
      if (!r.hasHumanJudgement()) {
        continue;
      }
      rows++;
      if (!r.preference().decisive()) {
        continue;
      }
      decisive++;
      Verdict v = judge.compare(r, r.revisionA(), r.revisionB());
      if (v == Verdict.TIE) {
        ties++;
        agreements += 0.5;
      } else if (v.name().equals(r.preference().name())) {
        agreements += 1;
      }
    }
    return new Result(rows, decisive, agreements, ties);
  }
}
