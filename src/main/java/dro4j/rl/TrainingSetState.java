package dro4j.rl;

import java.util.List;

/**
 * Where a GRPO run with {@code filter_dataset} stands in its filtered training sets: what a checkpoint
 * stores so that a resumed run continues with the same set and data order (see {@code TrainingSet}).
 *
 * @param round the last filter round (0 = before the first step)
 * @param roundStartStep steps completed when that round filtered
 * @param epochAtRoundStart epochs (each counted over its round's set) completed by then
 * @param exampleIds the ids of the round's training set, in its order
 */
public record TrainingSetState(long round, long roundStartStep, double epochAtRoundStart, List<String> exampleIds) {

  /** Validates the counts and copies the ids. */
  public TrainingSetState {
    if (round < 0 || roundStartStep < 0 || !(epochAtRoundStart >= 0)) {
      throw new dro4j.BadInputException("training set state: negative round, step or epoch");
    }
    exampleIds = List.copyOf(exampleIds);
  }
}
