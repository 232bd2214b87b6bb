package dro4j.rl;

/**
 * Shares of active completion tokens where the PPO clip is binding (TRL {@code clip_ratio/*}).
 *
 * @param low ratio below 1 - epsilon with a negative advantage
 * @param high ratio above 1 + epsilon_high with a positive advantage
 * @param region either of the two (the usual "clip fraction")
 */
public record ClipFractions(double low, double high, double region) {}
