package dro4j.data;

import dro4j.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The data sets and jobs inside the jar, addressed by name as {@code bundled:NAME} wherever a file is
 * expected ({@code --config bundled:demo-train}, {@code dataset: bundled:keyword-prompts}), so they
 * never depend on the working directory.
 *
 * <ul>
 *   <li>data: {@code keyword-prompts} (24 story openings) and {@code sft-colors} (96 colour questions
 *       with answers, the {@code sft} demo's examples), both in dro4j's example format; {@code
 *       finqa-synthetic-train} (256 synthetic FinQA records, seed 2) and {@code finqa-synthetic-heldout}
 *       (64, seed 1001), in FinQA's own schema, made by {@code dro4j synthetic-finqa --format finqa
 *       --rows 2-3 --years 2}, the data of the {@code train} demo;
 *   <li>jobs: {@code demo-train} (DRO: R3-guided GRPO of the bundled finqa-tiny with filtering and
 *       evaluation) and {@code demo-sft}, the YAML jobs {@code train} and {@code sft} run when given no
 *       configuration, model, data set or task; {@code demo-keyword}, GRPO of stories260K with a keyword
 *       reward (a one-minute smoke test).
 * </ul>
 *
 * <p>A bundled data set is copied once per process to a temporary file, because the task loaders read
 * files.
 */
public final class Bundled {
  /** The prefix that marks a bundled name. */
  public static final String PREFIX = "bundled:";

  private static final Map<String, String> DATA = new TreeMap<>(Map.of(
      "keyword-prompts", "/dro4j/rl/demo/keyword-prompts.jsonl",
      "sft-colors", "/dro4j/rl/demo/sft-colors.jsonl",
      "finqa-synthetic-train", "/dro4j/data/finqa-synthetic/train.json",
      "finqa-synthetic-heldout", "/dro4j/data/finqa-synthetic/heldout.json"));
  private static final Map<String, String> JOBS = new TreeMap<>(Map.of(
      "demo-train", "/dro4j/rl/demo/train.yaml",
      "demo-keyword", "/dro4j/rl/demo/keyword.yaml",
      "demo-sft", "/dro4j/rl/demo/sft.yaml"));
  private static final Map<String, Path> EXTRACTED = new LinkedHashMap<>();

  private Bundled() {}

  /** Whether {@code path} is written {@code bundled:NAME}. */
  public static boolean isBundled(Path path) {
    return path != null && path.toString().startsWith(PREFIX);
  }

  /**
   * The file to read for {@code path}: a bundled data set's temporary copy, or {@code path} itself
   * when it is not {@code bundled:NAME}.
   *
   * @throws BadInputException for an unknown bundled name, listing the known ones
   */
  public static synchronized Path data(Path path) {
    if (!isBundled(path)) return path;
    String name = name(path);
    String resource = known(DATA, name, path, "data set");
    Path copy = EXTRACTED.get(name);
    if (copy == null) {
      try {
        Path dir = Files.createTempDirectory("dro4j-bundled");
        copy = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        Files.writeString(copy, text(resource));
        copy.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EXTRACTED.put(name, copy);
    }
    return copy;
  }

  /**
   * The YAML text of a bundled job ({@code bundled:demo-train} or {@code bundled:demo-sft}).
   *
   * @throws BadInputException for an unknown name, listing the known ones
   */
  public static String job(Path path) {
    return text(known(JOBS, name(path), path, "job"));
  }

  /** {@code bundled:NAME} as a path, for a job or data set name. */
  public static Path path(String name) {
    return Path.of(PREFIX + name);
  }

  private static String name(Path path) {
    return path.toString().substring(PREFIX.length());
  }

  private static String known(Map<String, String> names, String name, Path path, String what) {
    String resource = names.get(name);
    if (resource == null) {
      throw new BadInputException(path, "no bundled " + what + " of this name (bundled " + what + "s: "
          + String.join(", ", names.keySet().stream().map(n -> PREFIX + n).toList()) + ")");
    }
    return resource;
  }

  private static String text(String resource) {
    try (InputStream in = Bundled.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("bundled file missing from the jar: " + resource);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
