/**
 * Combining and shaping rewards: {@link dro4j.reward.compose.WeightedSum} (each component logged on
 * its own), {@link dro4j.reward.compose.GatedReward} (G-RA's gated accumulation), {@link
 * dro4j.reward.compose.PreferenceAsReward} (PAR), and {@link dro4j.reward.compose.NormalizedReward}
 * (group or batch z-score, min-max, clipping). The arithmetic is in {@link
 * dro4j.reward.compose.Shaping}, small pure functions over arrays in the style of verl's {@code
 * core_algos}; the reward classes only collect scores and log them.
 */
package dro4j.reward.compose;
