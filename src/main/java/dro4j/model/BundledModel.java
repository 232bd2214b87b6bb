package dro4j.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The model shipped inside the jar, used when no model folder is given: llama2.c's stories260K
 * (MIT, Andrej Karpathy), a 260K-parameter Llama trained on TinyStories.
 *
 * <p>The safetensors reader memory-maps files, so the resources are copied once to
 * {@code <cache>/models/stories260K-<version>} (written to a temporary folder and renamed into place,
 * so a killed copy never leaves a half-written model behind).
 */
public final class BundledModel {
  /** Name of the bundled default model. */
  public static final String NAME = "stories260K";

  private static final String RESOURCE_DIR = "/dro4j/models/" + NAME + "/";
  private static final List<String> FILES =
      List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
          "tokenizer_config.json", "LICENSE");
  /** Bump when the bundled files change, so stale copies are not reused. */
  private static final String VERSION = "1";

  private BundledModel() {}

  /** The folder holding the bundled model, copying it out of the jar on first use. */
  public static synchronized Path directory() {
    Path target = TensorEngine.cacheRoot().resolve("models").resolve(NAME + "-" + VERSION);
    if (Files.isRegularFile(target.resolve("model.safetensors"))) {
      return target;
    }
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), NAME + ".tmp");
      for (String file : FILES) {
        try (InputStream in = BundledModel.class.getResourceAsStream(RESOURCE_DIR + file)) {
          if (in == null) {
            throw new IllegalStateException("bundled model file missing from the jar: " + RESOURCE_DIR + file);
          }
          Files.copy(in, tmp.resolve(file));
        }
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException e) {
        // Another process finished first, or the file system cannot rename atomically.
        if (!Files.isRegularFile(target.resolve("model.safetensors"))) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        // A concurrent copy won the race; ours is redundant.
      }
      deleteQuietly(tmp);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the bundled model to " + target, e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a leftover temp folder is harmless
    }
  }
}
