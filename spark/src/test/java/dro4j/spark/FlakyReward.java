package dro4j.spark;

import dro4j.BadInputException;
import dro4j.reward.KeywordReward;
import dro4j.reward.Reward;
import dro4j.reward.RewardContext;
import dro4j.reward.RewardResult;
import dro4j.reward.RolloutGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;

/**
 * A reward class for {@code rewards:} ({@code name: dro4j.spark.FlakyReward}): the keyword reward of
 * {@code words}, except that a Spark task's first attempt fails when it scores the group of example
 * {@code fails_at}: a rollout task failed on purpose mid-step (outside Spark it never fails). Each time a
 * Spark task scores that group it appends its attempt number to the file {@code attempts}, so a test sees
 * that the retry happened.
 */
public final class FlakyReward implements Reward {
  private final KeywordReward keyword;
  private final String failsAt;
  private final Path attempts;

  /** From the job's entry: {@code words}, {@code fails_at} (an example id) and {@code attempts} (a file). */
  public FlakyReward(Map<String, Object> params) {
    if (!(params.get("fails_at") instanceof String id) || !(params.get("attempts") instanceof String file)) {
      throw new BadInputException("flaky reward: give fails_at (an example id) and attempts (a file)");
    }
    failsAt = id;
    attempts = Path.of(file);
    keyword = KeywordReward.fromParams(Map.of("words", params.get("words")));
  }

  @Override
  public String name() {
    return "flaky_keyword";
  }

  @Override
  public List<RewardResult> score(List<RolloutGroup> groups, RewardContext context) {
    TaskContext spark = TaskContext.get();
    if (spark != null && groups.stream().anyMatch(g -> g.example().id().equals(failsAt))) {
      record(attempts, spark.attemptNumber());
      if (spark.attemptNumber() == 0) {
        throw new IllegalStateException("rollout task attempt failed on purpose at example " + failsAt);
      }
    }
    return keyword.score(groups, context);
  }

  private static synchronized void record(Path attempts, int attempt) {
    try {
      Files.writeString(attempts, attempt + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
