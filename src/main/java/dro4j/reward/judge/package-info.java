/**
 * LLM-as-judge rewards over an OpenAI-compatible chat API: {@link
 * dro4j.reward.judge.PointwiseJudge} (a yes/no verdict or a 0..10 score from a rubric) and {@link
 * dro4j.reward.judge.PairwiseJudge} (preferences between responses, asked in both orders to cancel
 * position bias, as a win rate within the group or against the reference).
 *
 * <p>Both are hardened against "master key" responses (Zhao et al. 2025, "One Token to Fool
 * LLM-as-a-Judge", arXiv 2507.08794): a {@link dro4j.reward.judge.MasterKeyFilter} gives 0 to empty,
 * punctuation-only and opener-only responses without asking the judge, and the default prompts ask
 * for a strict final verdict line that {@link dro4j.reward.judge.Verdicts} parses strictly.
 *
 * <p>Transport: {@link dro4j.reward.judge.OpenAiChatClient} ({@code java.net.http}) with a timeout,
 * retries with exponential backoff on 429, 5xx, timeouts and connection errors, and the API key read
 * from a named environment variable.
 */
package dro4j.reward.judge;
