package dro4j.data.filter;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplate;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.reward.ReasoningSplit;
import dro4j.reward.RewardContext;
import dro4j.reward.Rollout;
import dro4j.reward.RolloutGroup;
import dro4j.reward.likelihood.ReferenceScorer;
import dro4j.reward.likelihood.ScoringOptions;
import dro4j.reward.likelihood.ScoringPolicy;
import dro4j.score.TokenScores;
import dro4j.task.PromptRenderer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Runs R3-based dynamic data filtering (DRO, Xu et al. 2025, arXiv 2506.13351, section 3.3) with a
 * model: the thin loop around the pure {@link PromptStatistics} and {@link DynamicFilter}.
 *
 * <p>For each candidate example: build its prompt through the task path ({@link PromptRenderer} with
 * {@link Options#template()} and {@link Options#maxPromptLength()}, the code {@code train} and {@code
 * eval} use); sample N =
 * {@link FilterConfig#samplesPerPrompt()} reasonings with the current policy, several prompts per
 * {@link LanguageModel#generate} call, keeping the KV cache; split each sample with {@link
 * ScoringOptions#split()}; score the reference answer after each reasoning from the generation's cache
 * ({@link ReferenceScorer#scoreAfterReasoning}, the very call R3 makes, so tokenization of the
 * reference, answer prefix and contexts are R3's); compute the ranks and sigma statistics; then decide
 * with {@link DynamicFilter#apply}.
 *
 * <p><b>Split fallback.</b> A sample in which the split rule never matches (it ran out of tokens before
 * {@code </think>}, or the template asks for no reasoning format) counts as all reasoning: the
 * reference is scored right where the sample stopped, trailing EOS removed (R3's default, {@link
 * ReasoningSplit.Fallback#WHOLE_IS_REASONING}). {@link Result#samplesWithSplit()} says how often the
 * rule matched.
 *
 * <p><b>Seeds.</b> Round r samples prompt batch b with seed {@link #samplingSeed(long, long, int)
 * samplingSeed(config.seed, r, first prompt of b)} and draws the carry-forward share with {@link
 * #roundSeed(long, long) roundSeed(config.seed, r)}: a run is reproducible, rounds differ, and
 * the same candidates filtered with another {@link Options#promptsPerCall()} sample differently (a
 * sample's random stream follows its row in the batch).
 */
public final class FilterRunner {
  /** Default reasoning budget in new tokens per sample. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;
  /** Default number of prompts sampled together in one generate call. */
  public static final int DEFAULT_PROMPTS_PER_CALL = 8;

  /**
   * How prompts are built, sampled and scored.
   *
   * @param template builds each example's prompt
   * @param sampling how reasonings are sampled; its {@code numReturnSequences} and {@code seed} are
   *     replaced by the runner (N and the derived seed)
   * @param scoring the split rule, answer prefix and scoring temperature; the policy must be {@link
   *     ScoringPolicy#current()}: the filter scores with the model that sampled, from its KV cache
   * @param promptsPerCall prompts sampled in one generate call ({@code promptsPerCall * N} rows), &gt;= 1
   * @param maxPromptLength prompts are cut to their last this many tokens, as in training; null for never
   * @param chatTemplateKwargs extra chat template variables ({@code chat_template_kwargs}), as in training
   */
  public record Options(PromptTemplate template, SamplingParams sampling, ScoringOptions scoring, int promptsPerCall,
      Integer maxPromptLength, Map<String, Object> chatTemplateKwargs) {

    /** Validates the settings. */
    public Options {
      Objects.requireNonNull(template, "template");
      Objects.requireNonNull(sampling, "sampling");
      Objects.requireNonNull(scoring, "scoring");
      if (scoring.policy().kind() != ScoringPolicy.Kind.CURRENT) {
        throw new BadInputException("the filter scores with the policy that sampled (scoring policy current), got "
            + scoring.policy());
      }
      if (promptsPerCall < 1) {
        throw new BadInputException("prompts per generate call must be >= 1, got " + promptsPerCall);
      }
      chatTemplateKwargs = chatTemplateKwargs == null ? Map.of()
          : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(chatTemplateKwargs));
    }

    /**
     * The defaults for {@code template}: DRO's sampling recipe (temperature 1.0, top-p 0.95) with
     * {@link #DEFAULT_MAX_NEW_TOKENS} new tokens and, when the template has a reasoning end such as
     * {@code </think>}, that text as a stop string (only the reasoning is needed) and as the split rule;
     * without one, every sample is all reasoning. Answer prefix empty, scoring temperature 1, {@link
     * #DEFAULT_PROMPTS_PER_CALL} prompts per call, prompts cut to {@link PromptRenderer#DEFAULT_MAX_PROMPT_LENGTH} tokens.
     */
    public static Options of(PromptTemplate template) {
      SamplingParams sampling = SamplingParams.defaults().withTopP(0.95).withMaxNewTokens(DEFAULT_MAX_NEW_TOKENS);
      ReasoningSplit split = ReasoningSplit.wholeRollout();
      if (template.reasoningEnd() != null && !template.reasoningEnd().isEmpty()) {
        sampling = sampling.withStopStrings(List.of(template.reasoningEnd()));
        split = ReasoningSplit.closingTag(template.reasoningEnd());
      }
      return new Options(template, sampling, ScoringOptions.defaults().withSplit(split), DEFAULT_PROMPTS_PER_CALL,
          PromptRenderer.DEFAULT_MAX_PROMPT_LENGTH, null);
    }

    /** A copy with {@code sampling} replaced. */
    public Options withSampling(SamplingParams v) {
      return new Options(template, v, scoring, promptsPerCall, maxPromptLength, chatTemplateKwargs);
    }

    /** A copy with {@code scoring} replaced. */
    public Options withScoring(ScoringOptions v) {
      return new Options(template, sampling, v, promptsPerCall, maxPromptLength, chatTemplateKwargs);
    }

    /** A copy with {@code promptsPerCall} replaced. */
    public Options withPromptsPerCall(int v) {
      return new Options(template, sampling, scoring, v, maxPromptLength, chatTemplateKwargs);
    }

    /** A copy with {@code chatTemplateKwargs} replaced. */
    public Options withChatTemplateKwargs(Map<String, Object> v) {
      return new Options(template, sampling, scoring, promptsPerCall, maxPromptLength, v);
    }

    /** A copy with {@code maxPromptLength} replaced. */
    public Options withMaxPromptLength(Integer v) {
      return new Options(template, sampling, scoring, promptsPerCall, v, chatTemplateKwargs);
    }
  }

  /**
   * A filter round with what it sampled.
   *
   * @param round the decisions and the new training set
   * @param samples reasonings sampled (candidates times N)
   * @param samplesWithSplit of those, the ones in which the split rule matched
   * @param truncatedPrompts prompts cut to {@link Options#maxPromptLength()}
   */
  public record Result(DynamicFilter.Round round, int samples, int samplesWithSplit, long truncatedPrompts) {}

  private final FilterConfig config;
  private final Options options;

  /** A runner with the filter's thresholds and the prompt, sampling and scoring settings. */
  public FilterRunner(FilterConfig config, Options options) {
    this.config = Objects.requireNonNull(config, "config");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The {@code config} setting. */
  public FilterConfig config() {
    return config;
  }

  /** The {@code options} setting. */
  public Options options() {
    return options;
  }

  /**
   * Filters {@code candidates} with {@code policy} and carries part of {@code previous} (the last
   * round's training set; empty before training) forward.
   */
  public Result run(LanguageModel policy, List<Example> candidates, List<Example> previous, long round) {
    return run(policy, candidates, previous, round, null);
  }

  /**
   * {@link #run(LanguageModel, List, List, long)}, telling {@code progress} (may be null) the number of
   * candidates scored after each batch of {@code prompts_per_call}.
   */
  public Result run(LanguageModel policy, List<Example> candidates, List<Example> previous, long round,
      IntConsumer progress) {
    PromptRenderer renderer = prompts(policy);
    List<PromptStatistics> statistics = new ArrayList<>(candidates.size());
    int samples = 0;
    int withSplit = 0;
    int n = config.samplesPerPrompt();
    for (int start = 0; start < candidates.size(); start += options.promptsPerCall()) {
      List<Example> batch = candidates.subList(start, Math.min(candidates.size(), start + options.promptsPerCall()));
      List<int[]> prompts = new ArrayList<>(batch.size());
      for (Example e : batch) {
        prompts.add(renderer.ids(e));
      }
      SamplingParams params = options.sampling().withNumReturnSequences(n).withSeed(samplingSeed(config.seed(), round, start));
      try (Generation g = policy.generate(prompts, params, true)) {
        List<RolloutGroup> groups = new ArrayList<>(batch.size());
        for (int p = 0; p < batch.size(); p++) {
          List<Rollout> rollouts = new ArrayList<>(n);
          for (int j = 0; j < n; j++) {
            int row = p * n + j; // Generation's layout: prompt p owns rows p*n .. p*n+n-1
            rollouts.add(Rollout.of(g.completions().get(row), row));
          }
          groups.add(new RolloutGroup(batch.get(p), prompts.get(p), rollouts));
        }
        ReferenceScorer.Batch scored =
            ReferenceScorer.scoreAfterReasoning(groups, new RewardContext(policy, null, g, 0), options.scoring());
        for (int p = 0; p < batch.size(); p++) {
          ReferenceScorer.GroupScores gs = scored.groups().get(p);
          statistics.add(statistics(batch.get(p).id(), gs, config.worstRankFraction()));
          samples += gs.splits().size();
          withSplit += (int) gs.splits().stream().filter(ReasoningSplit.Split::found).count();
        }
      }
      if (progress != null) progress.accept(statistics.size());
    }
    FilterConfig roundConfig = new FilterConfig(config.samplesPerPrompt(), config.worstRankFraction(),
        config.rankThreshold(), config.lowVariationDropFraction(), config.carryForwardFraction(),
        config.filterEverySteps(), roundSeed(config.seed(), round));
    return new Result(DynamicFilter.apply(candidates, statistics, previous, roundConfig), samples, withSplit,
        renderer.truncated());
  }

  /** The prompt path of this runner for {@code policy}: {@link Options#template()}, cut to {@link Options#maxPromptLength()}. */
  public PromptRenderer prompts(LanguageModel policy) {
    return new PromptRenderer(policy, options.template(), options.maxPromptLength(), options.chatTemplateKwargs());
  }

  /**
   * The trainer's hook: re-filters {@code candidates} with the {@code current} policy in round {@code
   * round} (1, 2, ... every {@link FilterConfig#filterEverySteps()} steps; see {@link #due}), carrying
   * part of {@code previous} forward.
   */
  public DynamicFilter.Round refilter(LanguageModel current, List<Example> candidates, List<Example> previous, long round) {
    return run(current, candidates, previous, round).round();
  }

  /** Whether training step {@code step} (counted from 1) ends with a refilter: every {@code filterEverySteps}. */
  public boolean due(long step) {
    return config.filterEverySteps() > 0 && step > 0 && step % config.filterEverySteps() == 0;
  }

  /** The statistics of one prompt from the reference's scores after each of its samples. */
  public static PromptStatistics statistics(String exampleId, ReferenceScorer.GroupScores scores, double worstRankFraction) {
    List<TokenScores> s = scores.scores();
    int[][] ranks = new int[s.size()][];
    float[][] logprobs = new float[s.size()][];
    for (int i = 0; i < ranks.length; i++) {
      ranks[i] = s.get(i).ranks();
      logprobs[i] = s.get(i).logprobs();
    }
    return PromptStatistics.of(exampleId, ranks, logprobs, worstRankFraction);
  }

  /** The seed of round {@code round}'s carry-forward draw. */
  public static long roundSeed(long seed, long round) {
    return new SplittableRandom(new SplittableRandom(seed).nextLong() ^ round).nextLong();
  }

  /** The sampling seed of the batch starting at candidate {@code firstPrompt} in round {@code round}. */
  public static long samplingSeed(long seed, long round, int firstPrompt) {
    return new SplittableRandom(roundSeed(seed, round) + firstPrompt).nextLong();
  }
}
