package dro4j.rollout;

import dro4j.generate.Generator;
import dro4j.generate.SamplingParams;
import java.util.Map;

/**
 * How a multi-turn rollout samples and when it stops. The trainer builds it from the job's settings
 * ({@code max_turns}, {@code max_tool_calling_iterations}, {@code max_tool_response_length}, {@code
 * max_completion_length}, the sampling keys and {@code chat_template_kwargs}).
 *
 * @param sampling temperature, truncation and seed of every turn; its {@code maxNewTokens} and {@code
 *     numReturnSequences} are not used (the budget is {@code maxCompletionLength}, the group size is an
 *     argument of {@link TrajectoryRollout#run})
 * @param maxTurns most policy turns per trajectory (&gt;= 1)
 * @param maxToolCallingIterations most tool calls per trajectory over all turns (&gt;= 0); a turn whose
 *     calls would pass it ends the trajectory without running them
 * @param maxCompletionLength most tokens the policy samples over all its turns (&gt;= 1); appended
 *     observation tokens do not count
 * @param maxToolResponseLength most tokens of one tool result; longer results are cut and end with a
 *     visible marker; null for no limit
 * @param toolCalls the parser of the model's tool-call format
 * @param templateVariables extra chat template variables ({@code chat_template_kwargs}); {@code tools}
 *     is added from the environment
 * @param forced tokens to force instead of sampling (a scripted policy), or null
 */
public record RolloutSettings(
    SamplingParams sampling,
    int maxTurns,
    int maxToolCallingIterations,
    int maxCompletionLength,
    Integer maxToolResponseLength,
    ToolCallParser toolCalls,
    Map<String, Object> templateVariables,
    Generator.ForcedTokens forced) {

  /** The text appended to a tool result cut at {@code maxToolResponseLength}; {@code %d} is the number of tokens cut. */
  public static final String TRUNCATION_MARKER = "\n[tool response truncated: %d more tokens]";

  /** Checks the ranges. */
  public RolloutSettings {
    if (maxTurns < 1) throw new IllegalArgumentException("max_turns must be >= 1, got " + maxTurns);
    if (maxToolCallingIterations < 0) {
      throw new IllegalArgumentException("max_tool_calling_iterations must be >= 0, got " + maxToolCallingIterations);
    }
    if (maxCompletionLength < 1) {
      throw new IllegalArgumentException("max_completion_length must be >= 1, got " + maxCompletionLength);
    }
    if (maxToolResponseLength != null && maxToolResponseLength < 1) {
      throw new IllegalArgumentException("max_tool_response_length must be >= 1 or ~, got " + maxToolResponseLength);
    }
    toolCalls = toolCalls == null ? ToolCallParser.hermes() : toolCalls;
    templateVariables = templateVariables == null ? Map.of() : Map.copyOf(templateVariables);
  }

  /** Defaults: 4 turns, 4 tool calls, 256 policy tokens, tool results up to 256 tokens, Hermes tags. */
  public static RolloutSettings of(SamplingParams sampling) {
    return new RolloutSettings(sampling, 4, 4, 256, 256, null, Map.of(), null);
  }

  /** A copy with other turn limits. */
  public RolloutSettings withLimits(int turns, int toolCallingIterations, int completionLength, Integer toolResponseLength) {
    return new RolloutSettings(sampling, turns, toolCallingIterations, completionLength, toolResponseLength, toolCalls,
        templateVariables, forced);
  }

  /** A copy that forces tokens (a scripted policy). */
  public RolloutSettings withForced(Generator.ForcedTokens f) {
    return new RolloutSettings(sampling, maxTurns, maxToolCallingIterations, maxCompletionLength, maxToolResponseLength,
        toolCalls, templateVariables, f);
  }

  /** A copy with other template variables. */
  public RolloutSettings withTemplateVariables(Map<String, Object> v) {
    return new RolloutSettings(sampling, maxTurns, maxToolCallingIterations, maxCompletionLength, maxToolResponseLength,
        toolCalls, v, forced);
  }
}
