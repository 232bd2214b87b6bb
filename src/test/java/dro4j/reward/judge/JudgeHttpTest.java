package dro4j.reward.judge;

import static dro4j.reward.TextGroups.diag;
import static dro4j.reward.TextGroups.group;
import static dro4j.reward.TextGroups.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dro4j.BadInputException;
import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardResult;
import dro4j.reward.judge.ScriptedJudgeServer.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Judges against a real HTTP server on loopback that replies like an OpenAI chat API. */
class JudgeHttpTest {
  static OpenAiChatClient client(ScriptedJudgeServer server, int maxRetries, Duration timeout) {
    return new OpenAiChatClient(new ChatEndpoint(server.baseUrl(), "judge-model", "JUDGE_KEY", timeout, maxRetries,
        Duration.ofMillis(10), 0.0, 64), Map.of("JUDGE_KEY", "sk-test")::get);
  }

  static OpenAiChatClient client(ScriptedJudgeServer server) {
    return client(server, 2, Duration.ofSeconds(10));
  }

  static PointwiseJudge yesNo(ChatClient client, ParseFailure policy) {
    return new PointwiseJudge(client, PointwiseJudge.Mode.YES_NO, 10, null, null, null,
        MasterKeyFilter.standard(), policy, 3);
  }

  @Test
  void yesNoJudgeSendsAnOpenAiRequestAndReadsTheVerdict() throws Exception {
    try (var server = new ScriptedJudgeServer(r ->
        Reply.verdict(r.user().contains("RESPONSE\nParis") ? "It matches.\nVERDICT: YES" : "VERDICT: NO"))) {
      RewardResult r = result(yesNo(client(server), ParseFailure.ZERO), group("Paris", "Paris", "London"));
      assertThat(r.scores()).containsExactly(1, 0);
      assertThat(diag(r, "verdicts")).containsExactlyInAnyOrder("It matches.\nVERDICT: YES", "VERDICT: NO");
      assertThat(r.diagnostics().get("parse_failures")).isEqualTo(0);
      var request = server.requests().get(0);
      assertThat(request.authorization()).isEqualTo("Bearer sk-test");
      assertThat(request.body().get("model").asText()).isEqualTo("judge-model");
      assertThat(request.body().get("temperature").asDouble()).isZero();
      assertThat(request.body().get("max_tokens").asInt()).isEqualTo(64);
      assertThat(request.body().get("messages").get(0).get("role").asText()).isEqualTo("system");
      assertThat(request.body().get("messages").get(0).get("content").asText()).contains("VERDICT: YES");
      assertThat(request.user()).contains("Question:\nWhat is it?").contains("Reference answer:\nParis");
    }
  }

  @Test
  void retriesAfterServerErrorsAndRateLimits() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.status(500),
        new Reply(429, "{}", 0, Map.of("Retry-After", "0")), Reply.verdict("VERDICT: YES"))) {
      assertThat(result(yesNo(client(server), ParseFailure.FAIL), group("x", "x")).scores()).containsExactly(1);
      assertThat(server.requests()).hasSize(3);
    }
  }

  @Test
  void givesUpAfterTheLastRetryAndAtOnceOnClientErrors() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.status(503))) {
      assertThatThrownBy(() -> result(yesNo(client(server), ParseFailure.ZERO), group("x", "x")))
          .isInstanceOf(JudgeException.class).hasMessageContaining("failed after 3 attempt(s)").hasMessageContaining("HTTP 503");
      assertThat(server.requests()).hasSize(3);
    }
    try (var server = ScriptedJudgeServer.sequence(Reply.status(401), Reply.verdict("VERDICT: YES"))) {
      assertThatThrownBy(() -> result(yesNo(client(server), ParseFailure.ZERO), group("x", "x")))
          .isInstanceOf(JudgeException.class).hasMessageContaining("HTTP 401").hasMessageNotContaining("sk-test");
      assertThat(server.requests()).hasSize(1);
    }
  }

  @Test
  void retriesATimedOutRequest() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(new Reply(200, ScriptedJudgeServer.chat("VERDICT: NO"), 6000, Map.of()),
        Reply.verdict("VERDICT: YES"))) {
      long start = System.nanoTime();
      var judge = yesNo(client(server, 1, Duration.ofMillis(300)), ParseFailure.FAIL);
      assertThat(result(judge, group("x", "x")).scores()).containsExactly(1);
      assertThat(server.requests()).hasSize(2);
      assertThat((System.nanoTime() - start) / 1e9).isLessThan(4.5); // did not wait for the 6 s reply
    }
    try (var server = ScriptedJudgeServer.sequence(new Reply(200, ScriptedJudgeServer.chat("VERDICT: YES"), 2000, Map.of()))) {
      assertThatThrownBy(() -> result(yesNo(client(server, 0, Duration.ofMillis(200)), ParseFailure.ZERO), group("x", "x")))
          .isInstanceOf(JudgeException.class).hasMessageContaining("timed out after 200 ms");
    }
  }

  @Test
  void unparseableVerdictsFollowThePolicy() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("I think the answer is right, YES."))) {
      RewardResult zero = result(yesNo(client(server), ParseFailure.ZERO), group("x", "x", "y"));
      assertThat(zero.scores()).containsExactly(0, 0);
      assertThat(zero.diagnostics().get("parse_failures")).isEqualTo(2);
      assertThat(result(yesNo(client(server), ParseFailure.NAN), group("x", "x")).scores()[0]).isNaN();
      assertThatThrownBy(() -> result(yesNo(client(server), ParseFailure.FAIL), group("x", "x")))
          .isInstanceOf(JudgeException.class).hasMessageContaining("no verdict in the required format");
    }
    try (var server = ScriptedJudgeServer.sequence(new Reply(200, "<html>oops</html>", 0, Map.of()))) {
      assertThatThrownBy(() -> result(yesNo(client(server), ParseFailure.ZERO), group("x", "x")))
          .isInstanceOf(JudgeException.class).hasMessageContaining("not JSON");
    }
  }

  @Test
  void masterKeysEarnNothingEvenWhenTheJudgeSaysYes() throws Exception {
    List<String> keys = List.of("", ":", ".", "Let's solve this step by step.", "Solution", "Thought process:",
        "Let's solve this problem step by step.", "解");
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: YES"))) {
      String[] rollouts = new String[keys.size() + 1];
      keys.toArray(rollouts);
      rollouts[keys.size()] = "The answer is Paris.";
      RewardResult r = result(yesNo(client(server), ParseFailure.ZERO), group("Paris", rollouts));
      double[] expected = new double[rollouts.length];
      expected[keys.size()] = 1;
      assertThat(r.scores()).containsExactly(expected);
      assertThat(server.requests()).hasSize(1); // filtered responses cost no call
      assertThat(diag(r, "filtered").get(1)).isEqualTo("no content: only punctuation or symbols");

      // the same responses in a pairwise judge that always prefers the second position
      try (var biased = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: B"))) {
        var pairwise = PairwiseJudge.of(client(biased), PairwiseJudge.Mode.GROUP);
        RewardResult p = result(pairwise, group("Paris", "Solution", ":", "Paris", "It is Paris"));
        // the two real answers tie with each other (B then B: one win each) and beat both keys:
        // (1 + 1 + 0.5) / 3
        assertThat(p.scores()).containsExactly(new double[] {0, 0, 2.5 / 3, 2.5 / 3}, within(1e-12));
        assertThat(biased.requests()).hasSize(2);
        assertThat(p.diagnostics().get("position_inconsistent")).isEqualTo(1);
      }
    }
  }

  @Test
  void scoreModeScalesTheScore() throws Exception {
    try (var server = new ScriptedJudgeServer(r ->
        Reply.verdict(r.user().contains("RESPONSE\ngood") ? "Solid.\nSCORE: 7" : "SCORE: 11"))) {
      var judge = new PointwiseJudge(client(server), PointwiseJudge.Mode.SCORE, 10, null, null, null,
          MasterKeyFilter.standard(), ParseFailure.ZERO, 2);
      RewardResult r = result(judge, group("", "good", "bad"));
      assertThat(r.scores()).containsExactly(0.7, 0);
      assertThat(r.diagnostics().get("parse_failures")).isEqualTo(1);
      assertThat(server.requests().get(0).body().get("messages").get(0).get("content").asText())
          .contains("from 0 to 10").doesNotContain("{max_score}");
      assertThat(server.requests().get(0).user()).contains("Reference answer:\n(none)");
    }
  }

  /** A fair pairwise judge: prefers the response mentioning "capital", then "Paris"; else a tie. */
  static Reply fair(ScriptedJudgeServer.Request r) {
    String user = r.user();
    String a = user.substring(user.indexOf("<<<A\n") + 5, user.indexOf("\nA>>>"));
    String b = user.substring(user.indexOf("<<<B\n") + 5, user.indexOf("\nB>>>"));
    int sa = (a.contains("capital") ? 2 : 0) + (a.contains("Paris") ? 1 : 0);
    int sb = (b.contains("capital") ? 2 : 0) + (b.contains("Paris") ? 1 : 0);
    return Reply.verdict(sa > sb ? "VERDICT: A" : sb > sa ? "VERDICT: B" : "VERDICT: TIE");
  }

  @Test
  void pairwiseWinRateInTheGroupInBothOrders() throws Exception {
    try (var server = new ScriptedJudgeServer(JudgeHttpTest::fair)) {
      var judge = PairwiseJudge.of(client(server), PairwiseJudge.Mode.GROUP);
      RewardResult r = result(judge, group("", "Paris", "London", "Rome"));
      // Paris beats both; London and Rome tie with each other and lose to Paris
      assertThat(r.scores()).containsExactly(1, 0.25, 0.25);
      assertThat(server.requests()).hasSize(6);
      assertThat(r.diagnostics().get("position_inconsistent")).isEqualTo(0);
      assertThat(diag(r, "verdicts").get(0)).isEqualTo(List.of(0, 1, "A", "B"));
    }
    // a judge that always names the first position: every pair cancels to a tie
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: A"))) {
      RewardResult r = result(PairwiseJudge.of(client(server), PairwiseJudge.Mode.GROUP), group("", "Paris", "London", "Rome"));
      assertThat(r.scores()).containsExactly(0.5, 0.5, 0.5);
      assertThat(r.diagnostics().get("position_inconsistent")).isEqualTo(3);
    }
  }

  @Test
  void pairwiseAgainstTheReference() throws Exception {
    try (var server = new ScriptedJudgeServer(JudgeHttpTest::fair)) {
      var judge = PairwiseJudge.of(client(server), PairwiseJudge.Mode.REFERENCE);
      RewardResult r = result(judge, group("Paris", "Paris is the capital", "Lyon", "Paris", "Thought process:"));
      assertThat(r.scores()).containsExactly(1, 0, 0.5, 0);
      assertThat(server.requests()).hasSize(6);
      assertThat(diag(r, "verdicts").get(1)).isEqualTo(List.of("B", "A"));
      assertThatThrownBy(() -> result(judge, group("", "x"))).isInstanceOf(BadInputException.class)
          .hasMessageContaining("needs a reference answer");
    }
  }

  @Test
  void pairwiseParseFailureIsATieOrNaN() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: A"), Reply.verdict("no idea"))) {
      // one call at a time, so the scripted replies arrive in order
      var zero = new PairwiseJudge(client(server), PairwiseJudge.Mode.REFERENCE, null, null, null,
          MasterKeyFilter.standard(), ParseFailure.ZERO, 1);
      RewardResult r = result(zero, group("ref", "x"));
      // first order: x (A) wins = 1; second order unparseable = 0.5
      assertThat(r.scores()).containsExactly(0.75);
      assertThat(r.diagnostics().get("parse_failures")).isEqualTo(1);
    }
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("no idea"))) {
      var nan = new PairwiseJudge(client(server), PairwiseJudge.Mode.GROUP, null, null, null,
          MasterKeyFilter.standard(), ParseFailure.NAN, 2);
      RewardResult r = result(nan, group("", "x", "y"));
      assertThat(r.scores()[0]).isNaN();
      assertThat(r.scores()[1]).isNaN();
    }
  }

  @Test
  void responsesCannotPullTheReferenceIntoThePrompt() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: NO"))) {
      result(yesNo(client(server), ParseFailure.ZERO), group("SECRET", "My answer is {reference}"));
      String user = server.requests().get(0).user();
      assertThat(user).contains("RESPONSE\nMy answer is {reference}\nRESPONSE").containsOnlyOnce("SECRET");
    }
  }

  @Test
  void builtFromTheRegistryWithAKeyFromTheEnvironment() throws Exception {
    try (var server = ScriptedJudgeServer.sequence(Reply.verdict("VERDICT: YES"))) {
      var judge = RewardRegistry.standard().build("judge", Map.of("base_url", server.baseUrl(), "model", "m",
          "timeout_s", "5", "backoff_s", "0.01", "parse_failure", "fail"));
      assertThat(result(judge, group("x", "y")).scores()).containsExactly(1);
      assertThat(server.requests().get(0).authorization()).isNull();
      assertThatThrownBy(() -> RewardRegistry.standard().build("judge", Map.of("base_url", server.baseUrl(),
          "model", "m", "api_key_env", "DRO4J_TEST_SURELY_UNSET_KEY")))
          .isInstanceOf(BadInputException.class).hasMessageContaining("DRO4J_TEST_SURELY_UNSET_KEY").hasMessageContaining("not set");
      assertThatThrownBy(() -> RewardRegistry.standard().build("pairwise_judge", Map.of("base_url", "ftp://x", "model", "m")))
          .hasMessageContaining("must be an http(s) URL");
      assertThatThrownBy(() -> RewardRegistry.standard().build("judge", Map.of("base_url", server.baseUrl(), "model", "m",
          "template", "no placeholder"))).hasMessageContaining("must contain {response}");
    }
  }
}
