package dro4j.rl.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.model.ModelConfig;
import dro4j.model.SafeTensors;
import dro4j.model.TensorEngine;
import dro4j.model.Transformer;
import dro4j.rl.AdamW;
import dro4j.rl.NamedParameter;
import dro4j.rl.checkpoint.Checkpoints.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints: Hugging Face layout, exact round trips, rotation, and crashes at every point of the
 * write sequence.
 */
class CheckpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int[] TOKENS = {1, 403, 261, 39, 90, 7, 300, 2};

  static NDManager manager;
  static Path storiesDir;
  static Path qwenDir;
  /** stories260K with every weight moved a little, so a saved copy of the source would be caught. */
  static Transformer stories;
  static Transformer qwen;

  @BeforeAll
  static void load() {
    manager = TensorEngine.newManager();
    storiesDir = Fixtures.fixture("stories260K");
    qwenDir = Fixtures.fixture("tiny-qwen2");
    stories = perturbed(storiesDir, 1);
    qwen = perturbed(qwenDir, 2);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static Transformer perturbed(Path dir, long seed) {
    Transformer t = Transformer.load(dir, ModelConfig.loadFromDir(dir), manager);
    Random rng = new Random(seed);
    for (NDArray p : t.parameters().values()) {
      float[] noise = new float[Math.toIntExact(p.size())];
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) (rng.nextGaussian() * 1e-3);
      }
      try (NDArray n = manager.create(noise, p.getShape())) {
        p.addi(n);
      }
    }
    return t;
  }

  /** A state with moments for every parameter of {@code model}, different for each step. */
  static TrainerState state(Transformer model, long step) {
    Random rng = new Random(step);
    Map<String, float[]> m = new LinkedHashMap<>();
    Map<String, float[]> v = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      int n = Math.toIntExact(e.getValue().size());
      float[] a = new float[n];
      float[] b = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) rng.nextGaussian();
        b[i] = rng.nextFloat();
      }
      m.put(e.getKey(), a);
      v.put(e.getKey(), b);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("learning_rate", 1e-6);
    config.put("num_generations", 16);
    config.put("loss_type", "dr_grpo");
    config.put("reward_funcs", List.of("r3", "length"));
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("reward", 0.25 * step);
    metrics.put("grad_norm", Double.NaN);
    return new TrainerState(step, 42, step / 10, step % 10 * 4, step, m, v, config, metrics,
        Map.of("skipped_updates", 0));
  }

  static Path save(Path out, long step, int limit) {
    return Checkpoints.save(out, step, stories, storiesDir, state(stories, step),
        CheckpointDtype.FLOAT32, limit);
  }

  static float[][] logits(Transformer model, int[] ids) {
    try (NDManager m = manager.newSubManager()) {
      boolean[][] valid = {new boolean[ids.length]};
      Arrays.fill(valid[0], true);
      NDArray out = model.logits(model.forward(new int[][] {ids}, valid, m));
      float[] flat = out.toFloatArray();
      int vocab = model.config().vocabSize();
      float[][] rows = new float[ids.length][];
      for (int r = 0; r < ids.length; r++) {
        rows[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
      }
      return rows;
    }
  }

  /** The checkpoint loads with our runtime, with exactly the weights and state that were saved. */
  static void assertLoads(Path checkpoint, Transformer expectedModel, TrainerState expectedState) {
    try (LanguageModel lm = LanguageModel.load(checkpoint)) {
      assertSameParameters(lm.transformer(), expectedModel);
    }
    assertThat(Checkpoints.loadState(checkpoint)).isEqualTo(expectedState);
  }

  static void assertSameParameters(Transformer actual, Transformer expected) {
    assertThat(actual.parameters().keySet()).isEqualTo(expected.parameters().keySet());
    for (Map.Entry<String, NDArray> e : expected.parameters().entrySet()) {
      float[] want = e.getValue().toFloatArray();
      float[] got = actual.parameters().get(e.getKey()).toFloatArray();
      // Arrays.equals on float[] compares bit patterns (floatToIntBits)
      assertThat(Arrays.equals(got, want)).as(e.getKey()).isTrue();
    }
  }

  static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static Set<String> names(Path safetensors) {
    try (SafeTensors st = SafeTensors.openFile(safetensors)) {
      return new TreeSet<>(st.names());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Round trips and layout

  @Test
  void float32RoundTripIsBitIdenticalAndGivesTheSameLogits(@TempDir Path out) {
    TrainerState state = state(stories, 7);
    Path ckpt = Checkpoints.save(out, 7, stories, storiesDir, state, CheckpointDtype.FLOAT32, 0);

    assertThat(ckpt).isEqualTo(out.toAbsolutePath().resolve("checkpoint-7"));
    assertLoads(ckpt, stories, state);
    try (LanguageModel lm = LanguageModel.load(ckpt);
        LanguageModel source = LanguageModel.load(storiesDir)) {
      float[][] want = logits(stories, TOKENS);
      float[][] got = logits(lm.transformer(), TOKENS);
      for (int r = 0; r < TOKENS.length; r++) {
        assertThat(got[r]).as("position %d", r).containsExactly(want[r]);
      }
      // the copied tokenizer and generation defaults behave as the source's
      String text = "Once upon a time, there was a little dog.";
      assertThat(lm.tokenizer().encode(text, true)).containsExactly(source.tokenizer().encode(text, true));
      assertThat(lm.eosTokenIds()).isEqualTo(source.eosTokenIds());
    }
    // the perturbation is large enough that the source weights would fail the comparison
    try (LanguageModel source = LanguageModel.load(storiesDir)) {
      assertThat(Arrays.equals(source.transformer().parameters().get("model.norm.weight").toFloatArray(),
          stories.parameters().get("model.norm.weight").toFloatArray())).isFalse();
    }
  }

  @Test
  void bfloat16CheckpointHoldsTheRoundedWeights(@TempDir Path out) throws IOException {
    TrainerState state = state(qwen, 3);
    Path ckpt = Checkpoints.save(out, 3, qwen, qwenDir, state, CheckpointDtype.BFLOAT16, 0);

    try (SafeTensors st = SafeTensors.openFile(ckpt.resolve("model.safetensors"))) {
      for (String name : st.names()) {
        assertThat(st.info(name).dtype()).as(name).isEqualTo("BF16");
      }
    }
    try (SafeTensors st = SafeTensors.openFile(ckpt.resolve("optimizer.safetensors"))) {
      for (String name : st.names()) {
        assertThat(st.info(name).dtype()).as(name).isEqualTo("F32");
      }
    }
    try (LanguageModel lm = LanguageModel.load(ckpt)) {
      for (Map.Entry<String, NDArray> e : qwen.parameters().entrySet()) {
        float[] original = e.getValue().toFloatArray();
        float[] loaded = lm.transformer().parameters().get(e.getKey()).toFloatArray();
        float[] rounded = new float[original.length];
        boolean anyChanged = false;
        for (int i = 0; i < original.length; i++) {
          rounded[i] = SafeTensors.bf16ToFloat(SafeTensors.floatToBf16(original[i]));
          anyChanged |= rounded[i] != original[i];
        }
        assertThat(loaded).as(e.getKey()).containsExactly(rounded);
        assertThat(anyChanged).as("%s has values that bf16 cannot hold", e.getKey()).isTrue();
      }
    }
    JsonNode config = JSON.readTree(ckpt.resolve("config.json").toFile());
    assertThat(config.get("dtype").asText()).isEqualTo("bfloat16");
    assertThat(config.has("torch_dtype")).as("no second dtype field added").isFalse();
    // moments stay fp32, exactly
    assertThat(Checkpoints.loadState(ckpt)).isEqualTo(state);
  }

  @Test
  void configKeepsEveryOtherFieldAndItsOrder(@TempDir Path tmp) throws IOException {
    Path source = tmp.resolve("source");
    copyFolder(storiesDir, source);
    ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
    config.putObject("my_custom_block").put("alpha", 0.125).putNull("nothing")
        .putArray("list").add(1).add("two").add(3.5e-7);
    config.put("unknown_flag", true);
    config.put("big_id", 12345678901234L);
    Files.writeString(source.resolve("config.json"), config.toPrettyString());

    Path ckpt = Checkpoints.save(tmp.resolve("out"), 1, stories, source, state(stories, 1),
        CheckpointDtype.BFLOAT16, 0);

    JsonNode saved = JSON.readTree(ckpt.resolve("config.json").toFile());
    List<String> savedOrder = new ArrayList<>();
    saved.fieldNames().forEachRemaining(savedOrder::add);
    List<String> sourceOrder = new ArrayList<>();
    config.fieldNames().forEachRemaining(sourceOrder::add);
    assertThat(savedOrder).isEqualTo(sourceOrder);
    ObjectNode expected = config.deepCopy();
    expected.put("torch_dtype", "bfloat16");
    assertThat(saved).isEqualTo(expected);
    assertThat(saved.get("rope_scaling").isNull()).isTrue();
    // written as transformers writes JSON
    String text = Files.readString(ckpt.resolve("config.json"));
    assertThat(text).startsWith("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n");
    assertThat(text).endsWith("}\n");
  }

  @Test
  void configWithoutDtypeGetsTorchDtype(@TempDir Path tmp) throws IOException {
    Path source = tmp.resolve("source");
    copyFolder(storiesDir, source);
    ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
    config.remove("torch_dtype");
    Files.writeString(source.resolve("config.json"), config.toPrettyString());
    Path ckpt = Checkpoints.save(tmp.resolve("out"), 1, stories, source, state(stories, 1),
        CheckpointDtype.FLOAT32, 0);
    JsonNode saved = JSON.readTree(ckpt.resolve("config.json").toFile());
    assertThat(saved.get("torch_dtype").asText()).isEqualTo("float32");
    assertThat(saved.has("dtype")).isFalse();
  }

  /** The Hugging Face layout, checked without Python: same tensor names as the source model. */
  @Test
  void layoutMatchesTheSourceModelFolder(@TempDir Path out) throws IOException {
    Path tied = Checkpoints.save(out.resolve("stories"), 2, stories, storiesDir,
        state(stories, 2), CheckpointDtype.FLOAT32, 0);
    Path untied = Checkpoints.save(out.resolve("qwen"), 2, qwen, qwenDir, state(qwen, 2),
        CheckpointDtype.BFLOAT16, 0);

    for (Path[] pair : new Path[][] {{tied, storiesDir}, {untied, qwenDir}}) {
      Path ckpt = pair[0];
      Path source = pair[1];
      assertThat(names(ckpt.resolve("model.safetensors")))
          .isEqualTo(names(source.resolve("model.safetensors")));
      try (SafeTensors st = SafeTensors.openFile(ckpt.resolve("model.safetensors"));
          SafeTensors src = SafeTensors.openFile(source.resolve("model.safetensors"))) {
        assertThat(st.metadata()).isEqualTo(Map.of("format", "pt"));
        for (String name : src.names()) {
          assertThat(st.info(name).shape()).as(name).containsExactly(src.info(name).shape());
        }
      }
      // every tokenizer/generation file of the source, byte for byte
      for (String f : Checkpoints.COPIED_FILES) {
        if (Files.exists(source.resolve(f))) {
          assertThat(Files.readAllBytes(ckpt.resolve(f))).as(f)
              .isEqualTo(Files.readAllBytes(source.resolve(f)));
        } else {
          assertThat(ckpt.resolve(f)).doesNotExist();
        }
      }
      // optimizer moments named after the parameters, shaped like them
      try (SafeTensors opt = SafeTensors.openFile(ckpt.resolve("optimizer.safetensors"));
          SafeTensors src = SafeTensors.openFile(source.resolve("model.safetensors"))) {
        for (String name : src.names()) {
          assertThat(opt.info("exp_avg." + name).shape()).containsExactly(src.info(name).shape());
          assertThat(opt.info("exp_avg_sq." + name).shape()).containsExactly(src.info(name).shape());
        }
        assertThat(opt.names()).hasSize(2 * src.names().size());
      }
    }
    assertThat(names(tied.resolve("model.safetensors"))).doesNotContain("lm_head.weight");
    assertThat(names(untied.resolve("model.safetensors"))).contains("lm_head.weight");
    assertThat(entries(tied)).containsExactly("config.json", "generation_config.json",
        "model.safetensors", "optimizer.safetensors", "tokenizer.json", "tokenizer_config.json",
        "trainer_state.json");
    // nothing but the checkpoint in the output folder
    assertThat(entries(out.resolve("stories"))).containsExactly("checkpoint-2");
  }

  @Test
  void savedFilesAreNotOwnerOnly(@TempDir Path out) throws IOException {
    Path ckpt = save(out, 1, 0);
    var config = Files.getPosixFilePermissions(ckpt.resolve("config.json"));
    for (String f : entries(ckpt)) {
      assertThat(Files.getPosixFilePermissions(ckpt.resolve(f))).as(f).isEqualTo(config);
      assertThat(Files.isWritable(ckpt.resolve(f))).as(f).isTrue();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Trainer state and optimizer

  @Test
  void optimizerContinuesExactlyAfterRestore(@TempDir Path out) {
    // Two parameters of stories, a few AdamW steps, checkpoint, then the same steps on a restored
    // optimizer and on the original must give bit-identical parameters.
    try (NDManager m = manager.newSubManager()) {
      String[] names = {"model.norm.weight", "model.layers.0.mlp.up_proj.weight"};
      NDArray[] live = new NDArray[names.length];
      for (int i = 0; i < names.length; i++) {
        live[i] = stories.parameters().get(names[i]).duplicate();
        live[i].attach(m);
      }
      AdamW original = new AdamW(m, 0.9, 0.999, 1e-8, 0.01, AdamW.transformersDecayFilter());
      Random rng = new Random(5);
      for (int s = 0; s < 3; s++) {
        original.step(params(m, names, live, rng), 1e-2);
      }
      TrainerState state = TrainerState.capture(3, 42, 0, 12, original, Map.of(), Map.of(), Map.of());
      TrainerState loaded = Checkpoints.loadState(Checkpoints.save(out, 3, stories, storiesDir,
          stateWithMomentsOf(state), CheckpointDtype.FLOAT32, 0));
      assertThat(loaded.optimizerStepCount()).isEqualTo(3);

      NDArray[] resumed = new NDArray[names.length];
      for (int i = 0; i < names.length; i++) {
        resumed[i] = live[i].duplicate();
      }
      AdamW restored = new AdamW(m, 0.9, 0.999, 1e-8, 0.01, AdamW.transformersDecayFilter());
      Checkpoints.restoreOptimizer(loaded, restored);
      long seed = 77;
      Random a = new Random(seed);
      Random b = new Random(seed);
      for (int s = 0; s < 2; s++) {
        original.step(params(m, names, live, a), 1e-2);
        restored.step(params(m, names, resumed, b), 1e-2);
      }
      for (int i = 0; i < names.length; i++) {
        assertThat(resumed[i].toFloatArray()).as(names[i]).containsExactly(live[i].toFloatArray());
      }
      assertThat(restored.stepCount()).isEqualTo(5);
    }
  }

  /** Moments for exactly the captured parameters (the model has more; the state names only two). */
  private static TrainerState stateWithMomentsOf(TrainerState s) {
    return new TrainerState(s.globalStep(), s.seed(), s.epoch(), s.indexInEpoch(),
        s.optimizerStepCount(), s.expAvg(), s.expAvgSq(), s.config(), s.metrics(), s.extra());
  }

  private static List<NamedParameter> params(NDManager m, String[] names, NDArray[] data, Random rng) {
    List<NamedParameter> out = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      float[] g = new float[Math.toIntExact(data[i].size())];
      for (int j = 0; j < g.length; j++) {
        g[j] = (float) rng.nextGaussian();
      }
      out.add(new NamedParameter(names[i], data[i], m.create(g, data[i].getShape())));
    }
    return out;
  }

  @Test
  void stateJsonRoundTripsConfigMetricsAndExtra(@TempDir Path out) throws IOException {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("learning_rate", 1e-6f); // a float: widened exactly, and read back equal
    config.put("beta", 0.001);
    config.put("num_generations", 16);
    config.put("big", 1L << 40);
    config.put("nested", Map.of("k", List.of(1, 2.5, "s")));
    config.put("scale_rewards", CheckpointDtype.BFLOAT16);
    config.put("nothing", null);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("reward", 0.5);
    metrics.put("kl", Double.NaN);
    metrics.put("loss", Double.POSITIVE_INFINITY);
    metrics.put("entropy", Double.NEGATIVE_INFINITY);
    metrics.put("missing", null);
    TrainerState state = new TrainerState(4, -3, 1, 17, 3, Map.of(), Map.of(), config, metrics,
        Map.of("rng_note", "derived from (seed, step, row)"));
    Path ckpt = Checkpoints.save(out, 4, stories, storiesDir, state, CheckpointDtype.FLOAT32, 0);

    TrainerState loaded = Checkpoints.loadState(ckpt);
    assertThat(loaded).isEqualTo(state);
    assertThat(loaded.config().get("num_generations")).isEqualTo(16L);
    assertThat(loaded.config().get("learning_rate")).isEqualTo((double) 1e-6f);
    assertThat(loaded.config().get("scale_rewards")).isEqualTo("BFLOAT16");
    assertThat(loaded.metrics().get("kl")).isNaN();
    JsonNode json = JSON.readTree(ckpt.resolve("trainer_state.json").toFile());
    assertThat(json.get("metrics").get("kl").asText()).isEqualTo("NaN");
    assertThat(json.get("metrics").get("loss").asText()).isEqualTo("Infinity");
    assertThat(json.get("global_step").asLong()).isEqualTo(4);
    assertThat(json.get("index_in_epoch").asLong()).isEqualTo(17);
    assertThat(new ArrayList<>(loaded.config().keySet())).isEqualTo(new ArrayList<>(config.keySet()));
  }

  @Test
  void stateRejectsValuesJsonCannotHold() {
    assertThatThrownBy(() -> new TrainerState(1, 0, 0, 0, 0, Map.of(), Map.of(),
        Map.of("lr", Double.NaN), Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("config.lr");
    assertThatThrownBy(() -> new TrainerState(1, 0, 0, 0, 0, Map.of(), Map.of(), Map.of(),
        Map.of(), Map.of("x", List.of(new Object()))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("extra.x[0]");
    assertThatThrownBy(() -> new TrainerState(1, 0, 0, 0, 0, Map.of("a", new float[2]),
        Map.of("a", new float[3]), Map.of(), Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in length");
    assertThatThrownBy(() -> new TrainerState(1, 0, 0, 0, 0, Map.of("a", new float[2]),
        Map.of(), Map.of(), Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void loadStateErrorsNameTheFile(@TempDir Path out) throws IOException {
    Path ckpt = save(out, 1, 0);
    Path stateFile = ckpt.resolve("trainer_state.json");
    String good = Files.readString(stateFile);

    Files.writeString(stateFile, good.replace("\"global_step\": 1", "\"global_step\": \"one\""));
    assertThatThrownBy(() -> Checkpoints.loadState(ckpt)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(stateFile.toString()).hasMessageContaining("global_step");

    Files.writeString(stateFile, good.substring(0, good.length() / 2));
    assertThatThrownBy(() -> Checkpoints.loadState(ckpt)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(stateFile.toString()).hasMessageContaining("malformed JSON");

    Files.writeString(stateFile, good);
    Path opt = ckpt.resolve("optimizer.safetensors");
    Map<String, float[]> tensors = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    tensors.put("exp_avg.model.norm.weight", new float[64]);
    shapes.put("exp_avg.model.norm.weight", new long[] {64});
    SafeTensors.write(opt, tensors, shapes, Map.of());
    assertThatThrownBy(() -> Checkpoints.loadState(ckpt)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(opt.toString()).hasMessageContaining("exp_avg_sq.model.norm.weight");

    Files.delete(opt);
    assertThatThrownBy(() -> Checkpoints.loadState(ckpt)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(opt.toString());
  }

  @Test
  void refusesMismatchedStepAndSourceFolder(@TempDir Path out) {
    assertThatThrownBy(() -> Checkpoints.save(out, 5, stories, storiesDir, state(stories, 4),
        CheckpointDtype.FLOAT32, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Checkpoints.save(out, 4, stories, qwenDir, state(stories, 4),
        CheckpointDtype.FLOAT32, 0)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(qwenDir.resolve("config.json").toString());
    assertThatThrownBy(() -> Checkpoints.save(out, 4, stories, out, state(stories, 4),
        CheckpointDtype.FLOAT32, 0)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("config.json");
    assertThat(Checkpoints.latest(out)).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Rotation

  @Test
  void saveTotalLimitKeepsTheNewestK(@TempDir Path out) throws IOException {
    for (long step = 1; step <= 5; step++) {
      save(out, step * 10, 2);
    }
    assertThat(entries(out)).containsExactly("checkpoint-40", "checkpoint-50");
    // steps compare as numbers, not strings: 100 is newer than 50
    save(out, 100, 2);
    assertThat(entries(out)).containsExactly("checkpoint-100", "checkpoint-50");
    // the checkpoint just written is never deleted, even when it is not among the newest K
    save(out, 20, 1);
    assertThat(entries(out)).containsExactly("checkpoint-20");
    assertThat(Checkpoints.latest(out)).contains(out.toAbsolutePath().resolve("checkpoint-20"));
  }

  @Test
  void zeroOrNegativeLimitKeepsAll(@TempDir Path out) throws IOException {
    for (long step = 1; step <= 3; step++) {
      save(out, step, 0);
    }
    save(out, 4, -1);
    assertThat(entries(out)).containsExactly("checkpoint-1", "checkpoint-2", "checkpoint-3",
        "checkpoint-4");
    assertThat(Checkpoints.latest(out)).contains(out.toAbsolutePath().resolve("checkpoint-4"));
  }

  @Test
  void savingTheSameStepAgainReplacesTheFolder(@TempDir Path out) {
    save(out, 3, 0);
    TrainerState second = state(stories, 3).withPosition(3, 9, 9);
    Checkpoints.save(out, 3, stories, storiesDir, second, CheckpointDtype.FLOAT32, 0);
    assertLoads(out.toAbsolutePath().resolve("checkpoint-3"), stories, second);
  }

  // ---------------------------------------------------------------------------------------------
  // Crashes

  /** Thrown by the fault injector: an Error, so the save stops as if the process had been killed. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash(Stage stage, String detail) {
      super("simulated crash after " + stage + " " + detail);
    }
  }

  record Point(Stage stage, String detail) {}

  /** The write sequence of saving {@code step} with save_total_limit 1. */
  private static List<Point> recordSequence(Path out, long step, Transformer model) {
    List<Point> points = new ArrayList<>();
    Checkpoints.save(out, step, model, storiesDir, state(model, step), CheckpointDtype.FLOAT32, 1,
        (stage, detail) -> points.add(new Point(stage, detail)));
    return points;
  }

  private static Checkpoints.FaultInjector crashAt(int index) {
    int[] calls = {0};
    return (stage, detail) -> {
      if (calls[0]++ == index) {
        throw new SimulatedCrash(stage, detail);
      }
    };
  }

  @Test
  void crashAtEveryPointLeavesTheLastCompleteCheckpoint(@TempDir Path tmp) throws IOException {
    // Limit 1: the save of step 3 deletes both earlier checkpoints, so deleting one too early
    // would leave nothing to resume from.
    Path dry = tmp.resolve("dry");
    save(dry, 1, 0);
    save(dry, 2, 0);
    List<Point> sequence = recordSequence(dry, 3, stories);
    assertThat(sequence.stream().map(Point::stage).distinct()).containsExactly(
        Stage.STALE_FOLDERS_CLEANED, Stage.TEMP_FOLDER_CREATED, Stage.MODEL_WRITTEN,
        Stage.CONFIG_WRITTEN, Stage.FILE_COPIED, Stage.OPTIMIZER_WRITTEN,
        Stage.TRAINER_STATE_WRITTEN, Stage.TEMP_FOLDER_SYNCED, Stage.RENAMED,
        Stage.OUTPUT_FOLDER_SYNCED, Stage.OLD_FOLDER_MOVED_ASIDE, Stage.OLD_CHECKPOINT_DELETED);
    assertThat(sequence).filteredOn(p -> p.stage() == Stage.OLD_CHECKPOINT_DELETED)
        .extracting(Point::detail).containsExactly("checkpoint-1", "checkpoint-2");
    int renamedAt = sequence.indexOf(new Point(Stage.RENAMED, "checkpoint-3"));

    for (int i = 0; i < sequence.size(); i++) {
      Point point = sequence.get(i);
      Path out = tmp.resolve("crash-" + i);
      save(out, 1, 0);
      save(out, 2, 0);
      int index = i;
      assertThatThrownBy(() -> Checkpoints.save(out, 3, stories, storiesDir, state(stories, 3),
          CheckpointDtype.FLOAT32, 1, crashAt(index))).as("%s", point)
          .isInstanceOf(SimulatedCrash.class);

      long expectedStep = i < renamedAt ? 2 : 3;
      Optional<Path> latest = Checkpoints.latest(out);
      assertThat(latest).as("after a crash at %s", point)
          .contains(out.toAbsolutePath().resolve("checkpoint-" + expectedStep));
      assertLoads(latest.orElseThrow(), stories, state(stories, expectedStep));
      if (i > 0 && i < renamedAt) {
        assertThat(entries(out)).as("the interrupted write is left behind, as a kill leaves it")
            .anyMatch(n -> n.startsWith(".checkpoint-3.tmp-"));
      }

      // The next save (resuming from the latest, saving step 3 again) succeeds and cleans up.
      Path again = Checkpoints.save(out, 3, stories, latest.orElseThrow(), state(stories, 3),
          CheckpointDtype.FLOAT32, 1);
      assertThat(entries(out)).as("after the save that follows a crash at %s", point)
          .containsExactly("checkpoint-3");
      assertThat(Checkpoints.latest(out)).contains(again);
      assertLoads(again, stories, state(stories, 3));
    }
  }

  @Test
  void crashWhileReplacingTheSameStepFallsBackToAnEarlierCheckpoint(@TempDir Path tmp)
      throws IOException {
    // The second save of step 2 carries another data position, to tell old from new.
    TrainerState newer = state(stories, 2).withPosition(2, 5, 5);
    Path dry = tmp.resolve("dry");
    save(dry, 1, 0);
    save(dry, 2, 0);
    List<Point> sequence = new ArrayList<>();
    Checkpoints.save(dry, 2, stories, storiesDir, newer, CheckpointDtype.FLOAT32, 0,
        (stage, detail) -> sequence.add(new Point(stage, detail)));
    List<Stage> stages = sequence.stream().map(Point::stage).toList();
    int asideAt = stages.indexOf(Stage.OLD_FOLDER_MOVED_ASIDE);
    int renamedAt = stages.indexOf(Stage.RENAMED);
    assertThat(asideAt).isPositive().isEqualTo(renamedAt - 1);
    assertThat(stages.get(stages.size() - 1)).isEqualTo(Stage.OLD_CHECKPOINT_DELETED);

    for (int i = 0; i < sequence.size(); i++) {
      Path out = tmp.resolve("crash-" + i);
      save(out, 1, 0);
      save(out, 2, 0);
      int index = i;
      assertThatThrownBy(() -> Checkpoints.save(out, 2, stories, storiesDir, newer,
          CheckpointDtype.FLOAT32, 0, crashAt(index))).isInstanceOf(SimulatedCrash.class);

      Path latest = Checkpoints.latest(out).orElseThrow();
      if (i < asideAt) {
        assertLoads(latest, stories, state(stories, 2)); // the old step-2 checkpoint
      } else if (i < renamedAt) {
        assertLoads(latest, stories, state(stories, 1)); // documented: step 2 is briefly absent
      } else {
        assertLoads(latest, stories, newer);
      }
      Checkpoints.save(out, 2, stories, storiesDir, newer, CheckpointDtype.FLOAT32, 0);
      assertThat(entries(out)).containsExactly("checkpoint-1", "checkpoint-2");
      assertLoads(Checkpoints.latest(out).orElseThrow(), stories, newer);
    }
  }

  @Test
  void failureWithAnExceptionRemovesTheTemporaryFolder(@TempDir Path out) throws IOException {
    save(out, 1, 0);
    assertThatThrownBy(() -> Checkpoints.save(out, 2, stories, storiesDir, state(stories, 2),
        CheckpointDtype.FLOAT32, 0, (stage, detail) -> {
          if (stage == Stage.OPTIMIZER_WRITTEN) {
            throw new IOException("disk full (simulated)");
          }
        })).isInstanceOf(UncheckedIOException.class).hasMessageContaining("disk full")
        .hasMessageContaining("checkpoint-2");
    assertThat(entries(out)).containsExactly("checkpoint-1");
  }

  @Test
  void latestSkipsBrokenCheckpointsAndUnfinishedWrites(@TempDir Path out) throws IOException {
    assertThat(Checkpoints.latest(out.resolve("nothing-here"))).isEmpty();
    save(out, 1, 0);
    save(out, 2, 0);
    Path third = save(out, 3, 0);
    Path abs = out.toAbsolutePath();

    // A kill during someone else's non-atomic copy: model.safetensors cut short.
    Path model = third.resolve("model.safetensors");
    long size = Files.size(model);
    try (FileChannel ch = FileChannel.open(model, StandardOpenOption.WRITE)) {
      ch.truncate(size / 2);
    }
    assertThat(Checkpoints.latest(out)).contains(abs.resolve("checkpoint-2"));
    assertThatThrownBy(() -> Checkpoints.verify(third)).isInstanceOf(BadInputException.class)
        .hasMessageContaining(model.toString());

    // Same size but a header that no longer parses.
    Path second = abs.resolve("checkpoint-2");
    Path opt = second.resolve("optimizer.safetensors");
    byte[] bytes = Files.readAllBytes(opt);
    bytes[9] = '#';
    Files.write(opt, bytes);
    assertThat(Checkpoints.latest(out)).contains(abs.resolve("checkpoint-1"));

    // A truncated tokenizer file and a missing trainer state are caught too.
    Path first = abs.resolve("checkpoint-1");
    Path copy = abs.resolve("checkpoint-0");
    copyFolder(first, copy);
    Files.writeString(first.resolve("tokenizer.json"), "{");
    Files.delete(copy.resolve("trainer_state.json"));
    assertThat(Checkpoints.latest(out)).isEmpty();

    // A complete-looking temporary folder of a later step is never taken, and the next save
    // removes it. Also ignored: names that only look like checkpoints.
    Path fakeTmp = abs.resolve(".checkpoint-9.tmp-abc123");
    copyFolder(storiesDir, fakeTmp);
    Files.createDirectory(abs.resolve("checkpoint-x"));
    Files.writeString(abs.resolve("checkpoint-10"), "a file, not a folder");
    assertThat(Checkpoints.latest(out)).isEmpty();
    Path fourth = save(out, 4, 0);
    assertThat(Checkpoints.latest(out)).contains(fourth);
    assertThat(fakeTmp).doesNotExist();
    assertThat(abs.resolve("checkpoint-x")).exists(); // not ours to remove
  }

  @Test
  void stepOfParsesOnlyCheckpointNames() {
    assertThat(Checkpoints.stepOf(Path.of("out/checkpoint-120"))).contains(120L);
    assertThat(Checkpoints.stepOf(Path.of("checkpoint-"))).isEmpty();
    assertThat(Checkpoints.stepOf(Path.of(".checkpoint-3.tmp-1f"))).isEmpty();
    assertThat(Checkpoints.stepOf(Path.of("checkpoint-3-old"))).isEmpty();
  }

  static void copyFolder(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Iterator<Path> it = s.iterator(); it.hasNext(); ) {
        Path f = it.next();
        Files.copy(f, to.resolve(f.getFileName()));
        to.resolve(f.getFileName()).toFile().setWritable(true);
      }
    }
  }
}
