package dro4j.data.pararev;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.data.Example;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ParaRevMetricsTest {

  @Test
  void rougeAndLengthRatioByHand() {
    Example e = new Example("e", Map.of("paragraph", "x", "instruction", "y"), "the cat sat on the mat", Map.of());
    // output "the cat sat": unigram overlap 3, P = 3/3, R = 3/6 -> F1 = 2/3; bigrams: 2 of 2 vs 5 -> F1 = 4/7
    ParaRevMetrics m = ParaRevMetrics.evaluate(List.of(e), List.of("the cat sat"));
    assertThat(m.rouge1()).isCloseTo(2.0 / 3, Offset.offset(1e-12));
    assertThat(m.rouge2()).isCloseTo(4.0 / 7, Offset.offset(1e-12));
    assertThat(m.rougeL()).isCloseTo(2.0 / 3, Offset.offset(1e-12));
    assertThat(m.lengthRatio()).isCloseTo(0.5, Offset.offset(1e-12));
    ParaRevMetrics same = ParaRevMetrics.evaluate(List.of(e), List.of("The cat sat on the mat."));
    assertThat(same.rouge1()).isEqualTo(1.0);
    assertThat(same.lengthRatio()).isEqualTo(1.0);
  }

  @Test
  void heuristicJudgesOnParaReval() {
    List<ParaRevRecord> rows = ParaRevLoader.records(ParaRevLoaderTest.PARAREVAL);
    // Measured once and pinned: the humans' choice is not explained by closeness to the authors'
    // revision (37.4%, below chance) nor by length (52.5% for "longer wins").
    JudgeAgreement.Result rouge = JudgeAgreement.measure(rows, JudgeAgreement.closerToReference());
    assertThat(rouge.decisive()).isEqualTo(99);
    assertThat(rouge.agreements()).isEqualTo(37.0);
    JudgeAgreement.Result longer = JudgeAgreement.measure(rows, JudgeAgreement.byLength(true));
    JudgeAgreement.Result shorter = JudgeAgreement.measure(rows, JudgeAgreement.byLength(false));
    assertThat(longer.rate() + shorter.rate()).isCloseTo(1.0, Offset.offset(1e-12));
    assertThat(longer.rate()).isCloseTo(0.525, Offset.offset(0.001));
  }

  @Test
  void rewardJudgeAdapterReadsTheWinProbabilityOfA() {
    List<ParaRevRecord> rows = ParaRevLoader.records(ParaRevLoaderTest.PARAREVAL);
    List<String> seenPrompts = new ArrayList<>();
    // a fake group judge that prefers the shorter of its two rollouts
    Reward shorterWins = new Reward() {
      @Override
      public String name() {
        return "fake";
      }

      @Override
      public List<RewardResult> score(List<dro4j.reward.RolloutGroup> groups, RewardContext context) {
        List<RewardResult> out = new ArrayList<>();
        for (var g : groups) {
          seenPrompts.add(g.example().field("prompt"));
          int a = g.rollouts().get(0).text().length();
          int b = g.rollouts().get(1).text().length();
          out.add(RewardResult.of(a < b ? 1 : a > b ? 0 : 0.5, a > b ? 1 : a < b ? 0 : 0.5));
        }
        return out;
      }
    };
    JudgeAgreement.Result viaReward = JudgeAgreement.measure(rows, JudgeAgreement.fromReward(shorterWins, RewardContext.textOnly()));
    assertThat(viaReward.decisive()).isEqualTo(99);
    assertThat(seenPrompts.get(0)).startsWith("Instruction: ").contains("Paragraph:\nProteins rarely act alone");
    // character length and word length mostly agree: the rate is close to the word-length heuristic's
    assertThat(viaReward.rate()).isCloseTo(JudgeAgreement.measure(rows, JudgeAgreement.byLength(false)).rate(), Offset.offset(0.06));
  }
}
