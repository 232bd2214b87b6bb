package dro4j.rl;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds and reads checkpoints for {@code --resume}: the seam for {@code dro4j.rl.checkpoint}
 * ({@code Checkpoints.latest(outputDir)} and {@code Checkpoints.loadState(dir)} turned into a {@link
 * ResumeState}). A checkpoint folder is also a Hugging Face model folder: the resumed policy is loaded
 * from it, the reference policy from the configured {@code model}.
 */
public interface CheckpointSource {

  /** The newest complete checkpoint folder under {@code outputDir}, if there is one. */
  Optional<Path> latest(Path outputDir);

  /** The optimizer state and counters saved in a checkpoint folder. */
  ResumeState load(Path checkpointDir);
}
