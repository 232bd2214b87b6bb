package dro4j.reward.likelihood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dro4j.BadInputException;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.Reward;
import dro4j.reward.RewardRegistry;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The likelihood rewards as the registry builds them from configs (no model needed). */
class LikelihoodRegistryTest {
  final RewardRegistry registry = RewardRegistry.standard();

  static Map<String, Object> json(String text) throws IOException {
    return RewardRegistry.toMap(new ObjectMapper().readTree(text));
  }

  static Map<String, Object> params(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void everyNameIsRegisteredDocumentedAndNeedsAModel() throws IOException {
    List<String> names = List.of("r3", "logprob_sum", "logprob_mean", "verifree", "rlpr", "nover", "follow_up");
    for (String name : names) {
      RewardRegistry.Entry e = registry.entry(name).orElseThrow();
      assertThat(e.needsModel()).as(name).isTrue();
      Map<String, Object> spec = name.equals("follow_up") ? json("{\"name\": \"follow_up\", \"positive\": \"Thanks!\"}")
          : Map.of("name", name);
      assertThat(registry.needsModel(spec)).as(name).isTrue();
      Reward r = registry.build(spec);
      assertThat(r.name()).isEqualTo(name);
    }
    String text = registry.describe();
    assertThat(text).contains("r3  (needs a model)").contains("arXiv 2506.13351")
        .contains("- weighting (string, default sigma, one of sigma|softmax|top_k|uniform)")
        .contains("- baseline (string, default off, one of off|prompt|filler)")
        .contains("- scoring_policy (string, default current, one of current|reference|lagged)")
        .contains("- split_text (string, default </think>)").contains("- answer_prefix (string, default \"\"): ").contains("- gamma (number, default 0.5)")
        .contains("arXiv 2505.21493").contains("arXiv 2506.18254").contains("arXiv 2505.16022")
        .contains("arXiv 2409.13948");
  }

  @Test
  void defaultsArePlainR3() {
    var r3 = (ReasoningReflectionReward) registry.build("r3", Map.of());
    R3Config c = r3.config();
    assertThat(c.weighting()).isEqualTo(TokenWeighting.sigmaNormalised());
    assertThat(c.baseline()).isEqualTo(MaskedCotBaseline.off());
    assertThat(c.propagation().enabled()).isFalse();
    assertThat(c.lengthPenalty().enabled()).isFalse();
    assertThat(c.scoring().split().toString()).isEqualTo(ReasoningSplit.defaults().toString());
    assertThat(c.scoring().answerPrefix()).isEmpty();
    assertThat(c.scoring().temperature()).isEqualTo(1.0);
    assertThat(c.scoring().policy().kind()).isEqualTo(ScoringPolicy.Kind.CURRENT);
  }

  @Test
  void everyR3OptionFromCommandLineStrings() {
    var r3 = (ReasoningReflectionReward) registry.build("r3", params(
        "weighting", "softmax", "tau", "0.25", "baseline", "filler", "filler", "<think>\n</think>",
        "propagation", "true", "gamma", "0.3", "length_penalty_weight", "0.5", "length_penalty_beta", "2",
        "split", "marker", "split_text", "Answer:", "split_occurrence", "first", "split_fallback", "empty_reasoning",
        "answer_prefix", " ", "temperature", "0.7", "scoring_policy", "lagged", "refresh_steps", "4"));
    R3Config c = r3.config();
    assertThat(c.weighting()).isEqualTo(TokenWeighting.softmax(0.25));
    assertThat(c.baseline()).isEqualTo(MaskedCotBaseline.filler("<think>\n</think>"));
    assertThat(c.propagation()).isEqualTo(ControlledPropagation.withDecay(0.3));
    assertThat(c.lengthPenalty()).isEqualTo(OutcomeLengthPenalty.of(0.5, 2));
    assertThat(c.scoring().split().toString()).isEqualTo("ReasoningSplit[marker 'Answer:', FIRST, no match: EMPTY_REASONING]");
    assertThat(c.scoring().answerPrefix()).isEqualTo(" ");
    assertThat(c.scoring().temperature()).isEqualTo(0.7);
    assertThat(c.scoring().policy().kind()).isEqualTo(ScoringPolicy.Kind.LAGGED);
    assertThat(c.scoring().policy().refreshEverySteps()).isEqualTo(4);

    var topK = (ReasoningReflectionReward) registry.build("r3", params("weighting", "top_k", "k", 3, "baseline", "prompt",
        "split", "regex", "split_text", "(?i)answer\\s*:", "scoring_policy", "reference"));
    assertThat(topK.config().weighting()).isEqualTo(TokenWeighting.topK(3));
    assertThat(topK.config().baseline()).isEqualTo(MaskedCotBaseline.promptOnly());
    assertThat(topK.config().scoring().split().toString()).startsWith("ReasoningSplit[regex /(?i)answer\\s*:/, LAST");
    assertThat(topK.config().scoring().policy().kind()).isEqualTo(ScoringPolicy.Kind.REFERENCE);
    var uniform = (ReasoningReflectionReward) registry.build("r3", params("weighting", "uniform", "split", "none"));
    assertThat(uniform.config().weighting()).isEqualTo(TokenWeighting.uniform());
    assertThat(uniform.config().scoring().split().matchEnd("</think>")).isEqualTo(-1);
  }

  @Test
  void familyParameters() throws IOException {
    var sum = (ReferenceLogProbReward) registry.build("logprob_sum", params("answer_prefix", "\nAnswer: "));
    assertThat(sum.aggregation()).isEqualTo(ReferenceLogProbReward.Aggregation.SUM);
    assertThat(sum.scoring().answerPrefix()).isEqualTo("\nAnswer: ");
    var mean = (ReferenceLogProbReward) registry.build("logprob_mean", params("temperature", 2));
    assertThat(mean.aggregation()).isEqualTo(ReferenceLogProbReward.Aggregation.MEAN);
    assertThat(mean.scoring().temperature()).isEqualTo(2.0);
    var verifree = (VeriFreeReward) registry.build("verifree", params("split_text", "Answer:"));
    assertThat(verifree.scoring().split().matchEnd("x Answer: 5")).isEqualTo(9);
    var rlpr = (RlprReward) registry.build("rlpr", params("debias", false, "std_filter", "true", "std_filter_decay", 0.9));
    assertThat(rlpr.config().debias()).isFalse();
    assertThat(rlpr.config().stdFilter()).isTrue();
    assertThat(rlpr.config().stdFilterDecay()).isEqualTo(0.9);
    var nover = (NoverReward) registry.build("nover", params("output", "negative_perplexity", "require_split", false));
    assertThat(nover.config().output()).isEqualTo(NoverReward.Output.NEGATIVE_PERPLEXITY);
    assertThat(nover.config().requireSplit()).isFalse();
    var flr = (FollowUpLikelihoodReward) registry.build(json("{\"name\": \"follow_up\", \"positive\": [\"Thanks, that helps.\"],"
        + " \"negative\": \"That is wrong.,No.\", \"per_token\": false, \"scoring_policy\": \"lagged\", \"refresh_steps\": 2}"));
    assertThat(flr.config().positive()).containsExactly("Thanks, that helps.");
    assertThat(flr.config().negative()).containsExactly("That is wrong.", "No.");
    assertThat(flr.config().perToken()).isFalse();
    assertThat(flr.config().scoring().policy().refreshEverySteps()).isEqualTo(2);
    var flrDefault = (FollowUpLikelihoodReward) registry.build("follow_up", params("positive", "Thanks!"));
    assertThat(flrDefault.config().negative()).isEmpty();
    assertThat(flrDefault.config().perToken()).isTrue();
  }

  @Test
  void badParametersNameTheRewardAndTheProblem() {
    assertThatThrownBy(() -> registry.build("r3", params("weighting", "sigmoid")))
        .isInstanceOf(BadInputException.class)
        .hasMessage("reward r3: parameter 'weighting' must be one of sigma, softmax, top_k, uniform, found 'sigmoid'");
    assertThatThrownBy(() -> registry.build("r3", params("weighting", "softmax", "tau", 0)))
        .hasMessageStartingWith("reward r3: softmax temperature of R3 weights must be a finite number > 0");
    assertThatThrownBy(() -> registry.build("r3", params("weighting", "top_k", "k", "2.5")))
        .hasMessage("reward r3: parameter 'k' must be an integer, found '2.5'");
    assertThatThrownBy(() -> registry.build("r3", params("weighting", "top_k", "k", 0)))
        .hasMessage("reward r3: top-k of R3 weights must be >= 1, got 0");
    assertThatThrownBy(() -> registry.build("r3", params("gamma", -1)))
        .hasMessageStartingWith("reward r3: controlled propagation decay gamma must be a finite number >= 0");
    assertThatThrownBy(() -> registry.build("r3", params("length_penalty_weight", -0.5)))
        .hasMessageStartingWith("reward r3: length penalty weight and beta must be finite numbers >= 0");
    assertThatThrownBy(() -> registry.build("r3", params("filler", "...")))
        .hasMessage("reward r3: parameter 'filler' needs baseline=filler");
    assertThatThrownBy(() -> registry.build("r3", params("scoring_policy", "lagged")))
        .hasMessage("reward r3: scoring_policy=lagged needs refresh_steps (the refresh interval in steps)");
    assertThatThrownBy(() -> registry.build("r3", params("scoring_policy", "lagged", "refresh_steps", 0)))
        .hasMessage("reward r3: lagged scoring policy: refresh interval must be >= 1 step, got 0");
    assertThatThrownBy(() -> registry.build("logprob_sum", params("refresh_steps", 5)))
        .hasMessage("reward logprob_sum: parameter 'refresh_steps' needs scoring_policy=lagged (found current)");
    assertThatThrownBy(() -> registry.build("r3", params("split", "regex", "split_text", "(")))
        .hasMessageStartingWith("reward r3: invalid reasoning split regex '('");
    assertThatThrownBy(() -> registry.build("verifree", params("split_text", "")))
        .hasMessage("reward verifree: reasoning split marker must be a non-empty string");
    assertThatThrownBy(() -> registry.build("rlpr", params("temperature", "hot")))
        .hasMessage("reward rlpr: parameter 'temperature' must be a number, found 'hot'");
    assertThatThrownBy(() -> registry.build("rlpr", params("temperature", 0)))
        .hasMessage("reward rlpr: scoring temperature must be a finite number > 0, got 0.0");
    assertThatThrownBy(() -> registry.build("rlpr", params("std_filter_decay", 1)))
        .hasMessage("reward rlpr: RLPR std filter decay must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> registry.build("nover", params("output", "perplexity")))
        .hasMessageContaining("must be one of rank, negative_perplexity");
    assertThatThrownBy(() -> registry.build("follow_up", Map.of()))
        .hasMessageStartingWith("reward follow_up: missing required parameter 'positive'");
    assertThatThrownBy(() -> registry.build("follow_up", params("positive", "[\"ok\", \"\"]")))
        .hasMessage("reward follow_up: follow-up texts must not be empty");
    assertThatThrownBy(() -> registry.build("follow_up", params("positive", "ok", "split", "tag")))
        .hasMessageStartingWith("reward follow_up: unknown parameter 'split' (known: positive, negative, per_token,");
    assertThatThrownBy(() -> registry.build("r3", params("sigma", "x")))
        .hasMessageStartingWith("reward r3: unknown parameter 'sigma' (known: split, split_text,");
  }
}
