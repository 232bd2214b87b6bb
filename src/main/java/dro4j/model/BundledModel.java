package dro4j.model;

import dro4j.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The models shipped inside the jar, addressed as {@code bundled:NAME} wherever a model folder is
 * given ({@code --model}, {@code model:} in a job file):
 *
 * <ul>
 *   <li>{@code bundled:stories260K}, the default when no model is given: llama2.c's stories260K (MIT,
 *       Andrej Karpathy), a 260K-parameter Llama trained on TinyStories;
 *   <li>{@code bundled:finqa-tiny}: a 1M-parameter Llama trained from scratch by dro4j's own {@code sft}
 *       on synthetic FinQA-style data; it reasons inside {@code <think>...</think>} and answers with a
 *       FinQA program (Apache-2.0; {@code scripts/make-finqa-tiny.sh} reproduces it);
 *   <li>{@code bundled:finqa-tiny-tools}: finqa-tiny after a short SFT on synthetic tool-use
 *       conversations, so that it calls the calculator of {@code environment: finqa_calculator} on about
 *       half the questions and then answers, and answers the others without it, as a policy GRPO can
 *       teach to call ({@code scripts/make-finqa-tiny-tools.sh} reproduces it).
 * </ul>
 *
 * <p>The safetensors reader memory-maps files, so the resources are copied once to
 * {@code <cache>/models/NAME-<version>} (written to a temporary folder and renamed into place,
 * so a killed copy never leaves a half-written model behind).
 */
public final class BundledModel {
  /** Name of the bundled default model. */
  public static final String NAME = "stories260K";
  /** Name of the bundled FinQA reasoning model. */
  public static final String FINQA_TINY = "finqa-tiny";
  /** Name of finqa-tiny warm-started for the calculator environment. */
  public static final String FINQA_TINY_TOOLS = "finqa-tiny-tools";
  /** How a bundled model is addressed: {@code bundled:NAME}. */
  public static final String PREFIX = "bundled:";

  private static final List<String> COMMON_FILES =
      List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
          "tokenizer_config.json", "LICENSE");
  /** Each bundled model's files; bump a version when its files change, so stale copies are not reused. */
  private static final Map<String, Bundle> BUNDLES = Map.of(
      NAME, new Bundle("1", COMMON_FILES),
      FINQA_TINY, new Bundle("1", concat(COMMON_FILES, "MODEL_CARD.md")),
      FINQA_TINY_TOOLS, new Bundle("3", concat(COMMON_FILES, "MODEL_CARD.md")));

  private record Bundle(String version, List<String> files) {}

  private BundledModel() {}

  /** The names of the bundled models, sorted. */
  public static List<String> names() {
    return BUNDLES.keySet().stream().sorted(String.CASE_INSENSITIVE_ORDER).toList();
  }

  /** The folder holding the bundled default model, copying it out of the jar on first use. */
  public static Path directory() {
    return directory(NAME);
  }

  /**
   * The folder holding the bundled model {@code name}, copying it out of the jar on first use.
   *
   * @throws BadInputException naming the bundled models when there is none called {@code name}
   */
  public static synchronized Path directory(String name) {
    Bundle bundle = BUNDLES.get(name);
    if (bundle == null) {
      throw new BadInputException("no bundled model '" + name + "'; bundled: "
          + String.join(", ", names().stream().map(n -> PREFIX + n).toList()));
    }
    Path target = TensorEngine.cacheRoot().resolve("models").resolve(name + "-" + bundle.version());
    if (Files.isRegularFile(target.resolve("model.safetensors"))) {
      return target;
    }
    String resourceDir = "/dro4j/models/" + name + "/";
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), name + ".tmp");
      for (String file : bundle.files()) {
        try (InputStream in = BundledModel.class.getResourceAsStream(resourceDir + file)) {
          if (in == null) {
            throw new IllegalStateException("bundled model file missing from the jar: " + resourceDir + file);
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

  /**
   * The folder a model setting names: null is the default ({@code bundled:stories260K}), {@code
   * bundled:NAME} a bundled model, anything else a folder as given.
   *
   * @throws BadInputException for an unknown bundled name, and for {@code ~} (YAML's null when bare, a
   *     folder named "~" when quoted) or the home folder without a config.json (what the shell makes of
   *     an unquoted {@code ~}), pointing to {@code bundled:stories260K}
   */
  public static Path resolve(Path model) {
    if (model == null) return directory();
    String text = model.toString();
    if (text.startsWith(PREFIX)) return directory(text.substring(PREFIX.length()));
    String home = System.getProperty("user.home");
    boolean tilde = text.equals("~") || text.startsWith("~/");
    boolean bareHome = home != null && model.toAbsolutePath().normalize().equals(Path.of(home).toAbsolutePath().normalize())
        && !Files.exists(model.resolve("config.json"));
    if (tilde || bareHome) {
      throw new BadInputException("'" + text + "' is not a model folder" + (bareHome ? " (the shell turns ~ into the home folder)" : "")
          + ": write " + PREFIX + NAME + " for the bundled default model (or leave the model out); bundled: "
          + String.join(", ", names().stream().map(n -> PREFIX + n).toList()));
    }
    return model;
  }

  /** {@link #resolve(Path)} of a model setting's text. */
  public static Path resolve(String model) {
    return model == null ? directory() : resolve(Path.of(model));
  }

  private static List<String> concat(List<String> list, String extra) {
    List<String> out = new java.util.ArrayList<>(list);
    out.add(extra);
    return List.copyOf(out);
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
