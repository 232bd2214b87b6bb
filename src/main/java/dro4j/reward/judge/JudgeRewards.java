package dro4j.reward.judge;

import static dro4j.reward.RewardRegistry.Param.optional;
import static dro4j.reward.RewardRegistry.Param.required;

import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardRegistry.Param;
import dro4j.reward.RewardRegistry.Params;
import dro4j.reward.RewardRegistry.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Registers the judge rewards in a {@link RewardRegistry}. */
public final class JudgeRewards {
  private JudgeRewards() {}

  /** Adds judge (pointwise) and pairwise_judge. */
  public static void register(RewardRegistry registry) {
    List<Param> pointwise = new ArrayList<>(List.of(
        optional("mode", Type.STRING, "yes_no", "yes_no: VERDICT YES/NO gives 1/0; score: SCORE n gives n/max_score")
            .choices("yes_no", "score"),
        optional("max_score", Type.INTEGER, 10, "top of the score scale")));
    pointwise.addAll(common());
    registry.register(new RewardRegistry.Entry("judge",
        "Pointwise LLM-as-judge over an OpenAI-compatible chat API: a yes/no verdict or a 0..max_score"
            + " score of each response against the question and reference. Master-key responses (blank,"
            + " punctuation only, openers such as \"Let's solve this step by step.\"; Zhao et al. 2025,"
            + " arXiv 2507.08794) get 0 without a call.",
        pointwise, false, JudgeRewards::pointwise));
    List<Param> pairwise = new ArrayList<>(List.of(
        optional("mode", Type.STRING, "group", "group: win rate against the other rollouts; reference: against the reference answer")
            .choices("group", "reference")));
    pairwise.addAll(common());
    registry.register(new RewardRegistry.Entry("pairwise_judge",
        "Pairwise LLM-as-judge: A-vs-B preferences asked in both orders (cancels position bias), as the"
            + " win rate in the group or against the reference. Master-key responses get 0.",
        pairwise, false, JudgeRewards::pairwise));
  }

  private static PointwiseJudge pointwise(Params p) {
    return new PointwiseJudge(client(p), PointwiseJudge.Mode.valueOf(p.string("mode").toUpperCase(Locale.ROOT)),
        p.integer("max_score"), p.string("system"), p.string("template"), p.string("prompt_field"), filter(p),
        ParseFailure.parse(p.string("parse_failure")), p.integer("parallelism"));
  }

  private static PairwiseJudge pairwise(Params p) {
    return new PairwiseJudge(client(p), PairwiseJudge.Mode.valueOf(p.string("mode").toUpperCase(Locale.ROOT)),
        p.string("system"), p.string("template"), p.string("prompt_field"), filter(p),
        ParseFailure.parse(p.string("parse_failure")), p.integer("parallelism"));
  }

  private static ChatClient client(Params p) {
    return new OpenAiChatClient(new ChatEndpoint(p.string("base_url"), p.string("model"), p.string("api_key_env"),
        seconds(p.number("timeout_s")), p.integer("max_retries"), seconds(p.number("backoff_s")),
        p.number("temperature"), p.optionalInteger("max_tokens")));
  }

  private static MasterKeyFilter filter(Params p) {
    List<String> openers = p.strings("openers");
    return new MasterKeyFilter(p.integer("min_content_chars"), p.bool("require_answer"),
        openers != null ? openers : MasterKeyFilter.DEFAULT_OPENERS);
  }

  private static Duration seconds(double s) {
    return Duration.ofNanos(Math.round(s * 1e9));
  }

  private static List<Param> common() {
    return List.of(
        required("base_url", Type.STRING, "API base URL with its version, e.g. http://127.0.0.1:8000/v1"),
        required("model", Type.STRING, "judge model name"),
        optional("api_key_env", Type.STRING, null, "environment variable holding the API key (unset: no key)"),
        optional("timeout_s", Type.NUMBER, 60.0, "limit for one request, seconds"),
        optional("max_retries", Type.INTEGER, 3, "retries on 429, 5xx, timeouts and connection errors"),
        optional("backoff_s", Type.NUMBER, 1.0, "first retry wait, doubled each retry (Retry-After honoured)"),
        optional("temperature", Type.NUMBER, 0.0, "judge sampling temperature"),
        optional("max_tokens", Type.INTEGER, null, "max_tokens of each request (unset: server default)"),
        optional("parse_failure", Type.STRING, "zero", "an unparseable verdict scores 0 (pairwise: a tie), NaN, or fails")
            .choices("zero", "nan", "fail"),
        optional("parallelism", Type.INTEGER, 4, "concurrent requests"),
        optional("prompt_field", Type.STRING, "prompt", "example field with the question (absent: all fields)"),
        optional("system", Type.STRING, null, "system prompt (unset: the hardened default)"),
        optional("template", Type.STRING, null, "user prompt template with {prompt}, {reference}, {response}"
            + " or {response_a}, {response_b} (unset: the default)"),
        optional("min_content_chars", Type.INTEGER, 1, "least letters/digits outside generic openers"),
        optional("require_answer", Type.BOOLEAN, false, "refuse responses with no extractable answer (numeric tasks)"),
        optional("openers", Type.STRING_LIST, null, "generic openers that earn nothing (unset: the One Token to Fool list)"));
  }
}
