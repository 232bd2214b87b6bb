/**
 * Multi-turn rollouts with tools and environments (issue 11): the {@link dro4j.rollout.Environment}
 * and {@link dro4j.rollout.Tool} API, the rollout loop {@link dro4j.rollout.TrajectoryRollout} that
 * renders turns with the model's chat template and continues generation on one KV cache, the
 * resulting {@link dro4j.rollout.Trajectory} (exact tokens, per-token policy mask, turn boundaries),
 * and turn-level rewards ({@link dro4j.rollout.TurnRewards}: IGPO's information gain, environment step
 * rewards, per-token advantages). The trainer uses it when a job sets {@code environment}.
 */
package dro4j.rollout;
