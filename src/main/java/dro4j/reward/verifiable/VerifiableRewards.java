package dro4j.reward.verifiable;

import static dro4j.reward.RewardRegistry.Param.optional;
import static dro4j.reward.RewardRegistry.Param.required;

import dro4j.data.finqa.FinQaMetrics;
import dro4j.reward.RewardRegistry;
import dro4j.reward.RewardRegistry.Param;
import dro4j.reward.RewardRegistry.Params;
import dro4j.reward.RewardRegistry.Type;
import java.util.Locale;

/** Registers the rewards of this package in a {@link RewardRegistry}. */
public final class VerifiableRewards {
  private VerifiableRewards() {}

  /** Adds exact_match, numeric_match, finqa_match, think_format, tags, regex, overlong and rouge1/2/L. */
  public static void register(RewardRegistry registry) {
    registry.register("exact_match",
        "1 when the answer equals the reference after SQuAD's normalize_answer (lower-case, ASCII"
            + " punctuation deleted, articles a/an/the removed, whitespace collapsed; Rajpurkar et al."
            + " 2016), else 0.",
        false, p -> new ExactMatchReward(extraction(p)), extract("auto"), marker());
    registry.register("numeric_match",
        "1 when the answer's first number is within a relative tolerance of the gold value"
            + " (|x - gold| <= tolerance * |gold|; numbers read as written: 1,234.5, 12%, (45), $, units),"
            + " else 0. Gold: numeric exe_ans metadata, else the reference's first number.",
        false, p -> new NumericMatchReward(extraction(p), p.number("tolerance")),
        optional("tolerance", Type.NUMBER, FinQaMetrics.DRO_RELATIVE_TOLERANCE,
            "relative tolerance (DRO's FinQA value, 2%; use 1e-6 for integer math answers)"),
        extract("auto"), marker());
    registry.register("finqa_match",
        "DRO's FinQA correctness (Xu et al. 2025, arXiv 2506.13351): 1 when the answer is within 2% of"
            + " the gold value as written, /100 or x100, or matches a yes/no gold, else 0.",
        false, p -> new FinQaMatchReward(extraction(p)), extract("auto"), marker());
    registry.register("think_format",
        "1 when the response is <think>thinking</think> then a non-empty answer (each tag once;"
            + " optionally the answer wrapped in answer tags), else 0. DeepSeek-R1-style format reward.",
        false,
        p -> new ThinkFormatReward(p.string("open"), p.string("close"), p.bool("require_open"),
            p.string("answer_open"), p.string("answer_close")),
        optional("open", Type.STRING, "<think>", "opening thinking tag"),
        optional("close", Type.STRING, "</think>", "closing thinking tag"),
        optional("require_open", Type.BOOLEAN, true,
            "whether the response must open the block itself (false when the chat template already did)"),
        optional("answer_open", Type.STRING, null, "opening answer tag, e.g. <answer> (unset: free-form answer)"),
        optional("answer_close", Type.STRING, null, "closing answer tag, e.g. </answer>"));
    registry.register("tags",
        "1 when every tag occurs exactly once (and in order), else 0; with partial, the fraction of tags"
            + " that do.",
        false, p -> new TagsReward(p.strings("tags"), p.bool("ordered"), p.bool("partial")),
        required("tags", Type.STRING_LIST, "the required tags, e.g. <think>,</think>,<answer>,</answer>"),
        optional("ordered", Type.BOOLEAN, true, "whether the tags must appear in the listed order"),
        optional("partial", Type.BOOLEAN, false, "give the fraction of tags present instead of 0/1"));
    registry.register("keyword",
        "Share of the response's sentences that mention one of the words (case-insensitive, whole words):"
            + " the simple verifiable reward of the bundled train demo.",
        false, p -> new dro4j.reward.KeywordReward(p.strings("words")),
        required("words", Type.STRING_LIST, "the words, e.g. ball or [ball, dog]"));
    registry.register("regex",
        "1 when the response matches a Java regular expression (DOTALL), else 0.",
        false, p -> RegexReward.of(p.string("pattern"), p.bool("full")),
        required("pattern", Type.STRING, "the regular expression"),
        optional("full", Type.BOOLEAN, true, "whether the whole response must match (false: a match anywhere)"));
    registry.register("overlong",
        "DAPO's soft overlong punishment (Yu et al. 2025, arXiv 2503.14476) on token counts: 0 up to"
            + " max_length - cache tokens, then falling linearly to -1 at max_length, -1 beyond."
            + " Rollouts given as text are counted with the loaded model's tokenizer.",
        false, p -> new OverlongPunishment(p.integer("max_length"), p.integer("cache")),
        optional("max_length", Type.INTEGER, OverlongPunishment.DAPO_MAX_LENGTH, "L_max in tokens (DAPO: 20480)"),
        optional("cache", Type.INTEGER, OverlongPunishment.DAPO_CACHE, "L_cache in tokens (DAPO: 4096)"));
    for (RougeReward.Type type : RougeReward.Type.values()) {
      registry.register(type.key(),
          type.key() + " of the answer against the reference, as Google's rouge-score computes it (default"
              + " tokenizer: lower-case, non-alphanumerics split words). ROUGE-1 F1 is DRO's ParaRev"
              + " baseline (Xu et al. 2025, arXiv 2506.13351).",
          false,
          p -> new RougeReward(type, RougeReward.Measure.valueOf(p.string("measure").toUpperCase(Locale.ROOT)),
              p.bool("stem"), extraction(p)),
          optional("measure", Type.STRING, "f1", "which number is the reward").choices("f1", "precision", "recall"),
          optional("stem", Type.BOOLEAN, false, "Porter-stem words longer than 3 letters (rouge-score's use_stemmer)"),
          extract("whole"), marker());
    }
  }

  /** The {@code extract} parameter with a default mode. */
  public static Param extract(String defaultMode) {
    return optional("extract", Type.STRING, defaultMode,
        "where the answer is: auto (\\boxed{}, <answer>, 'answer is', last number, else all), boxed,"
            + " marker (after the last marker) or whole")
        .choices("auto", "boxed", "marker", "whole");
  }

  /** The {@code marker} parameter of {@code extract = marker}. */
  public static Param marker() {
    return optional("marker", Type.STRING, AnswerExtraction.DEFAULT_MARKER,
        "the marker of extract=marker (e.g. </think> for the outcome of a reasoning model)");
  }

  /** The {@link AnswerExtraction} of the {@code extract} and {@code marker} parameters. */
  public static AnswerExtraction extraction(Params p) {
    return new AnswerExtraction(AnswerExtraction.Mode.parse(p.string("extract")), p.string("marker"));
  }
}
