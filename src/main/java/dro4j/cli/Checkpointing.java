package dro4j.cli;

import dro4j.BadInputException;
import dro4j.rl.CheckpointSink;
import dro4j.rl.CheckpointSource;
import dro4j.rl.ResumeState;
import dro4j.rl.checkpoint.CheckpointStore;
import java.nio.file.Path;

/**
 * How the {@code train} and {@code sft} commands write and find checkpoints: the seams {@link
 * CheckpointSink} and {@link CheckpointSource}, implemented by {@link CheckpointStore}.
 *
 * @param sink writes checkpoints, or null
 * @param source finds and reads them, or null
 */
record Checkpointing(CheckpointSink sink, CheckpointSource source) {

  /** The checkpoint implementation of this build. */
  static Checkpointing available() {
    CheckpointStore store = new CheckpointStore();
    return new Checkpointing(store, store);
  }

  /** A checkpoint to resume from: its folder (the policy's weights) and the trainer state. */
  record Resume(Path directory, ResumeState state) {}

  /** The newest checkpoint under {@code outputDir}, for {@code --resume}. */
  Resume latest(Path outputDir) {
    Path dir = source.latest(outputDir)
        .orElseThrow(() -> new BadInputException(outputDir, "--resume: no checkpoint found in this output_dir"));
    return new Resume(dir, source.load(dir));
  }
}
