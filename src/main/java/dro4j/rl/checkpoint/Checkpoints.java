package dro4j.rl.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.model.LoraAdapter;
import dro4j.model.LoraConfig;
import dro4j.model.ModelConfig;
import dro4j.model.SafeTensors;
import dro4j.model.Transformer;
import dro4j.rl.AdamW;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash-safe training checkpoints that are also plain Hugging Face model folders.
 *
 * <p>{@link #save} writes {@code outputDir/checkpoint-<step>/}:
 *
 * <pre>
 *   config.json              the source config.json, torch_dtype/dtype set to the saved dtype
 *   model.safetensors        every parameter by Hugging Face name (tied models: no lm_head),
 *                            F32 or BF16, __metadata__ {"format": "pt"}
 *   tokenizer.json, tokenizer_config.json, special_tokens_map.json, chat_template.jinja,
 *   generation_config.json, ...   copied from the source folder when present
 *   optimizer.safetensors    AdamW moments, F32, as exp_avg.&lt;param&gt; and exp_avg_sq.&lt;param&gt;
 *   trainer_state.json       step, seed, data position, resolved config, metrics summary, extra,
 *                            and the size of every other file (checked by {@link #latest})
 * </pre>
 *
 * Our runtime ({@code LanguageModel.load}) and transformers ({@code from_pretrained}) load the folder
 * unchanged; they ignore the two trainer files.
 *
 * <p>A model with a LoRA adapter attached saves the adapter instead of the weights, as a PEFT adapter
 * folder ({@code PeftModel.from_pretrained} and {@code LanguageModel.load(base, adapter)} load it):
 * {@code adapter_config.json} (base_model_name_or_path: the source folder) and {@code
 * adapter_model.safetensors} take the places of config.json and model.safetensors, and the optimizer
 * moments are those of the adapter's factors, by their PEFT names.
 *
 * <p>Crash safety: everything is written into {@code outputDir/.checkpoint-<step>.tmp-<random>/},
 * each file and then the folder are fsynced, and the folder is renamed to {@code checkpoint-<step>} in
 * one atomic step; readers never look at dot-folders. Only after the rename are checkpoints beyond
 * {@code saveTotalLimit} removed (each is first renamed to a dot-folder, so none is ever seen half
 * deleted). Leftover dot-folders of an interrupted save are removed at the start of the next save.
 * One process at a time may save into an output folder.
 *
 * <p>Overwriting an existing {@code checkpoint-<step>} (a resumed run saving the same step again)
 * moves the old folder aside just before the rename; a crash between those two renames leaves no
 * folder of that step, so {@link #latest} falls back to the previous one.
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

  /** The prefix of a checkpoint folder name; the global step follows it. */
  public static final String PREFIX = "checkpoint-";

  /** The trainer state file inside a checkpoint folder. */
  public static final String TRAINER_STATE_FILE = "trainer_state.json";

  /** The optimizer moments inside a checkpoint folder. */
  public static final String OPTIMIZER_FILE = "optimizer.safetensors";

  /** The model config inside a checkpoint (and any Hugging Face model folder). */
  public static final String CONFIG_FILE = "config.json";

  /**
   * Files copied from the source model folder when present: the tokenizer (fast and slow forms),
   * the chat template and the generation defaults.
   */
  public static final List<String> COPIED_FILES = List.of(
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "added_tokens.json",
      "vocab.json",
      "merges.txt",
      "tokenizer.model",
      "chat_template.jinja",
      "chat_template.json",
      "generation_config.json");

  /** Prefixes of the moment tensors in {@link #OPTIMIZER_FILE}. */
  static final String EXP_AVG = "exp_avg.";

  static final String EXP_AVG_SQ = "exp_avg_sq.";

  private static final int FORMAT_VERSION = 1;
  private static final String FORMAT = "dro4j-trainer-state";

  private static final Pattern CHECKPOINT_NAME = Pattern.compile("checkpoint-(\\d{1,18})");
  // Dot-folders this class creates: in-progress writes, an old folder moved aside, deletions.
  private static final Pattern SCRATCH_NAME =
      Pattern.compile("\\.checkpoint-\\d{1,18}\\.(tmp|old|deleting)-[0-9a-f]+");

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  // Laid out as transformers writes JSON: two-space indent, "key": value, one array item a line.
  private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance()
          .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
      .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n")));

  private Checkpoints() {}

  /** The points of the write sequence, in order, at which a {@link FaultInjector} is called. */
  public enum Stage {
    /** Stale dot-folders of an earlier interrupted save were removed (detail: how many). */
    STALE_FOLDERS_CLEANED,
    /** The temporary folder exists, still empty (detail: its name). */
    TEMP_FOLDER_CREATED,
    /** model.safetensors is written and synced. */
    MODEL_WRITTEN,
    /** config.json is written and synced. */
    CONFIG_WRITTEN,
    /** One source file was copied and synced (detail: its name); once per copied file. */
    FILE_COPIED,
    /** optimizer.safetensors is written and synced. */
    OPTIMIZER_WRITTEN,
    /** trainer_state.json is written and synced: the temporary folder is complete. */
    TRAINER_STATE_WRITTEN,
    /** The temporary folder itself is synced. */
    TEMP_FOLDER_SYNCED,
    /**
     * An old folder was renamed to a dot-folder: the folder of the same step when one is replaced
     * (just before the rename of the new one), or a checkpoint beyond the limit (just before it is
     * deleted). Detail: the old folder's name.
     */
    OLD_FOLDER_MOVED_ASIDE,
    /** The temporary folder was renamed to {@code checkpoint-<step>}: the checkpoint exists. */
    RENAMED,
    /** The output folder is synced, so the rename survives a power loss. */
    OUTPUT_FOLDER_SYNCED,
    /** One checkpoint beyond the limit (or the old folder set aside) was deleted (detail: its name). */
    OLD_CHECKPOINT_DELETED
  }

  /**
   * A hook called between the steps of {@link #save}, for tests that simulate a crash at each point:
   * throw from it to stop the save there. An {@link Error} stops it as a kill would (nothing is cleaned
   * up); an exception lets {@link #save} remove its temporary folder before rethrowing.
   */
  @FunctionalInterface
  public interface FaultInjector {
    /** No faults. */
    FaultInjector NONE = (stage, detail) -> {};

    /**
     * Called once the save has reached {@code stage}.
     *
     * @param detail what the stage was about (a file or folder name), or "" when nothing more to say
     */
    void reached(Stage stage, String detail) throws IOException;
  }

  /**
   * Saves a checkpoint; see the class comment for the layout and the guarantees.
   *
   * @param outputDir the run's output folder (created if needed)
   * @param step the global step; must equal {@code state.globalStep()}
   * @param model the model whose parameters are saved
   * @param sourceModelDir the Hugging Face folder the model was loaded from (or an earlier checkpoint):
   *     config.json and the tokenizer files are taken from it
   * @param state the trainer state
   * @param dtype the dtype of the saved weights (FLOAT32 to resume exactly)
   * @param saveTotalLimit how many checkpoints to keep, newest by step; 0 or negative keeps all; the
   *     one just written is never deleted
   * @return the checkpoint folder
   * @throws BadInputException when the source folder lacks or has a malformed config.json, or
   *     describes a different model
   * @throws UncheckedIOException when writing fails (the temporary folder is removed)
   */
  public static Path save(
      Path outputDir,
      long step,
      Transformer model,
      Path sourceModelDir,
      TrainerState state,
      CheckpointDtype dtype,
      int saveTotalLimit) {
    return save(outputDir, step, model, sourceModelDir, state, dtype, saveTotalLimit,
        FaultInjector.NONE);
  }

  /**
   * {@link #save(Path, long, Transformer, Path, TrainerState, CheckpointDtype, int)} with a hook
   * called at every {@link Stage} of the write sequence (tests use it to simulate crashes).
   */
  public static Path save(
      Path outputDir,
      long step,
      Transformer model,
      Path sourceModelDir,
      TrainerState state,
      CheckpointDtype dtype,
      int saveTotalLimit,
      FaultInjector faults) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    if (state.globalStep() != step) {
      throw new IllegalArgumentException(
          "step " + step + " differs from the state's global step " + state.globalStep());
    }
    Path sourceConfig = sourceModelDir.resolve(CONFIG_FILE);
    ObjectNode config = readObject(sourceConfig);
    checkSameModel(sourceConfig, model);
    LoraAdapter adapter = model.adapter();
    // Read the weights before touching the disk: a failure here leaves nothing behind.
    Map<String, float[]> weights = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
      weights.put(e.getKey(), floats(e.getValue()));
      shapes.put(e.getKey(), e.getValue().getShape().getShape());
    }
    String weightsName = adapter != null ? LoraAdapter.WEIGHTS_FILE : SafeTensors.SINGLE_FILE;
    String configName = adapter != null ? LoraConfig.CONFIG_FILE : CONFIG_FILE;

    Path out = outputDir.toAbsolutePath().normalize();
    Path target = out.resolve(PREFIX + step);
    Path tmp = null;
    try {
      Files.createDirectories(out);
      int cleaned = removeScratchFolders(out);
      faults.reached(Stage.STALE_FOLDERS_CLEANED, Integer.toString(cleaned));

      tmp = createUnique(out, "." + PREFIX + step + ".tmp-");
      faults.reached(Stage.TEMP_FOLDER_CREATED, tmp.getFileName().toString());

      Map<String, Long> sizes = new LinkedHashMap<>();
      Path modelFile = tmp.resolve(weightsName);
      // transformers' save_pretrained (and PEFT's) writes {"format": "pt"}; some loaders check it.
      SafeTensors.write(modelFile, weights, shapes, Map.of("format", "pt"),
          dtype.safetensorsName());
      weights = null; // let the copies go before the moments are written
      sizes.put(weightsName, Files.size(modelFile));
      faults.reached(Stage.MODEL_WRITTEN, weightsName);

      Path configFile = tmp.resolve(configName);
      if (adapter != null) {
        adapter.config().withBaseModel(sourceModelDir.toAbsolutePath().normalize().toString()).save(tmp);
        sync(configFile);
      } else {
        setDtype(config, dtype);
        writeSynced(configFile, pretty(config));
      }
      sizes.put(configName, Files.size(configFile));
      faults.reached(Stage.CONFIG_WRITTEN, configName);

      for (String name : COPIED_FILES) {
        Path from = sourceModelDir.resolve(name);
        if (Files.isRegularFile(from)) {
          Path to = tmp.resolve(name);
          Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
          sync(to);
          sizes.put(name, Files.size(to));
          faults.reached(Stage.FILE_COPIED, name);
        }
      }

      Path optimizerFile = tmp.resolve(OPTIMIZER_FILE);
      writeOptimizer(optimizerFile, state, shapes);
      sizes.put(OPTIMIZER_FILE, Files.size(optimizerFile));
      faults.reached(Stage.OPTIMIZER_WRITTEN, OPTIMIZER_FILE);

      writeSynced(tmp.resolve(TRAINER_STATE_FILE), stateJson(state, sizes));
      // The safetensors writer makes owner-only files (Files.createTempFile) and copies keep the
      // source's mode (read-only in a fixture folder); give every file the mode an ordinary new file
      // gets under the umask, as config.json did.
      matchPermissions(tmp, configFile);
      faults.reached(Stage.TRAINER_STATE_WRITTEN, TRAINER_STATE_FILE);

      sync(tmp);
      faults.reached(Stage.TEMP_FOLDER_SYNCED, tmp.getFileName().toString());

      Path aside = null;
      if (Files.exists(target)) {
        aside = createName(out, "." + PREFIX + step + ".old-");
        move(target, aside);
        faults.reached(Stage.OLD_FOLDER_MOVED_ASIDE, target.getFileName().toString());
      }
      move(tmp, target);
      tmp = null;
      faults.reached(Stage.RENAMED, target.getFileName().toString());
      sync(out);
      faults.reached(Stage.OUTPUT_FOLDER_SYNCED, out.getFileName().toString());

      if (aside != null) {
        deleteTree(aside);
        faults.reached(Stage.OLD_CHECKPOINT_DELETED, target.getFileName().toString());
      }
      for (Path old : beyondLimit(out, step, saveTotalLimit)) {
        Path doomed = createName(out, "." + old.getFileName() + ".deleting-");
        move(old, doomed);
        faults.reached(Stage.OLD_FOLDER_MOVED_ASIDE, old.getFileName().toString());
        deleteTree(doomed);
        faults.reached(Stage.OLD_CHECKPOINT_DELETED, old.getFileName().toString());
      }
      return target;
    } catch (IOException | RuntimeException e) {
      if (tmp != null) {
        try {
          deleteTree(tmp);
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed); // the next save removes it
        }
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("saving checkpoint " + target + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * The newest complete checkpoint in {@code outputDir}: a folder {@code checkpoint-<N>} with the
   * largest N whose trainer state parses, whose files are all present with the sizes the state
   * recorded, and whose safetensors headers parse. Broken folders are skipped with a warning;
   * dot-folders (unfinished saves) are never considered.
   *
   * @return empty when there is no complete checkpoint (or no output folder)
   */
  public static Optional<Path> latest(Path outputDir) {
    List<Path> candidates = checkpointFolders(outputDir.toAbsolutePath().normalize());
    for (int i = candidates.size() - 1; i >= 0; i--) {
      Path dir = candidates.get(i);
      try {
        verify(dir);
        return Optional.of(dir);
      } catch (BadInputException e) {
        LOG.warn("skipping incomplete checkpoint {}: {}", dir, e.getMessage());
      } catch (UncheckedIOException e) {
        LOG.warn("skipping unreadable checkpoint {}: {}", dir, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /**
   * Checks that a checkpoint folder is complete (see {@link #latest}).
   *
   * @throws BadInputException naming the first missing, truncated or malformed file
   */
  public static void verify(Path checkpointDir) {
    Path stateFile = checkpointDir.resolve(TRAINER_STATE_FILE);
    JsonNode root = readObject(stateFile);
    JsonNode files = root.get("files");
    if (files == null || !files.isObject()) {
      throw new BadInputException(stateFile, "no \"files\" object");
    }
    // a full model folder, or a LoRA adapter folder
    boolean lora = files.has(LoraConfig.CONFIG_FILE);
    String weightsName = lora ? LoraAdapter.WEIGHTS_FILE : SafeTensors.SINGLE_FILE;
    for (String required : List.of(lora ? LoraConfig.CONFIG_FILE : CONFIG_FILE, weightsName, OPTIMIZER_FILE)) {
      if (!files.has(required)) {
        throw new BadInputException(stateFile, "\"files\" does not list " + required);
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      if (name.isEmpty() || name.equals(".") || name.equals("..") || Path.of(name).getNameCount() != 1
          || name.contains("/") || name.contains("\\")) {
        throw new BadInputException(stateFile, "\"files\" names " + e.getKey()
            + ", which is not a file of this folder");
      }
      Path file = checkpointDir.resolve(name);
      if (!Files.isRegularFile(file)) {
        throw new BadInputException(file, "file is missing");
      }
      long size;
      try {
        size = Files.size(file);
      } catch (IOException ex) {
        throw new BadInputException(file, "cannot read: " + ex.getMessage(), ex);
      }
      if (!e.getValue().canConvertToLong() || e.getValue().asLong() != size) {
        throw new BadInputException(file, "file has " + size + " bytes but " + TRAINER_STATE_FILE
            + " recorded " + e.getValue() + " (truncated or replaced)");
      }
    }
    for (String name : List.of(weightsName, OPTIMIZER_FILE)) {
      // Opening parses and validates the header against the file size.
      try (SafeTensors ignored = SafeTensors.openFile(checkpointDir.resolve(name))) {
        // nothing more to check
      }
    }
  }

  /**
   * Reads the trainer state of a checkpoint folder: {@code trainer_state.json} and the moments of
   * {@code optimizer.safetensors}.
   *
   * @throws BadInputException naming the file when either is missing or malformed
   */
  public static TrainerState loadState(Path checkpointDir) {
    Path stateFile = checkpointDir.resolve(TRAINER_STATE_FILE);
    JsonNode root = readObject(stateFile);
    JsonNode format = root.get("format");
    if (format == null || !FORMAT.equals(format.asText())) {
      throw new BadInputException(stateFile, "not a dro4j trainer state (\"format\" is " + format
          + ", expected \"" + FORMAT + "\")");
    }
    long version = requiredLong(stateFile, root, "version");
    if (version != FORMAT_VERSION) {
      throw new BadInputException(stateFile, "trainer state version " + version
          + " is not supported (this dro4j reads version " + FORMAT_VERSION + ")");
    }
    long globalStep = requiredLong(stateFile, root, "global_step");
    long seed = requiredLong(stateFile, root, "seed");
    JsonNode epochNode = root.get("epoch");
    if (epochNode == null || !epochNode.isNumber() || epochNode.asDouble() < 0) {
      throw new BadInputException(stateFile, "field \"epoch\" must be a number >= 0, got " + epochNode);
    }
    long epoch = (long) Math.floor(epochNode.asDouble());
    long indexInEpoch = requiredLong(stateFile, root, "index_in_epoch");
    JsonNode optimizer = root.get("optimizer");
    if (optimizer == null || !optimizer.isObject()) {
      throw new BadInputException(stateFile, "missing \"optimizer\" object");
    }
    long stepCount = requiredLong(stateFile, optimizer, "step_count");
    long parameterCount = requiredLong(stateFile, optimizer, "parameters");

    Map<String, Object> config = objectMap(stateFile, root, "config");
    Map<String, Object> extra = new LinkedHashMap<>(objectMap(stateFile, root, "extra"));
    if (epochNode.isFloatingPointNumber()) {
      extra.put(TrainerState.EPOCH, epochNode.asDouble());
    }
    JsonNode history = root.get(TrainerState.LOG_HISTORY);
    if (history != null && history.isArray()) {
      extra.put(TrainerState.LOG_HISTORY, JSON.convertValue(history, List.class));
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    JsonNode metricsNode = root.get("metrics");
    if (metricsNode != null && !metricsNode.isNull()) {
      if (!metricsNode.isObject()) {
        throw new BadInputException(stateFile, "\"metrics\" is not an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = metricsNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        metrics.put(e.getKey(), metricValue(stateFile, e.getKey(), e.getValue()));
      }
    }

    Path optimizerFile = checkpointDir.resolve(OPTIMIZER_FILE);
    Map<String, float[]> expAvg = new LinkedHashMap<>();
    Map<String, float[]> expAvgSq = new LinkedHashMap<>();
    try (SafeTensors st = SafeTensors.openFile(optimizerFile)) {
      for (String name : st.names()) {
        if (name.startsWith(EXP_AVG_SQ)) {
          expAvgSq.put(name.substring(EXP_AVG_SQ.length()), st.floats(name));
        } else if (name.startsWith(EXP_AVG)) {
          expAvg.put(name.substring(EXP_AVG.length()), st.floats(name));
        } else {
          throw new BadInputException(optimizerFile, "unexpected tensor \"" + name
              + "\" (expected " + EXP_AVG + "<param> and " + EXP_AVG_SQ + "<param>)");
        }
      }
    }
    for (String name : expAvg.keySet()) {
      if (!expAvgSq.containsKey(name)) {
        throw new BadInputException(optimizerFile, "has " + EXP_AVG + name + " but no "
            + EXP_AVG_SQ + name);
      }
      if (expAvg.get(name).length != expAvgSq.get(name).length) {
        throw new BadInputException(optimizerFile, "moments of " + name + " differ in length");
      }
    }
    for (String name : expAvgSq.keySet()) {
      if (!expAvg.containsKey(name)) {
        throw new BadInputException(optimizerFile, "has " + EXP_AVG_SQ + name + " but no "
            + EXP_AVG + name);
      }
    }
    if (expAvg.size() != parameterCount) {
      throw new BadInputException(optimizerFile, "holds moments of " + expAvg.size()
          + " parameters but " + TRAINER_STATE_FILE + " recorded " + parameterCount);
    }
    try {
      return new TrainerState(globalStep, seed, epoch, indexInEpoch, stepCount, expAvg, expAvgSq,
          config, metrics, extra);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(stateFile, e.getMessage(), e);
    }
  }

  /**
   * Puts a checkpoint's optimizer state (step count and moments) into a freshly constructed AdamW.
   *
   * @see TrainerState#restoreOptimizer(AdamW)
   */
  public static void restoreOptimizer(TrainerState state, AdamW optimizer) {
    state.restoreOptimizer(optimizer);
  }

  /** The global step of a checkpoint folder from its name, or empty when it is not one. */
  public static Optional<Long> stepOf(Path checkpointDir) {
    Matcher m = CHECKPOINT_NAME.matcher(checkpointDir.getFileName().toString());
    return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  private static float[] floats(NDArray array) {
    if (array.getDataType() == DataType.FLOAT32) {
      return array.toFloatArray();
    }
    try (NDArray f = array.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  /** Refuses a source config.json that describes another architecture than the model being saved. */
  private static void checkSameModel(Path sourceConfig, Transformer model) {
    Map<String, long[]> expected = Transformer.parameterShapes(ModelConfig.load(sourceConfig));
    Map<String, NDArray> actual = model.parameters();
    boolean same = expected.keySet().equals(actual.keySet());
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      same = same && Arrays.equals(e.getValue(), actual.get(e.getKey()).getShape().getShape());
    }
    if (!same) {
      throw new BadInputException(sourceConfig, "describes a model with other parameters than the"
          + " one being saved (wrong source folder?)");
    }
  }

  /** Sets the dtype fields config.json already has, or torch_dtype when it has neither. */
  private static void setDtype(ObjectNode config, CheckpointDtype dtype) {
    boolean any = false;
    // transformers >= 4.56 writes "dtype", older versions "torch_dtype"; both read either.
    for (String field : List.of("torch_dtype", "dtype")) {
      if (config.has(field)) {
        config.put(field, dtype.torchName());
        any = true;
      }
    }
    if (!any) {
      config.put("torch_dtype", dtype.torchName());
    }
  }

  private static void writeOptimizer(Path file, TrainerState state, Map<String, long[]> modelShapes) {
    Map<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : state.expAvg().entrySet()) {
      String name = e.getKey();
      long[] shape = modelShapes.get(name);
      // The parameter's shape when it is one of the model's, else flat.
      if (shape == null || Arrays.stream(shape).reduce(1, Math::multiplyExact) != e.getValue().length) {
        shape = new long[] {e.getValue().length};
      }
      tensors.put(EXP_AVG + name, e.getValue());
      shapes.put(EXP_AVG + name, shape);
      tensors.put(EXP_AVG_SQ + name, state.expAvgSq().get(name));
      shapes.put(EXP_AVG_SQ + name, shape);
    }
    SafeTensors.write(file, tensors, shapes, Map.of("optimizer", "adamw"), "F32");
  }

  private static byte[] stateJson(TrainerState state, Map<String, Long> files)
      throws JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", FORMAT_VERSION);
    root.put("global_step", state.globalStep());
    root.put("seed", state.seed());
    // transformers' epoch: fractional, the value the step metrics report (when the trainer gave one)
    if (state.extra().get(TrainerState.EPOCH) instanceof Double fractional) {
      root.put("epoch", fractional);
    } else {
      root.put("epoch", state.epoch());
    }
    root.put("index_in_epoch", state.indexInEpoch());
    ObjectNode optimizer = root.putObject("optimizer");
    optimizer.put("name", "adamw");
    optimizer.put("step_count", state.optimizerStepCount());
    optimizer.put("parameters", state.expAvg().size());
    optimizer.put("file", OPTIMIZER_FILE);
    ObjectNode metrics = root.putObject("metrics");
    state.metrics().forEach((k, v) -> {
      if (v == null) {
        metrics.putNull(k);
      } else if (Double.isFinite(v)) {
        metrics.put(k, v);
      } else {
        metrics.put(k, nonFiniteName(v));
      }
    });
    root.set("config", JSON.valueToTree(state.config()));
    Map<String, Object> extra = new LinkedHashMap<>(state.extra());
    extra.remove(TrainerState.EPOCH);
    Object history = extra.remove(TrainerState.LOG_HISTORY);
    root.set("extra", JSON.valueToTree(extra));
    if (history != null) {
      root.set(TrainerState.LOG_HISTORY, JSON.valueToTree(history));
    }
    ObjectNode sizes = root.putObject("files");
    files.forEach(sizes::put);
    return pretty(root);
  }

  private static byte[] pretty(JsonNode node) throws JsonProcessingException {
    byte[] body = PRETTY.writeValueAsBytes(node);
    byte[] out = Arrays.copyOf(body, body.length + 1);
    out[body.length] = '\n';
    return out;
  }

  static String nonFiniteName(double v) {
    return Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  }

  private static Double metricValue(Path file, String key, JsonNode v) {
    if (v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      switch (v.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new BadInputException(file, "metric \"" + key + "\" is " + v + ", not a number");
  }

  private static void writeSynced(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  /** fsync of a file or a folder (a folder's entries: needed for renames to survive power loss). */
  private static void sync(Path path) throws IOException {
    boolean dir = Files.isDirectory(path);
    try (FileChannel ch = FileChannel.open(path, dir
        ? new StandardOpenOption[] {StandardOpenOption.READ}
        : new StandardOpenOption[] {StandardOpenOption.WRITE})) {
      ch.force(true);
    } catch (IOException e) {
      if (!dir) {
        throw e;
      }
      // Some platforms (Windows) cannot open a folder; their renames are durable without it.
    }
  }

  private static void matchPermissions(Path dir, Path like) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(like, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> perms = view.readAttributes().permissions();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Files.setPosixFilePermissions(f, perms);
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      // Same folder, so this only happens on unusual file systems; a plain rename is the best left.
      Files.move(from, to);
    }
  }

  private static String randomSuffix() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  /** Creates a new folder {@code prefix<random>} in {@code dir}. */
  private static Path createUnique(Path dir, String prefix) throws IOException {
    while (true) {
      try {
        return Files.createDirectory(dir.resolve(prefix + randomSuffix()));
      } catch (FileAlreadyExistsException e) {
        // astronomically unlikely; draw again
      }
    }
  }

  /** A name {@code prefix<random>} in {@code dir} that does not exist yet. */
  private static Path createName(Path dir, String prefix) {
    while (true) {
      Path p = dir.resolve(prefix + randomSuffix());
      if (!Files.exists(p)) {
        return p;
      }
    }
  }

  /** Removes the dot-folders left by interrupted saves; returns how many. */
  private static int removeScratchFolders(Path out) throws IOException {
    List<Path> scratch = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(out)) {
      for (Path p : entries) {
        if (SCRATCH_NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
          scratch.add(p);
        }
      }
    }
    for (Path p : scratch) {
      LOG.info("removing {} left by an interrupted checkpoint save", p);
      deleteTree(p);
    }
    return scratch.size();
  }

  /** The checkpoint folders to delete so that the newest {@code limit} remain (never {@code keep}). */
  private static List<Path> beyondLimit(Path out, long keep, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    List<Path> all = checkpointFolders(out);
    List<Path> doomed = new ArrayList<>();
    int kept = 1; // the one just written
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      if (stepOf(p).orElseThrow() == keep) {
        continue;
      }
      if (kept < limit) {
        kept++;
      } else {
        doomed.add(p);
      }
    }
    Collections.reverse(doomed); // oldest first: an interrupted rotation leaves the newer ones
    return doomed;
  }

  /** Folders named {@code checkpoint-<N>}, sorted by N. */
  private static List<Path> checkpointFolders(Path out) {
    TreeMap<Long, Path> byStep = new TreeMap<>();
    if (!Files.isDirectory(out)) {
      return List.of();
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(out)) {
      for (Path p : entries) {
        Optional<Long> step = stepOf(p);
        if (step.isPresent() && Files.isDirectory(p)) {
          byStep.put(step.get(), p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + out, e);
    }
    return new ArrayList<>(byStep.values());
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private static ObjectNode readObject(Path file) {
    try {
      JsonNode root = JSON.readTree(Files.readAllBytes(file));
      if (root == null || !root.isObject()) {
        throw new BadInputException(file, "malformed JSON: expected an object");
      }
      return (ObjectNode) root;
    } catch (NoSuchFileException e) {
      throw new BadInputException(file, "file does not exist", e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(file, "malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static long requiredLong(Path file, JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
      throw new BadInputException(file, "field \"" + field + "\" must be an integer, got " + v);
    }
    return v.asLong();
  }

  private static Map<String, Object> objectMap(Path file, JsonNode root, String field) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new BadInputException(file, "\"" + field + "\" is not an object");
    }
    return JSON.convertValue(v, new TypeReference<LinkedHashMap<String, Object>>() {});
  }
}
