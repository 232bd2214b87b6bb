package dro4j.spark;

import dro4j.data.filter.FilterConfig;
import dro4j.data.filter.FilterRunner;
import dro4j.data.prompt.PromptTemplate;
import java.io.Serializable;
import java.util.Objects;

/**
 * What every executor of a distributed filter round needs, shipped with each task.
 *
 * @param model the model folder as every executor sees it, {@code bundled:NAME}, or null for the bundled
 *     default
 * @param config the filter's thresholds, N and seed
 * @param template builds each example's prompt (its reasoning end stops sampling and splits the samples)
 * @param maxNewTokens reasoning budget per sample
 * @param maxPromptLength prompts keep their last this many tokens; null for never
 */
public record FilterJob(String model, String adapter, FilterConfig config, PromptTemplate template, int maxNewTokens,
    Integer maxPromptLength) implements Serializable {
  /** Checks the settings that are required. */
  public FilterJob {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(template, "template");
  }

  /** The runner {@code dro4j filter} would build from these settings. */
  public FilterRunner runner() {
    return new FilterRunner(config, FilterRunner.Options.of(template, maxNewTokens, maxPromptLength));
  }
}
