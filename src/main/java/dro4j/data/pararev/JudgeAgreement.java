package dro4j.data.pararev;

import java.util.List;

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
