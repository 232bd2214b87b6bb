package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dro4j.BadInputException;
import org.junit.jupiter.api.Test;

class PolicyLossTest extends NdTest {

  // ---------------------------------------------------------------- KL estimators

  @Test
  void klEstimatorsMatchTheirFormulas() {
    NDArray logp = Nd.matrix(m, new double[][] {{-1.0, -2.0, -0.3}});
    NDArray ref = Nd.matrix(m, new double[][] {{-1.5, -1.0, -0.3}});
    // d = ref - logp = -0.5, 1.0, 0
    double[] k1 = {0.5, -1.0, 0};
    double[] k2 = {0.125, 0.5, 0};
    double[] k3 = {Math.exp(-0.5) + 0.5 - 1, Math.E - 2, 0};
    assertThat(Nd.rows(KlEstimator.byName("k1").apply(logp, ref))[0]).containsExactly(k1, within(1e-6));
    assertThat(Nd.rows(KlEstimator.byName("k2").apply(logp, ref))[0]).containsExactly(k2, within(1e-6));
    assertThat(Nd.rows(KlEstimator.byName("K3").apply(logp, ref))[0]).containsExactly(k3, within(1e-6));
    assertThatThrownBy(() -> KlEstimator.byName("low_var_kl"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("k1, k2, k3");
    assertThatThrownBy(() -> KlEstimator.K3.apply(logp, Nd.matrix(m, new double[][] {{0, 0}})))
        .isInstanceOf(BadInputException.class);
  }

  // ---------------------------------------------------------------- clipped surrogate

  /** Row 0 has A = +2, row 1 has A = -1; the ratios cover inactive, low and high clipping. */
  private static final double[][] RATIOS = {{1.1, 1.5, 0.5}, {0.5, 1.5, 0.9}};

  private NDArray logpFor(double[][] ratios, NDArray old) {
    double[][] o = Nd.rows(old);
    double[][] lp = new double[ratios.length][ratios[0].length];
    for (int b = 0; b < lp.length; b++) {
      for (int t = 0; t < lp[0].length; t++) lp[b][t] = o[b][t] + Math.log(ratios[b][t]);
    }
    return Nd.matrix(m, lp);
  }

  private NDArray old() {
    return Nd.matrix(m, new double[][] {{-1.0, -2.0, -0.5}, {-3.0, -0.2, -1.2}});
  }

  @Test
  void clippedSurrogateCoversEverySignAndSide() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray adv = Nd.vector(m, 2, -1);
    double[][] loss = Nd.rows(PolicyLoss.clippedSurrogate(logp, old, adv, 0.2, 0.28));
    // A > 0: 1.1 inside -> -2.2; 1.5 clipped to 1.28 -> -2.56; 0.5 below but min keeps r A -> -1.0
    assertThat(loss[0]).containsExactly(new double[] {-2.2, -2.56, -1.0}, within(1e-5));
    // A < 0: 0.5 clipped to 0.8 -> 0.8; 1.5 above but min keeps r A -> 1.5; 0.9 inside -> 0.9
    assertThat(loss[1]).containsExactly(new double[] {0.8, 1.5, 0.9}, within(1e-5));
  }

  @Test
  void epsilonHighIsSeparateFromEpsilon() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray adv = Nd.vector(m, 2, -1);
    // symmetric 0.2: the ratio 1.5 of row 0 clips at 1.2
    assertThat(Nd.rows(PolicyLoss.clippedSurrogate(logp, old, adv, 0.2, 0.2))[0][1])
        .isCloseTo(-2.4, within(1e-5));
    // a lower bound of 0.6 no longer clips the ratio 0.5 of row 1 at 0.8 but at 0.4 -> r A wins
    assertThat(Nd.rows(PolicyLoss.clippedSurrogate(logp, old, adv, 0.6, 0.28))[1][0])
        .isCloseTo(0.5, within(1e-5));
  }

  @Test
  void perTokenAdvantagesAreAccepted() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray adv = Nd.matrix(m, new double[][] {{2, 2, -1}, {-1, -1, 3}});
    double[][] loss = Nd.rows(PolicyLoss.clippedSurrogate(logp, old, adv, 0.2, 0.28));
    // (0, 2): r 0.5, A -1 -> clipped at 0.8 -> 0.8; (1, 2): r 0.9, A 3 -> -2.7
    assertThat(loss[0][2]).isCloseTo(0.8, within(1e-5));
    assertThat(loss[1][2]).isCloseTo(-2.7, within(1e-5));
  }

  @Test
  void withoutOldLogProbsTheRatioIsOne() {
    NDArray logp = old();
    double[][] loss = Nd.rows(PolicyLoss.clippedSurrogate(logp, null, Nd.vector(m, 2, -1), 0.2, 0.28));
    assertThat(loss[0]).containsExactly(new double[] {-2, -2, -2}, within(1e-6));
    assertThat(loss[1]).containsExactly(new double[] {1, 1, 1}, within(1e-6));
  }

  @Test
  void perTokenLossAddsBetaTimesKl() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray ref = Nd.matrix(m, new double[][] {{-1.0, -1.0, -1.0}, {-2.0, -2.0, -2.0}});
    NDArray adv = Nd.vector(m, 2, -1);
    double[][] surrogate = Nd.rows(PolicyLoss.clippedSurrogate(logp, old, adv, 0.2, 0.28));
    double[][] lp = Nd.rows(logp);
    for (KlEstimator kl : KlEstimator.values()) {
      double[][] loss = Nd.rows(PolicyLoss.perTokenLoss(logp, old, ref, adv, 0.2, 0.28, 0.04, kl));
      double[][] k = Nd.rows(kl.apply(logp, ref));
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < 3; t++) {
          assertThat(loss[b][t]).isCloseTo(surrogate[b][t] + 0.04 * k[b][t], within(1e-6));
        }
      }
    }
    // the k3 term by hand for token (0, 0): d = -1 - logp
    double d = -1.0 - lp[0][0];
    double[][] k3 = Nd.rows(PolicyLoss.perTokenLoss(logp, old, ref, adv, 0.2, 0.28, 0.04, KlEstimator.K3));
    assertThat(k3[0][0]).isCloseTo(-2.2 + 0.04 * (Math.exp(d) - d - 1), within(1e-5));
    // beta = 0 needs no reference
    assertThat(Nd.rows(PolicyLoss.perTokenLoss(logp, old, null, adv, 0.2, 0.28, 0, null))[0])
        .containsExactly(surrogate[0], within(1e-7));
    assertThatThrownBy(() -> PolicyLoss.perTokenLoss(logp, old, null, adv, 0.2, 0.28, 0.04, KlEstimator.K3))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("reference");
  }

  @Test
  void clipFractionsFollowTrlDefinitions() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray adv = Nd.vector(m, 2, -1);
    NDArray full = m.ones(logp.getShape());
    ClipFractions all = PolicyLoss.clipFractions(logp, old, adv, full, 0.2, 0.28);
    // high: (0, 1) only; low: (1, 0) only; (0, 2) and (1, 1) are outside the range but not clipped
    assertThat(all.high()).isCloseTo(1.0 / 6, within(1e-6));
    assertThat(all.low()).isCloseTo(1.0 / 6, within(1e-6));
    assertThat(all.region()).isCloseTo(2.0 / 6, within(1e-6));
    NDArray mask = Nd.matrix(m, new double[][] {{1, 0, 1}, {1, 1, 1}});
    ClipFractions masked = PolicyLoss.clipFractions(logp, old, adv, mask, 0.2, 0.28);
    assertThat(masked.high()).isZero();
    assertThat(masked.low()).isCloseTo(1.0 / 5, within(1e-6));
    assertThat(masked.region()).isCloseTo(1.0 / 5, within(1e-6));
    // a wider upper range (0.6) no longer clips the ratio 1.5; the lower side is unchanged
    ClipFractions wide = PolicyLoss.clipFractions(logp, old, adv, full, 0.2, 0.6);
    assertThat(wide.high()).isZero();
    assertThat(wide.low()).isCloseTo(1.0 / 6, within(1e-6));
    ClipFractions none = PolicyLoss.clipFractions(logp, old, adv, m.zeros(logp.getShape()), 0.2, 0.28);
    assertThat(none.region()).isZero();
  }

  @Test
  void badShapesAndRangesAreRejected() {
    NDArray logp = old();
    NDArray adv = Nd.vector(m, 2, -1);
    assertThatThrownBy(() -> PolicyLoss.clippedSurrogate(logp, logp, Nd.vector(m, 1, 2, 3), 0.2, 0.2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("advantages");
    assertThatThrownBy(() -> PolicyLoss.clippedSurrogate(logp, Nd.vector(m, 1, 2), adv, 0.2, 0.2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("old log-probs");
    assertThatThrownBy(() -> PolicyLoss.clippedSurrogate(Nd.vector(m, 1, 2), null, adv, 0.2, 0.2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("[B, L]");
    assertThatThrownBy(() -> PolicyLoss.clippedSurrogate(logp, logp, adv, 1.0, 0.2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("epsilon");
    assertThatThrownBy(() -> PolicyLoss.clippedSurrogate(logp, logp, adv, 0.2, Double.NaN))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("epsilon_high");
    assertThatThrownBy(() -> PolicyLoss.perTokenLoss(logp, logp, logp, adv, 0.2, 0.2, -1, KlEstimator.K3))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("beta");
    assertThatThrownBy(() -> PolicyLoss.clipFractions(logp, logp, adv, m.ones(new ai.djl.ndarray.types.Shape(2, 2)), 0.2, 0.2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("completion mask");
  }

  // ---------------------------------------------------------------- loss aggregation

  private static final double[][] L = {{1, 2, 3}, {4, 5, 6}};
  private static final double[][] M = {{1, 1, 0}, {1, 0, 0}};

  private double aggregate(LossType type, double[][] loss, double[][] mask, int maxLen) {
    return Nd.scalar(type.aggregate(Nd.matrix(m, loss), Nd.matrix(m, mask), maxLen));
  }

  @Test
  void everyLossTypeByHand() {
    // grpo: row means (1 + 2) / 2 and 4 / 1, then their mean
    assertThat(aggregate(LossType.byName("grpo"), L, M, 3)).isCloseTo(2.75, within(1e-6));
    // bnpo and dapo: (1 + 2 + 4) / 3 tokens
    assertThat(aggregate(LossType.byName("bnpo"), L, M, 3)).isCloseTo(7.0 / 3, within(1e-6));
    assertThat(aggregate(LossType.byName("dapo"), L, M, 3)).isCloseTo(7.0 / 3, within(1e-6));
    // dr_grpo: 7 / (B * max_completion_length) = 7 / (2 * 4), not the padded width 3
    assertThat(aggregate(LossType.byName("dr_grpo"), L, M, 4)).isCloseTo(7.0 / 8, within(1e-6));
    // an integer mask works too
    NDArray intMask = Nd.matrix(m, M).toType(DataType.INT32, false);
    assertThat(Nd.scalar(LossType.GRPO.aggregate(Nd.matrix(m, L), intMask, 3))).isCloseTo(2.75, within(1e-6));
  }

  @Test
  void microBatchSharesDivideByTheWholeBatch() {
    NDArray l = Nd.matrix(m, L);
    NDArray mask = Nd.matrix(m, M);
    // a micro-batch of 2 rows (3 tokens) in a batch of 4 rows and 10 tokens
    assertThat(Nd.scalar(LossType.GRPO.aggregateShare(l, mask, 3, 4, 10))).isCloseTo((1.5 + 4) / 4, within(1e-6));
    assertThat(Nd.scalar(LossType.BNPO.aggregateShare(l, mask, 3, 4, 10))).isCloseTo(0.7, within(1e-6));
    assertThat(Nd.scalar(LossType.DR_GRPO.aggregateShare(l, mask, 4, 4, 10))).isCloseTo(7.0 / 16, within(1e-6));
    assertThat(Nd.scalar(LossType.DAPO.aggregateShare(l, mask, 3, 4, 10))).isCloseTo(0.7, within(1e-6));
    assertThat(Nd.scalar(LossType.DAPO.aggregateShare(l, mask, 3, 4, 0))).isCloseTo(7.0, within(1e-6));
    assertThatThrownBy(() -> LossType.GRPO.aggregateShare(l, mask, 3, 1, 10))
        .isInstanceOf(BadInputException.class).hasMessageContaining("fewer than this micro-batch");
    assertThatThrownBy(() -> LossType.DAPO.aggregateShare(l, mask, 3, 2, Double.NaN)).isInstanceOf(BadInputException.class);
  }

  @Test
  void sharesOfAnUnequalSplitSumToTheWholeBatch() {
    double[][] loss = {{1, 2, 3}, {4, 5, 6}, {-1, 0.5, 2}};
    double[][] mask = {{1, 1, 0}, {1, 0, 0}, {1, 1, 1}};
    for (LossType type : LossType.values()) {
      double whole = aggregate(type, loss, mask, 4);
      // rows {0} and {1, 2}: one row and one token against two rows and four tokens
      double first = Nd.scalar(type.aggregateShare(Nd.matrix(m, new double[][] {loss[0]}),
          Nd.matrix(m, new double[][] {mask[0]}), 4, 3, 6));
      double rest = Nd.scalar(type.aggregateShare(Nd.matrix(m, new double[][] {loss[1], loss[2]}),
          Nd.matrix(m, new double[][] {mask[1], mask[2]}), 4, 3, 6));
      assertThat(first + rest).as(type.configName()).isCloseTo(whole, within(1e-6));
    }
  }

  @Test
  void aFullyMaskedSequenceCountsAsZero() {
    double[][] mask = {{1, 1, 0}, {0, 0, 0}};
    // grpo clamps the row's token count to 1: (1.5 + 0) / 2
    assertThat(aggregate(LossType.GRPO, L, mask, 3)).isCloseTo(0.75, within(1e-6));
    assertThat(aggregate(LossType.BNPO, L, mask, 3)).isCloseTo(1.5, within(1e-6));
    assertThat(aggregate(LossType.DR_GRPO, L, mask, 3)).isCloseTo(0.5, within(1e-6));
    double[][] none = {{0, 0, 0}, {0, 0, 0}};
    for (LossType t : LossType.values()) {
      assertThat(aggregate(t, L, none, 3)).as(t.configName()).isZero();
    }
  }

  @Test
  void aggregationRejectsBadInput() {
    assertThatThrownBy(() -> aggregate(LossType.DR_GRPO, L, M, 2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("max_completion_length 2");
    assertThatThrownBy(() -> aggregate(LossType.GRPO, L, new double[][] {{1, 1}}, 3))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("completion mask");
    assertThatThrownBy(() -> LossType.byName("sum")).isInstanceOf(BadInputException.class);
  }

  // ---------------------------------------------------------------- entropy, masked mean

  @Test
  void entropyFromLogits() {
    NDArray logits = Nd.matrix(m, new double[][] {{0, 0, 0, 0}, {1, 2, 3, 0}, {1000, 0, 0, 0}});
    double[] h = TokenStats.entropy(logits).toType(DataType.FLOAT64, false).toDoubleArray();
    double z = Math.exp(1) + Math.exp(2) + Math.exp(3) + 1;
    double h1 = 0;
    for (double x : new double[] {1, 2, 3, 0}) {
      double p = Math.exp(x) / z;
      h1 -= p * Math.log(p);
    }
    assertThat(h).containsExactly(new double[] {Math.log(4), h1, 0}, within(1e-5));
    // leading axes are kept: [B, L, V] -> [B, L]
    NDArray cube = m.zeros(new ai.djl.ndarray.types.Shape(2, 3, 5));
    assertThat(TokenStats.entropy(cube).getShape()).isEqualTo(new ai.djl.ndarray.types.Shape(2, 3));
  }

  @Test
  void maskedMeanClampsTheCount() {
    NDArray x = Nd.matrix(m, L);
    assertThat(Nd.scalar(TokenStats.maskedMean(x, Nd.matrix(m, M)))).isCloseTo(7.0 / 3, within(1e-6));
    assertThat(Nd.scalar(TokenStats.maskedMean(x, m.zeros(x.getShape())))).isZero();
    assertThat(Nd.scalar(TokenStats.maskedMean(x.gt(2.5), Nd.matrix(m, M)))).isCloseTo(1.0 / 3, within(1e-6));
  }

  // ---------------------------------------------------------------- gradients

  /** d loss / d logp for a loss built from logp inside a gradient collector. */
  private double[][] gradient(NDArray logp, java.util.function.Function<NDArray, NDArray> lossOf) {
    logp.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(lossOf.apply(logp));
    }
    return Nd.rows(logp.getGradient());
  }

  @Test
  void bnpoGradientWithInactiveClipIsMinusARatioOverTokens() {
    NDArray old = old();
    double[][] ratios = {{1.1, 0.95, 1.0}, {0.9, 1.05, 1.2}};
    NDArray logp = logpFor(ratios, old);
    NDArray mask = Nd.matrix(m, new double[][] {{1, 1, 0}, {1, 1, 1}});
    double[] a = {2, -1};
    double[][] g =
        gradient(
            logp,
            lp -> LossType.BNPO.aggregate(
                PolicyLoss.clippedSurrogate(lp, old, Nd.vector(m, a), 0.2, 0.28), mask, 3));
    double[][] mk = Nd.rows(mask);
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 3; t++) {
        assertThat(g[b][t]).as("(%d, %d)", b, t).isCloseTo(-a[b] * ratios[b][t] * mk[b][t] / 5, within(1e-6));
      }
    }
  }

  @Test
  void onPolicyGradientIsMinusAOverTokens() {
    // no old log-probs: ratio = exp(logp - stop_gradient(logp)) = 1, d ratio / d logp = 1
    NDArray logp = old();
    NDArray mask = Nd.matrix(m, new double[][] {{1, 1, 1}, {1, 0, 0}});
    double[][] g =
        gradient(
            logp,
            lp -> LossType.BNPO.aggregate(
                PolicyLoss.clippedSurrogate(lp, null, Nd.vector(m, 2, -1), 0.2, 0.28), mask, 3));
    assertThat(g[0]).containsExactly(new double[] {-0.5, -0.5, -0.5}, within(1e-6));
    assertThat(g[1]).containsExactly(new double[] {0.25, 0, 0}, within(1e-6));
  }

  @Test
  void grpoGradientWithK3DividesByEachSequenceLength() {
    NDArray old = old();
    double[][] ratios = {{1.1, 0.95, 1.0}, {0.9, 1.05, 1.2}};
    NDArray logp = logpFor(ratios, old);
    double[][] lp = Nd.rows(logp);
    double[][] refv = {{-1.0, -1.5, -2.0}, {-0.5, -1.0, -1.5}};
    NDArray ref = Nd.matrix(m, refv);
    double[][] mk = {{1, 1, 0}, {1, 1, 1}};
    NDArray mask = Nd.matrix(m, mk);
    double[] a = {2, -1};
    double beta = 0.1;
    double[][] g =
        gradient(
            logp,
            x -> LossType.GRPO.aggregate(
                PolicyLoss.perTokenLoss(x, old, ref, Nd.vector(m, a), 0.2, 0.28, beta, KlEstimator.K3), mask, 3));
    double[] n = {2, 3};
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 3; t++) {
        // d/dlogp [-A r + beta (exp(ref - logp) - (ref - logp) - 1)] = -A r + beta (1 - exp(ref - logp))
        double perToken = -a[b] * ratios[b][t] + beta * (1 - Math.exp(refv[b][t] - lp[b][t]));
        assertThat(g[b][t]).as("(%d, %d)", b, t).isCloseTo(perToken * mk[b][t] / (2 * n[b]), within(1e-6));
      }
    }
  }

  @Test
  void oldAndReferenceLogProbsAreConstantsEvenWhenDerivedFromLogp() {
    // as in make_reference.py: old = logp - old_delta, ref = logp - ref_delta, built on the graph
    double[][] oldDelta = {{0.1, -0.05, 0.0}, {-0.1, 0.05, 0.2}};
    double[][] refDelta = {{0.2, -0.1, 0.05}, {0.0, 0.15, -0.2}};
    NDArray od = Nd.matrix(m, oldDelta);
    NDArray rd = Nd.matrix(m, refDelta);
    NDArray mask = m.ones(od.getShape());
    double[] a = {1.5, -0.5};
    double beta = 0.2;
    double[][] g =
        gradient(
            old(),
            lp -> LossType.BNPO.aggregate(
                PolicyLoss.perTokenLoss(lp, lp.sub(od), lp.sub(rd), Nd.vector(m, a), 0.3, 0.3, beta, KlEstimator.K3),
                mask,
                3));
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 3; t++) {
        double perToken = -a[b] * Math.exp(oldDelta[b][t]) + beta * (1 - Math.exp(-refDelta[b][t]));
        assertThat(g[b][t]).as("(%d, %d)", b, t).isCloseTo(perToken / 6, within(1e-6));
      }
    }
  }

  @Test
  void clippedTokensGetNoSurrogateGradient() {
    NDArray old = old();
    NDArray logp = logpFor(RATIOS, old);
    NDArray full = m.ones(logp.getShape());
    double[] a = {2, -1};
    double[][] g =
        gradient(
            logp,
            lp -> LossType.DR_GRPO.aggregate(
                PolicyLoss.clippedSurrogate(lp, old, Nd.vector(m, a), 0.2, 0.28), full, 4));
    // clipped: (0, 1) high with A > 0 and (1, 0) low with A < 0
    assertThat(g[0][1]).isZero();
    assertThat(g[1][0]).isZero();
    // the others keep -A r / (B * max_completion_length)
    assertThat(g[0][0]).isCloseTo(-2 * 1.1 / 8, within(1e-6));
    assertThat(g[0][2]).isCloseTo(-2 * 0.5 / 8, within(1e-6));
    assertThat(g[1][1]).isCloseTo(1.5 / 8, within(1e-6));
    assertThat(g[1][2]).isCloseTo(0.9 / 8, within(1e-6));
  }
}
