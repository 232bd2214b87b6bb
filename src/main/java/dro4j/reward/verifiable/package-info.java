/**
 * Verifiable rewards: rules that check a response against the reference answer or a required
 * shape, with no model involved.
 *
 * <ul>
 *   <li>{@link dro4j.reward.verifiable.ExactMatchReward}: equality after SQuAD's answer
 *       normalisation ({@link dro4j.reward.verifiable.TextNormalization});
 *   <li>{@link dro4j.reward.verifiable.NumericMatchReward}: the answer's number within a relative
 *       tolerance of the gold value, and {@link dro4j.reward.verifiable.FinQaMatchReward}, DRO's
 *       FinQA correctness (2%, three percent scales, yes/no golds);
 *   <li>{@link dro4j.reward.verifiable.ThinkFormatReward}, {@link
 *       dro4j.reward.verifiable.TagsReward}, {@link dro4j.reward.verifiable.RegexReward}: format
 *       rules;
 *   <li>{@link dro4j.reward.verifiable.OverlongPunishment}: DAPO's soft overlong punishment on token
 *       counts;
 *   <li>{@link dro4j.reward.verifiable.RougeReward}: ROUGE-1/2/L F1 ({@link
 *       dro4j.reward.verifiable.Rouge}), DRO's ParaRev baseline.
 * </ul>
 *
 * Answers are taken out of a response by an {@link dro4j.reward.verifiable.AnswerExtraction}.
 * {@link dro4j.reward.verifiable.VerifiableRewards#register} adds every reward of this package to a
 * {@link dro4j.reward.RewardRegistry}.
 */
package dro4j.reward.verifiable;
