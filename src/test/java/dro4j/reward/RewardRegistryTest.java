package dro4j.reward;

import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.scores;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.reward.RewardRegistry.Param;
import dro4j.reward.RewardRegistry.Type;
import dro4j.reward.compose.WeightedSum;
import dro4j.reward.verifiable.NumericMatchReward;
import dro4j.reward.verifiable.TagsReward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardRegistryTest {
  final RewardRegistry registry = RewardRegistry.standard();

  static Map<String, Object> json(String text) throws IOException {
    return RewardRegistry.toMap(new ObjectMapper().readTree(text));
  }

  @Test
  void listsEveryBuiltInWithItsParameters() {
    assertThat(registry.entries()).extracting(RewardRegistry.Entry::name).contains(
        "exact_match", "numeric_match", "finqa_match", "think_format", "tags", "regex", "overlong",
        "rouge1", "rouge2", "rougeL", "judge", "pairwise_judge", "weighted_sum", "gated", "par", "normalize");
    String text = registry.describe();
    assertThat(text).contains("numeric_match\n").contains("- tolerance (number, default 0.02)")
        .contains("- max_length (integer, default 20480)").contains("one of f1|precision|recall")
        .contains("arXiv 2503.14476").contains("- threshold (number)");
  }

  @Test
  void buildsFromJsonValuesOrStrings() throws IOException {
    var fromJson = (NumericMatchReward) registry.build(json("{\"name\": \"numeric_match\", \"tolerance\": 0.05}"));
    assertThat(fromJson.tolerance()).isEqualTo(0.05);
    var fromCli = (NumericMatchReward) registry.build("numeric_match", Map.of("tolerance", "1e-6", "extract", "boxed"));
    assertThat(fromCli.tolerance()).isEqualTo(1e-6);
    assertThat(scores(fromCli, group("5", "answer is 5", "\\boxed{5}"))).containsExactly(0, 1);
    var tags = (TagsReward) registry.build("tags", Map.of("tags", "<a>, </a>", "partial", "TRUE"));
    assertThat(tags.tags()).containsExactly("<a>", "</a>");
    assertThat(tags.partial()).isTrue();
    var jsonList = (TagsReward) registry.build("tags", Map.of("tags", "[\"x,y\", \"z\"]"));
    assertThat(jsonList.tags()).containsExactly("x,y", "z");
  }

  @Test
  void buildsNestedRewards() throws IOException {
    Reward r = registry.build(json("{\"name\": \"weighted_sum\", \"rewards\": ["
        + "{\"reward\": {\"name\": \"numeric_match\", \"tolerance\": 0}, \"weight\": 2},"
        + "{\"reward\": \"think_format\"}]}"));
    assertThat(r).isInstanceOf(WeightedSum.class);
    assertThat(((WeightedSum) r).components()).extracting(WeightedSum.Component::weight).containsExactly(2.0, 1.0);
    assertThat(scores(r, group("3", "<think>1+2</think> answer is 3", "answer is 3"))).containsExactly(3, 2);
  }

  @Test
  void clearErrors() throws IOException {
    assertThatThrownBy(() -> registry.build("nope", Map.of()))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("unknown reward 'nope' (available: ")
        .hasMessageContaining("numeric_match");
    assertThatThrownBy(() -> registry.build("numeric_match", Map.of("tol", 0.1)))
        .hasMessage("reward numeric_match: unknown parameter 'tol' (known: tolerance, extract, marker)");
    assertThatThrownBy(() -> registry.build("numeric_match", Map.of("tolerance", "two percent")))
        .hasMessage("reward numeric_match: parameter 'tolerance' must be a number, found 'two percent'");
    assertThatThrownBy(() -> registry.build("overlong", Map.of("cache", 1.5)))
        .hasMessageContaining("parameter 'cache' must be an integer, found 1.5");
    assertThatThrownBy(() -> registry.build("tags", Map.of()))
        .hasMessageContaining("missing required parameter 'tags'");
    assertThatThrownBy(() -> registry.build("rouge1", Map.of("measure", "f")))
        .hasMessageContaining("must be one of f1, precision, recall, found 'f'");
    assertThatThrownBy(() -> registry.build("think_format", Map.of("require_open", "yes")))
        .hasMessageContaining("must be true or false");
    assertThatThrownBy(() -> registry.build(json("{\"tolerance\": 1}"))).hasMessageContaining("needs a \"name\"");
    assertThatThrownBy(() -> registry.build(json("{\"name\": \"weighted_sum\", \"rewards\": ["
        + "{\"reward\": {\"name\": \"numeric_match\"}}, {\"reward\": {\"name\": \"numeric_match\", \"tol\": 1}}]}")))
        .hasMessage("reward weighted_sum: rewards[1]: reward > numeric_match: unknown parameter 'tol'"
            + " (known: tolerance, extract, marker)");
    assertThatThrownBy(() -> registry.build(json("{\"name\": \"weighted_sum\", \"rewards\": [{\"weight\": 1}]}")))
        .hasMessageContaining("rewards[0]: missing required parameter 'reward'");
    assertThatThrownBy(() -> registry.build(json("{\"name\": \"gated\", \"rewards\": [{\"reward\": \"nope\"}]}")))
        .hasMessageContaining("reward > nope: unknown reward 'nope'");
  }

  @Test
  void registersMoreRewardsAndTracksModelNeeds() throws IOException {
    RewardRegistry r = RewardRegistry.standard();
    r.register("fake_likelihood", "needs the policy", true, p -> new TextGroupsReward(p.number("scale")),
        Param.optional("scale", Type.NUMBER, 1.0, "a factor"));
    assertThat(r.needsModel(json("{\"name\": \"numeric_match\"}"))).isFalse();
    assertThat(r.needsModel(json("{\"name\": \"fake_likelihood\"}"))).isTrue();
    assertThat(r.needsModel(json("{\"name\": \"weighted_sum\", \"rewards\": [{\"reward\": \"numeric_match\"},"
        + " {\"reward\": {\"name\": \"normalize\", \"reward\": \"fake_likelihood\"}}]}"))).isTrue();
    assertThatThrownBy(() -> r.register("fake_likelihood", "again", false, p -> null))
        .hasMessageContaining("already registered");
  }

  @Test
  void readsConfigFiles(@TempDir Path dir) throws IOException {
    Path good = dir.resolve("good.json");
    Files.writeString(good, "{\"name\": \"rouge2\", \"stem\": true}");
    assertThat(registry.build(RewardRegistry.readConfig(good)).name()).isEqualTo("rouge2");
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"name\": ");
    assertThatThrownBy(() -> RewardRegistry.readConfig(bad)).hasMessageContaining("bad.json").hasMessageContaining("invalid JSON");
    Path array = dir.resolve("array.json");
    Files.writeString(array, "[]");
    assertThatThrownBy(() -> RewardRegistry.readConfig(array)).hasMessageContaining("expected a JSON object");
  }

  /** A stand-in for a model-based reward. */
  record TextGroupsReward(double scale) implements Reward.PerRollout {
    @Override
    public String name() {
      return "fake_likelihood";
    }

    @Override
    public double score(Rollout rollout, RolloutGroup group) {
      return scale * rollout.text().length();
    }
  }
}
