package dro4j.reward.judge;

import dro4j.BadInputException;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Pairwise LLM-as-judge: the judge sees two responses and names the better one ({@code VERDICT:
 * A}, {@code B} or {@code TIE}). Every comparison is asked in both orders and averaged, which
 * cancels the judge's position bias (Zheng et al. 2023, "Judging LLM-as-a-Judge with MT-Bench and
 * Chatbot Arena", arXiv 2306.05685, swap positions): with s = 1 for a win, 0.5 for a tie, 0 for a
 * loss,
 *
 * <pre>  p(i beats j) = (s(i shown first vs j) + s(i shown second vs j)) / 2</pre>
 *
 * <ul>
 *   <li>{@link Mode#GROUP}: the reward of rollout i is its win rate in the group, mean over j != i of
 *       p(i beats j) (G(G-1) calls for G rollouts; G must be at least 2);
 *   <li>{@link Mode#REFERENCE}: the reward is p(i beats the reference answer) (2 calls per rollout).
 * </ul>
 *
 * Master-key responses ({@link MasterKeyFilter}) score 0 and are not shown to the judge: in a group
 * any other response beats them, and two of them tie. An unparseable verdict follows {@link
 * ParseFailure}: ZERO counts that order as a tie, NAN makes both responses' rewards NaN, FAIL throws.
 * Diagnostics: {@code filtered}, {@code verdicts} (the two parsed verdicts of each comparison, null
 * when unparseable; GROUP: entries {@code [i, j, first, second]} with i shown first in the first
 * order), {@code parse_failures} and {@code position_inconsistent} (comparisons whose two orders
 * named the same position, A-A or B-B: the judge chose a position, not a response).
 *
 * @param client the judge model
 * @param mode win rate within the group or against the reference
 * @param system the system prompt
 * @param template the user prompt with {@code {response_a}}, {@code {response_b}} and optionally
 *     {@code {prompt}}, {@code {reference}}
 * @param promptField the example field holding the question
 * @param filter the master-key pre-filter
 * @param onParseFailure what an unparseable verdict counts as
 * @param parallelism how many calls run at once
 */
public record PairwiseJudge(
    ChatClient client, Mode mode, String system, String template, String promptField, MasterKeyFilter filter,
    ParseFailure onParseFailure, int parallelism) implements Reward {

  /** Who the rollouts are compared with. */
  public enum Mode {
    /** Each other: the reward is the win rate in the group. */
    GROUP,
    /** The reference answer: the reward is the probability of beating it. */
    REFERENCE
  }

  /** Checks the arguments; a null system prompt, template or prompt field takes the default. */
  public PairwiseJudge {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(onParseFailure, "onParseFailure");
    if (parallelism < 1) {
      throw new BadInputException("pairwise_judge: parallelism must be >= 1, got " + parallelism);
    }
    if (system == null) {
      system = JudgePrompts.PAIRWISE_SYSTEM;
    }
    if (template == null) {
      template = JudgePrompts.PAIRWISE_TEMPLATE;
    }
    JudgePrompts.require("template", template, "response_a", "response_b");
    if (promptField == null) {
      promptField = "prompt";
    }
  }

  /** A judge with the default prompts, filter and policy, 4 calls at a time. */
  public static PairwiseJudge of(ChatClient client, Mode mode) {
    return new PairwiseJudge(client, mode, null, null, null, MasterKeyFilter.standard(), ParseFailure.ZERO, 4);
  }

  @Override
  public String name() {
    return "pairwise_judge";
  }

  /** One comparison in both orders: rollout i against rollout j, or against the reference (j = -1). */
  private record Pair(int group, int i, int j) {}

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    List<Pair> pairs = new ArrayList<>();
    List<String[]> prompts = new ArrayList<>();
    List<List<String>> reasons = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      RolloutGroup group = groups.get(g);
      List<String> r = group.rollouts().stream().map(x -> filter.reject(x.text()).orElse(null)).toList();
      reasons.add(r);
      if (mode == Mode.GROUP && group.size() < 2) {
        throw new BadInputException("pairwise_judge in group mode needs at least 2 rollouts per prompt (example "
            + group.example().id() + " has " + group.size() + "); use mode reference");
      }
      if (mode == Mode.REFERENCE && group.reference().isBlank()) {
        throw new BadInputException("pairwise_judge in reference mode needs a reference answer (example "
            + group.example().id() + " has none)");
      }
      for (int i = 0; i < group.size(); i++) {
        if (r.get(i) != null) {
          continue;
        }
        if (mode == Mode.REFERENCE) {
          addPair(pairs, prompts, group, new Pair(g, i, -1));
        } else {
          for (int j = i + 1; j < group.size(); j++) {
            if (r.get(j) == null) {
              addPair(pairs, prompts, group, new Pair(g, i, j));
            }
          }
        }
      }
    }
    List<String> replies = JudgeCalls.run(client, prompts, parallelism);

    // p[g][i][j] = p(i beats j); j = size is the reference
    double[][][] p = new double[groups.size()][][];
    List<List<Object>> verdicts = new ArrayList<>();
    int[] failures = new int[groups.size()];
    int[] inconsistent = new int[groups.size()];
    for (int g = 0; g < groups.size(); g++) {
      int n = groups.get(g).size();
      p[g] = new double[n][n + 1];
      verdicts.add(new ArrayList<>(mode == Mode.REFERENCE ? Collections.nCopies(n, null) : List.of()));
    }
    for (int k = 0; k < pairs.size(); k++) {
      Pair pair = pairs.get(k);
      Optional<Verdicts.Preference> first = Verdicts.preference(replies.get(2 * k));
      Optional<Verdicts.Preference> second = Verdicts.preference(replies.get(2 * k + 1));
      failures[pair.group()] += (first.isEmpty() ? 1 : 0) + (second.isEmpty() ? 1 : 0);
      if (first.isPresent() && first.equals(second) && first.get() != Verdicts.Preference.TIE) {
        inconsistent[pair.group()]++;
      }
      // i is A in the first order and B in the second
      double win = (outcome(first, Verdicts.Preference.A, pair, replies.get(2 * k))
          + outcome(second, Verdicts.Preference.B, pair, replies.get(2 * k + 1))) / 2;
      int j = pair.j() < 0 ? groups.get(pair.group()).size() : pair.j();
      p[pair.group()][pair.i()][j] = win;
      if (pair.j() >= 0) {
        p[pair.group()][j][pair.i()] = 1 - win;
      }
      String v1 = first.map(Enum::name).orElse(null);
      String v2 = second.map(Enum::name).orElse(null);
      if (mode == Mode.REFERENCE) {
        verdicts.get(pair.group()).set(pair.i(), Arrays.asList(v1, v2));
      } else {
        verdicts.get(pair.group()).add(Arrays.asList(pair.i(), pair.j(), v1, v2));
      }
    }

    List<RewardResult> out = new ArrayList<>(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      List<String> r = reasons.get(g);
      int n = groups.get(g).size();
      double[] scores = new double[n];
      for (int i = 0; i < n; i++) {
        if (r.get(i) != null) {
          continue; // master key: 0
        }
        if (mode == Mode.REFERENCE) {
          scores[i] = p[g][i][n];
        } else {
          double sum = 0;
          for (int j = 0; j < n; j++) {
            if (j != i) {
              sum += r.get(j) != null ? 1.0 : p[g][i][j]; // a filtered response always loses
            }
          }
          scores[i] = sum / (n - 1);
        }
      }
      Map<String, Object> diagnostics = new LinkedHashMap<>();
      diagnostics.put("filtered", Arrays.asList(r.toArray()));
      diagnostics.put("verdicts", verdicts.get(g));
      diagnostics.put("parse_failures", failures[g]);
      diagnostics.put("position_inconsistent", inconsistent[g]);
      out.add(new RewardResult(scores, diagnostics));
    }
    return out;
  }

  private void addPair(List<Pair> pairs, List<String[]> prompts, RolloutGroup group, Pair pair) {
    String question = JudgePrompts.promptText(group.example(), promptField);
    String reference = JudgePrompts.referenceText(group.example());
    String a = group.rollouts().get(pair.i()).text();
    String b = pair.j() < 0 ? group.reference() : group.rollouts().get(pair.j()).text();
    pairs.add(pair);
    prompts.add(new String[] {system, JudgePrompts.fill(template,
        Map.of("prompt", question, "reference", reference, "response_a", a, "response_b", b))});
    prompts.add(new String[] {system, JudgePrompts.fill(template,
        Map.of("prompt", question, "reference", reference, "response_a", b, "response_b", a))});
  }

  /** 1, 0.5 or 0 for rollout i, which was shown at position {@code mine}; failures per the policy. */
  private double outcome(Optional<Verdicts.Preference> verdict, Verdicts.Preference mine, Pair pair, String reply) {
    if (verdict.isEmpty()) {
      return switch (onParseFailure) {
        case ZERO -> 0.5;
        case NAN -> Double.NaN;
        case FAIL -> throw new JudgeException("pairwise judge reply has no verdict in the required format"
            + " (rollout " + pair.i() + (pair.j() < 0 ? " vs the reference" : " vs rollout " + pair.j()) + "): " + reply);
      };
    }
    return verdict.get() == Verdicts.Preference.TIE ? 0.5 : verdict.get() == mine ? 1.0 : 0.0;
  }
}
