package dro4j.reward.judge;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Pointwise LLM-as-judge: each response is shown to a judge model with the question and the
 * reference answer (the generative-verifier setup of RLVR with judges that Zhao et al. 2025, arXiv
 * 2507.08794, attack), and its verdict is the reward: {@link Mode#YES_NO} gives 1 for {@code
 * VERDICT: YES} and 0 for NO; {@link Mode#SCORE} gives n / maxScore for {@code SCORE: n}.
 *
 * <p>Master-key responses ({@link MasterKeyFilter}) get 0 without a call. A reply without a
 * verdict in the strict format ({@link Verdicts}) is handled by the {@link ParseFailure} policy.
 * Calls for all rollouts of all groups run {@code parallelism} at a time. Diagnostics: {@code
 * verdicts} (each raw reply, null when filtered), {@code filtered} (the filter's reason, or null)
 * and {@code parse_failures} (a count).
 *
 * @param client the judge model
 * @param mode yes/no or score
 * @param maxScore the top of the score scale (default 10)
 * @param system the system prompt ({@code {max_score}} is filled in)
 * @param template the user prompt, with {@code {response}} and optionally {@code {prompt}}, {@code
 *     {reference}}
 * @param promptField the example field holding the question (see {@link JudgePrompts#promptText})
 * @param filter the master-key pre-filter
 * @param onParseFailure what an unparseable verdict scores
 * @param parallelism how many calls run at once
 */
public record PointwiseJudge(
    ChatClient client, Mode mode, int maxScore, String system, String template, String promptField,
    MasterKeyFilter filter, ParseFailure onParseFailure, int parallelism) implements Reward {

  /** What the judge returns. */
  public enum Mode {
    /** VERDICT: YES or NO, reward 1 or 0. */
    YES_NO,
    /** SCORE: n, reward n / maxScore. */
    SCORE
  }

  /** Checks the arguments; a null system prompt, template or prompt field takes the default. */
  public PointwiseJudge {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(onParseFailure, "onParseFailure");
    if (maxScore < 1) {
      throw new BadInputException("judge: max_score must be >= 1, got " + maxScore);
    }
    if (parallelism < 1) {
      throw new BadInputException("judge: parallelism must be >= 1, got " + parallelism);
    }
    if (system == null) {
      system = mode == Mode.YES_NO ? JudgePrompts.YES_NO_SYSTEM : JudgePrompts.SCORE_SYSTEM;
    }
    if (template == null) {
      template = JudgePrompts.POINTWISE_TEMPLATE;
    }
    JudgePrompts.require("template", template, "response");
    if (promptField == null) {
      promptField = "prompt";
    }
  }

  /** A yes/no judge with the default prompts, filter and policy (score 0), 4 calls at a time. */
  public static PointwiseJudge yesNo(ChatClient client) {
    return new PointwiseJudge(client, Mode.YES_NO, 10, null, null, null, MasterKeyFilter.standard(), ParseFailure.ZERO, 4);
  }

  @Override
  public String name() {
    return "judge";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    String systemPrompt = system.replace("{max_score}", String.valueOf(maxScore));
    List<String[]> prompts = new ArrayList<>();
    List<List<String>> reasons = new ArrayList<>();
    for (RolloutGroup g : groups) {
      List<String> groupReasons = new ArrayList<>();
      for (var rollout : g.rollouts()) {
        String reason = filter.reject(rollout.text()).orElse(null);
        groupReasons.add(reason);
        if (reason == null) {
          prompts.add(new String[] {systemPrompt, JudgePrompts.fill(template, Map.of(
              "prompt", JudgePrompts.promptText(g.example(), promptField),
              "reference", JudgePrompts.referenceText(g.example()),
              "response", rollout.text()))});
        }
      }
      reasons.add(groupReasons);
    }
    List<String> replies = JudgeCalls.run(client, prompts, parallelism);
    int next = 0;
    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      double[] scores = new double[groups.get(g).size()];
      List<String> verdicts = new ArrayList<>();
      int failures = 0;
      for (int i = 0; i < scores.length; i++) {
        if (reasons.get(g).get(i) != null) {
          verdicts.add(null);
          continue; // master key: 0
        }
        String reply = replies.get(next++);
        verdicts.add(reply);
        OptionalDouble s = parse(reply);
        if (s.isPresent()) {
          scores[i] = s.getAsDouble();
        } else {
          failures++;
          scores[i] = switch (onParseFailure) {
            case ZERO -> 0.0;
            case NAN -> Double.NaN;
            case FAIL -> throw new JudgeException("judge reply has no verdict in the required format"
                + " (example " + groups.get(g).example().id() + ", rollout " + i + "): " + reply);
          };
        }
      }
      Map<String, Object> diagnostics = new LinkedHashMap<>();
      diagnostics.put("verdicts", verdicts);
      diagnostics.put("filtered", Arrays.asList(reasons.get(g).toArray()));
      diagnostics.put("parse_failures", failures);
      out.add(new RewardResult(scores, diagnostics));
    }
    return out;
  }

  private OptionalDouble parse(String reply) {
    if (mode == Mode.YES_NO) {
      return Verdicts.yesNo(reply).map(yes -> OptionalDouble.of(yes ? 1.0 : 0.0)).orElse(OptionalDouble.empty());
    }
    OptionalDouble n = Verdicts.score(reply, maxScore);
    return n.isPresent() ? OptionalDouble.of(n.getAsDouble() / maxScore) : n;
  }
}
