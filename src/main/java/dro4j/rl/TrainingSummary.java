package dro4j.rl;

import java.util.Map;

/**
 * How a training run ended.
 *
 * @param steps steps completed (including any before a resume)
 * @param skippedUpdates updates skipped by the non-finite guard
 * @param lastMetrics the metrics of the last step
 * @param seconds wall time of this call
 */
public record TrainingSummary(long steps, long skippedUpdates, Map<String, Object> lastMetrics, double seconds) {}
