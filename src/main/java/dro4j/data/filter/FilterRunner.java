package dro4j.data.filter;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplate;
import dro4j.generate.Generation;
import dro4j.generate.Generator;
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
 * {@link FilterConfig#samplesPerPrompt()} reasonings with the current policy, the example's group as
 * its own {@link LanguageModel#generate} call, keeping the KV cache; split each sample with {@link
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
 * <p><b>Seeds.</b> Round r samples example e with seed {@link #exampleSeed(long, long, String)
 * exampleSeed(config.seed, r, e's id)} and draws the carry-forward share with {@link
 * #roundSeed(long, long) roundSeed(config.seed, r)}: a run is reproducible, rounds differ, and an
 * example's samples and statistics do not depend on which other examples are filtered, in what order,
 * or where ({@link #score} is the unit a distributed run partitions).
 */
public final class FilterRunner {
  /** Default reasoning budget in new tokens per sample. */
  public static final int DEFAULT_MAX_NEW_TOKENS = 256;

  /**
   * How prompts are built, sampled and scored.
   *
   * @param template builds each example's prompt
   * @param sampling how reasonings are sampled; its {@code numReturnSequences} and {@code seed} are
   *     replaced by the runner (N and the derived seed)
   * @param scoring the split rule, answer prefix and scoring temperature; the policy must be {@link
   *     ScoringPolicy#current()}: the filter scores with the model that sampled, from its KV cache
   * @param maxPromptLength prompts are cut to their last this many tokens, as in training; null for never
   * @param chatTemplateKwargs extra chat template variables ({@code chat_template_kwargs}), as in training
   */
  public record Options(PromptTemplate template, SamplingParams sampling, ScoringOptions scoring,
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
      chatTemplateKwargs = chatTemplateKwargs == null ? Map.of()
          : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(chatTemplateKwargs));
    }

    /**
     * The defaults for {@code template}: DRO's sampling recipe (temperature 1.0, top-p 0.95) with
     * {@link #DEFAULT_MAX_NEW_TOKENS} new tokens and, when the template has a reasoning end such as
     * {@code </think>}, that text as a stop string (only the reasoning is needed) and as the split rule;
     * without one, every sample is all reasoning. Answer prefix empty, scoring temperature 1, prompts
     * cut to {@link PromptRenderer#DEFAULT_MAX_PROMPT_LENGTH} tokens.
     */
    public static Options of(PromptTemplate template) {
      SamplingParams sampling = SamplingParams.defaults().withTopP(0.95).withMaxNewTokens(DEFAULT_MAX_NEW_TOKENS);
      ReasoningSplit split = ReasoningSplit.wholeRollout();
      if (template.reasoningEnd() != null && !template.reasoningEnd().isEmpty()) {
        sampling = sampling.withStopStrings(List.of(template.reasoningEnd()));
        split = ReasoningSplit.closingTag(template.reasoningEnd());
      }
      return new Options(template, sampling, ScoringOptions.defaults().withSplit(split),
          PromptRenderer.DEFAULT_MAX_PROMPT_LENGTH, null);
    }

    /**
     * The options {@code dro4j filter} runs with: {@link #of(PromptTemplate) the defaults} for {@code
     * template} with {@code maxNewTokens} new tokens per sample and prompts cut to {@code
     * maxPromptLength} tokens (null: never).
     */
    public static Options of(PromptTemplate template, int maxNewTokens, Integer maxPromptLength) {
      Options o = of(template).withMaxPromptLength(maxPromptLength);
      return o.withSampling(o.sampling().withMaxNewTokens(maxNewTokens));
    }

    /** A copy with {@code sampling} replaced. */
    public Options withSampling(SamplingParams v) {
      return new Options(template, v, scoring, maxPromptLength, chatTemplateKwargs);
    }

    /** A copy with {@code scoring} replaced. */
    public Options withScoring(ScoringOptions v) {
      return new Options(template, sampling, v, maxPromptLength, chatTemplateKwargs);
    }

    /** A copy with {@code chatTemplateKwargs} replaced. */
    public Options withChatTemplateKwargs(Map<String, Object> v) {
      return new Options(template, sampling, scoring, maxPromptLength, v);
    }

    /** A copy with {@code maxPromptLength} replaced. */
    public Options withMaxPromptLength(Integer v) {
      return new Options(template, sampling, scoring, v, chatTemplateKwargs);
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
   * One candidate's outcome of sampling and scoring, before any decision.
   *
   * @param statistics the ranks and sigma statistics of its reference
   * @param samples reasonings sampled (N)
   * @param samplesWithSplit of those, the ones in which the split rule matched
   * @param truncatedPrompt whether its prompt was cut to {@link Options#maxPromptLength()}
   */
  public record ExampleScore(PromptStatistics statistics, int samples, int samplesWithSplit, boolean truncatedPrompt)
      implements java.io.Serializable {}

  /**
   * {@link #run(LanguageModel, List, List, long)}, telling {@code progress} (may be null) the number of
   * candidates scored after each one.
   */
  public Result run(LanguageModel policy, List<Example> candidates, List<Example> previous, long round,
      IntConsumer progress) {
    PromptRenderer renderer = prompts(policy);
    List<ExampleScore> scores = Generator.inBatches(candidates, config.samplesPerPrompt(),
        batch -> scoreAll(policy, renderer, batch, round), progress);
    return decide(candidates, scores, previous, round);
  }

  /**
   * Samples N reasonings for {@code example} with {@code policy} in round {@code round}, its group as one
   * generate call seeded by {@link #exampleSeed}, and scores its reference after each from the cache.
   * {@code renderer} ({@link #prompts}) must not be shared with another thread while this runs (its
   * truncation count tells whether this prompt was cut).
   */
  public ExampleScore score(LanguageModel policy, PromptRenderer renderer, Example example, long round) {
    return scoreAll(policy, renderer, List.of(example), round).get(0);
  }

  /**
   * {@link #score} for each of {@code examples}, with the same results, their reasonings decoded in one
   * batch where that changes nothing but the time ({@link LanguageModel#generateGroups}).
   */
  public List<ExampleScore> scoreAll(LanguageModel policy, PromptRenderer renderer, List<Example> examples, long round) {
    int n = config.samplesPerPrompt();
    List<int[]> prompts = new ArrayList<>(examples.size());
    boolean[] truncated = new boolean[examples.size()];
    long[] seeds = new long[examples.size()];
    for (int i = 0; i < examples.size(); i++) {
      long truncatedBefore = renderer.truncated();
      prompts.add(renderer.ids(examples.get(i)));
      truncated[i] = renderer.truncated() > truncatedBefore;
      seeds[i] = exampleSeed(config.seed(), round, examples.get(i).id());
    }
    SamplingParams params = options.sampling().withNumReturnSequences(n);
    List<Generation> generations = policy.generateGroups(prompts, seeds, params, true);
    List<ExampleScore> out = new ArrayList<>(examples.size());
    try {
      for (int i = 0; i < examples.size(); i++) {
        Example example = examples.get(i);
        Generation g = generations.get(i);
        List<Rollout> rollouts = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          rollouts.add(Rollout.of(g.completions().get(j), j));
        }
        List<RolloutGroup> groups = List.of(new RolloutGroup(example, prompts.get(i), rollouts));
        ReferenceScorer.GroupScores gs = ReferenceScorer.scoreAfterReasoning(groups,
            new RewardContext(policy, null, g, 0), options.scoring()).groups().get(0);
        int withSplit = (int) gs.splits().stream().filter(ReasoningSplit.Split::found).count();
        out.add(new ExampleScore(statistics(example.id(), gs, config.worstRankFraction()), gs.splits().size(), withSplit,
            truncated[i]));
        g.close(); // one group's cache at a time beyond this point
      }
    } finally {
      generations.forEach(Generation::close);
    }
    return out;
  }

  /**
   * The round's decisions from every candidate's {@link ExampleScore} ({@code scores.get(i)} belongs to
   * {@code candidates.get(i)}), carrying part of {@code previous} forward with {@link #roundSeed}.
   */
  public Result decide(List<Example> candidates, List<ExampleScore> scores, List<Example> previous, long round) {
    if (scores.size() != candidates.size()) {
      throw new IllegalArgumentException(scores.size() + " scores for " + candidates.size() + " candidates");
    }
    List<PromptStatistics> statistics = new ArrayList<>(scores.size());
    int samples = 0;
    int withSplit = 0;
    long truncated = 0;
    for (ExampleScore s : scores) {
      statistics.add(s.statistics());
      samples += s.samples();
      withSplit += s.samplesWithSplit();
      if (s.truncatedPrompt()) truncated++;
    }
    FilterConfig roundConfig = new FilterConfig(config.samplesPerPrompt(), config.worstRankFraction(),
        config.rankThreshold(), config.lowVariationDropFraction(), config.carryForwardFraction(),
        config.filterEverySteps(), roundSeed(config.seed(), round));
    return new Result(DynamicFilter.apply(candidates, statistics, previous, roundConfig), samples, withSplit, truncated);
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

  /**
   * The sampling seed of example {@code exampleId} in round {@code round}: {@link
   * dro4j.eval.Evaluator#exampleSeed Evaluator.exampleSeed}{@code (roundSeed(seed, round), exampleId)}.
   */
  public static long exampleSeed(long seed, long round, String exampleId) {
    return dro4j.eval.Evaluator.exampleSeed(roundSeed(seed, round), exampleId);
  }
}
