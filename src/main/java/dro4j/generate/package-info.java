/**
 * Token sampling for generation: the pure, model-free part.
 *
 * <p>Everything here works on one row of logits ({@code float[vocab]}) at a time and follows the
 * logits processors and warpers of Hugging Face transformers: repetition penalty on the raw logits,
 * then temperature, top-k, top-p and min-p, then one draw. {@link dro4j.generate.SamplingParams}
 * holds the knobs, {@link dro4j.generate.LogitsProcessing} the algorithms, and {@link
 * dro4j.generate.StopCriteria} decides when a sequence is finished. The batched generator that runs
 * the model calls these once per sequence per step.
 */
package dro4j.generate;
