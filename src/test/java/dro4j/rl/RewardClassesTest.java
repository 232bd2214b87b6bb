package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.reward.KeywordReward;
import dro4j.reward.Reward;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's own reward named by its class in {@code rewards:}, through {@link RewardFactory#builtIn()}. */
class RewardClassesTest {
  private static final RewardFactory FACTORY = RewardFactory.builtIn();

  /** Counts the sentences mentioning {@code words}, scaled by {@code scale}: built from the entry's params. */
  public static final class ScaledKeyword implements Reward.PerRollout {
    private final KeywordReward keyword;
    private final double scale;

    public ScaledKeyword(Map<String, Object> params) {
      if (!params.containsKey("scale")) throw new BadInputException("scaled keyword: give scale");
      scale = ((Number) params.get("scale")).doubleValue();
      keyword = KeywordReward.fromParams(Map.of("words", params.get("words")));
    }

    @Override
    public String name() {
      return "scaled_keyword";
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return scale * keyword.score(rollout, group);
    }
  }

  /** The length of the text: no parameters. */
  public static class Length implements Reward.PerRollout {
    public Length() {}

    @Override
    public String name() {
      return "length";
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return rollout.text().length();
    }
  }

  /** Takes an int, which no job entry is. */
  public static final class WrongConstructor extends Length {
    public WrongConstructor(int size) {}
  }

  @Test
  void aRewardClassIsBuiltWithItsParamsOrWithoutAny() {
    Reward scaled = FACTORY.create(ScaledKeyword.class.getName(), Map.of("scale", 2.0, "words", List.of("ball")));
    assertThat(scaled).isInstanceOf(ScaledKeyword.class);
    Rollout ball = Rollout.ofText("Tim had a red ball.");
    assertThat(((ScaledKeyword) scaled).score(ball, null)).isEqualTo(2.0 * new KeywordReward(List.of("ball")).score(ball, null))
        .isPositive();
    Reward length = FACTORY.create(Length.class.getName(), Map.of());
    assertThat(((Length) length).score(ball, null)).isEqualTo(19.0);
    // built-in names still mean the built-in rewards
    assertThat(FACTORY.create("keyword", Map.of("words", List.of("ball")))).isInstanceOf(KeywordReward.class);
  }

  @Test
  void badRewardClassesAreClearErrors() {
    assertThatThrownBy(() -> FACTORY.create("com.example.NoSuchReward", Map.of()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("com.example.NoSuchReward").hasMessageContaining("class path")
        .hasMessageContaining("every executor");
    assertThatThrownBy(() -> FACTORY.create("java.lang.String", Map.of()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("does not implement dro4j.reward.Reward");
    assertThatThrownBy(() -> FACTORY.create(WrongConstructor.class.getName(), Map.of()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("neither a public constructor taking its parameters");
    assertThatThrownBy(() -> FACTORY.create(Length.class.getName(), Map.of("words", "ball")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("takes no parameters").hasMessageContaining("words");
    assertThatThrownBy(() -> FACTORY.create(ScaledKeyword.class.getName(), Map.of("words", "ball")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("reward class " + ScaledKeyword.class.getName() + ": its constructor failed: scaled keyword: give scale")
        .hasCauseInstanceOf(BadInputException.class);
    // a name without a dot is never a class name
    assertThatThrownBy(() -> FACTORY.create("no_such_reward", Map.of()))
        .isInstanceOf(BadInputException.class).hasMessageContaining("unknown reward 'no_such_reward'");
  }
}
