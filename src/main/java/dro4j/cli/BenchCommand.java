package dro4j.cli;

import ai.djl.ndarray.NDManager;
import dro4j.LanguageModel;
import dro4j.bench.CheckpointingBenchmark;
import dro4j.bench.GrpoBenchmark;
import dro4j.bench.MemoryBenchmark;
import dro4j.bench.R3Benchmark;
import dro4j.bench.RuntimeBenchmark;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dro4j.model.BundledModel;
import dro4j.model.FastDecode;
import dro4j.model.ModelConfig;
import dro4j.model.TensorEngine;
import dro4j.model.Transformer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j bench}: runtime throughput against the GEMM peak measured in the same run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the model runtime: fp32 GEMM peak and read bandwidth, then prefill and decode throughput (batch 1"
          + " and 8, on the Java kernels and through libtorch) for the bundled stories260K and a randomly initialised"
          + " model of the Qwen2.5-0.5B shape; --json adds a GRPO step per model and a JSON last line.",
      "Takes a few minutes and ~3 GB of memory for the 0.5B shape; not part of the tests."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR", description = "Benchmark this model folder instead of the two defaults.")
  Path model;

  @Option(names = "--prompt-length", defaultValue = "128", description = "Prefill length (default: ${DEFAULT-VALUE}).")
  int promptLength;

  @Option(names = "--decode-steps", defaultValue = "32", description = "Decode steps (default: ${DEFAULT-VALUE}).")
  int decodeSteps;

  @Option(names = "--skip-large", description = "Only the small model (skip the Qwen2.5-0.5B shape).")
  boolean skipLarge;

  @Option(names = "--memory-rounds", paramLabel = "N",
      description = "Instead of throughput: N rounds of generate (8 rollouts) + score from the cache on the model,"
          + " printing the process RSS (flat when nothing leaks).")
  Integer memoryRounds;

  @Option(names = "--r3",
      description = "Instead of throughput: time R3 scoring of G = 8 and 16 rollouts (48 new tokens each) by KV-cache"
          + " continuation and by re-encoding, each as a fraction of the time to generate them (on --model or"
          + " the bundled model).")
  boolean r3;

  @Option(names = "--grpo",
      description = "Instead of throughput: time one GRPO step (1 prompt x 4 rollouts x 16 new tokens each, beta 0, the"
          + " second of two steps) split into generation / reward / training seconds, with the training FLOP/s as a"
          + " fraction of the GEMM peak, for stories260K (or --model) and the Qwen2.5-0.5B shape with random weights"
          + " and the stories260K tokenizer (unless --skip-large).")
  boolean grpo;

  @Option(names = "--lora-step",
      description = "Instead of throughput: peak RSS and time of one LoRA GRPO step (r 16, alpha 32, all linear layers,"
          + " beta 0.04; 2 prompts of 64 tokens x 4 rollouts x 128 tokens, the second of two steps) on the Qwen2.5-0.5B"
          + " shape with random weights, in this process alone; with --gradient-checkpointing (default) and without"
          + " (--no-gradient-checkpointing).")
  boolean loraStep;

  @Option(names = "--gradient-checkpointing", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "With --lora-step: recompute each layer in backward (default: ${DEFAULT-VALUE}).")
  boolean loraCheckpointing;

  @Option(names = "--checkpointing",
      description = "Instead of throughput: peak RSS and time of one GRPO update (loss, backward, AdamW's first step)"
          + " on one completion of --completion-length tokens after 64 prompt tokens, with and without"
          + " gradient_checkpointing, with full parameters and with LoRA (r 16, all linear layers), on the"
          + " Qwen2.5-0.5B shape with random weights (or --model); each of the --checkpointing-variants runs in a"
          + " JVM of its own. Needs Linux and about 11 GB of memory for the 0.5B shape's full-recorded variant.")
  boolean checkpointing;

  @Option(names = "--checkpointing-variants", split = ",", paramLabel = "V[,V...]",
      defaultValue = "full-recorded,full-checkpointed,lora-recorded,lora-checkpointed",
      description = "With --checkpointing: the variants measured, each in a fresh JVM (default: ${DEFAULT-VALUE}).")
  List<String> checkpointingVariants;

  @Option(names = "--checkpointing-variant", hidden = true, paramLabel = "V",
      description = "One variant of --checkpointing in this JVM (what --checkpointing runs in each child).")
  String checkpointingVariant;

  @Option(names = "--completion-length", defaultValue = "1024", paramLabel = "N",
      description = "Completion tokens for --checkpointing (default: ${DEFAULT-VALUE}).")
  int completionLength;

  @Option(names = "--decode-profile",
      description = "Instead of throughput: where the time of a Java-kernel decode step goes at batch 1 and 8 (per"
          + " part: projections, attention, MLP, LM head, element-wise work), each part's GFLOP/s and GB/s against the"
          + " GEMM peak and read bandwidth measured in the same run, for stories260K (or --model) and the Qwen2.5-0.5B"
          + " shape (unless --skip-large).")
  boolean decodeProfile;

  @Option(names = "--decode-only",
      description = "Instead of throughput: only decode on the Java kernels at batch 1 and 8, and their ratio, on the"
          + " Qwen2.5-0.5B shape (or --model); the quick check of a kernel change.")
  boolean decodeOnly;

  @Option(names = "--json",
      description = "Also measure the read bandwidth and one GRPO step per model (see --grpo-shape), and end the output"
          + " with one line holding all numbers as a JSON object (gemm_peak_gflops, read_bandwidth_gbs, models).")
  boolean json;

  @Option(names = "--grpo-shape", defaultValue = "2x4x128", paramLabel = "PxGxT",
      description = "With --json: the GRPO step measured, P prompts x G rollouts x T completion tokens, every"
          + " completion T tokens long (min_completion_length T; default: ${DEFAULT-VALUE}, over 1,024 trained tokens"
          + " per update).")
  String grpoShape;

  @Option(names = "--skip-large-grpo",
      description = "With --json: no GRPO step on the Qwen2.5-0.5B shape (it needs ~12 GB of memory); its grpo_step is null.")
  boolean skipLargeGrpo;

  @Option(names = "--bandwidth-mb", defaultValue = "512", paramLabel = "MB",
      description = "With --json: size of the array the read-bandwidth kernel streams (default: ${DEFAULT-VALUE}).")
  int bandwidthMb;

  @Option(names = "--r3-repeats", defaultValue = "5", paramLabel = "N",
      description = "Rounds per group size for --r3, median reported (default: ${DEFAULT-VALUE}).")
  int r3Repeats;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (grpo) {
      double peak;
      try (NDManager manager = TensorEngine.newManager()) {
        peak = new RuntimeBenchmark(manager, out).gemmPeak(1024, 10);
      }
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n",
          peak / 1e9, TensorEngine.threads(),
          Runtime.getRuntime().availableProcessors());
      GrpoBenchmark.header(out);
      try (LanguageModel lm = LanguageModel.loadOrDefault(model)) {
        String name = model == null ? "stories260K (bundled)" : lm.directory().getFileName().toString();
        GrpoBenchmark.line(out, name, GrpoBenchmark.run(lm, 1, 4, 16), peak);
      }
      if (model == null && !skipLarge) {
        try (LanguageModel lm = LanguageModel.withRandomWeights(BundledModel.directory(), ModelConfig.qwen2_5_0_5B(), 0,
            0.02)) {
          GrpoBenchmark.line(out, "Qwen2.5-0.5B shape (random weights)", GrpoBenchmark.run(lm, 1, 4, 16), peak);
        }
      }
      try (NDManager manager = TensorEngine.newManager()) {
        out.printf("fp32 GEMM peak re-measured at the end: %.2f GFLOP/s%n",
            new RuntimeBenchmark(manager, out).gemmPeak(1024, 10) / 1e9);
      }
      return 0;
    }
    if (loraStep) {
      try (LanguageModel lm = model != null ? LanguageModel.load(model)
          : LanguageModel.withRandomWeights(BundledModel.directory(), ModelConfig.qwen2_5_0_5B(), 0, 0.02)) {
        GrpoBenchmark.Shape shape = new GrpoBenchmark.Shape(2, 4, 128);
        double peak;
        try (NDManager manager = TensorEngine.newManager()) {
          peak = new RuntimeBenchmark(manager, out).gemmPeak(1024, 10);
        }
        out.printf("LoRA GRPO step, %s, shape %dx%dx%d, 64-token prompts, gradient_checkpointing %s, PyTorch threads %s%n",
            model == null ? "Qwen2.5-0.5B shape (random weights)" : lm.directory(), shape.prompts(), shape.generations(),
            shape.completionTokens(), loraCheckpointing, TensorEngine.threads());
        out.println("glibc mmap threshold: " + VectorRelaunch.thresholdSetting(System.getenv()));
        System.gc();
        Runtime rt = Runtime.getRuntime();
        out.printf("before the step: RSS %.0f MiB (Java heap used %.0f of %.0f MiB committed); model weights %.0f MiB%n",
            GrpoBenchmark.rssMiB(), (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.totalMemory() / 1048576.0,
            lm.transformer().parameters().values().stream().mapToLong(a -> a.size()).sum() * 4 / 1048576.0);
        GrpoBenchmark.header(out);
        GrpoBenchmark.Result r = GrpoBenchmark.run(lm, shape,
            b -> LORA_SETTINGS.apply(b).gradientCheckpointing(loraCheckpointing), GrpoBenchmark.prompts(lm, 2, 64));
        GrpoBenchmark.line(out, "LoRA step (peak MiB: whole process)", r, peak);
      }
      return 0;
    }
    if (checkpointingVariant != null) {
      CheckpointingBenchmark.Variant variant = CheckpointingBenchmark.Variant.of(checkpointingVariant);
      out.printf("PyTorch threads: %s of %d cores%n", TensorEngine.threads(), Runtime.getRuntime().availableProcessors());
      try (NDManager manager = TensorEngine.newManager()) {
        Path dir = model == null ? null : BundledModel.resolve(model);
        try (Transformer t = dir == null ? Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)
            : Transformer.load(dir, ModelConfig.loadFromDir(dir), manager)) {
          out.println(dir == null ? "Qwen2.5-0.5B shape (random weights)" : dir.toString());
          CheckpointingBenchmark.runVariant(t, variant, 64, completionLength, MemoryBenchmark.residentMiB(), out);
        }
      }
      return 0;
    }
    if (checkpointing) {
      return checkpointingReport(out);
    }
    if (r3) {
      try (LanguageModel lm = LanguageModel.loadOrDefault(model)) {
        R3Benchmark.run(lm, new int[] {8, 16}, 48, Math.max(1, r3Repeats), out);
      }
      return 0;
    }
    if (memoryRounds != null) {
      try (LanguageModel lm = LanguageModel.loadOrDefault(model)) {
        List<Double> rss = MemoryBenchmark.run(lm, memoryRounds, 8, out);
        out.printf("RSS first sample %.1f MiB, after warm-up %.1f MiB, last %.1f MiB%n", rss.get(0),
            rss.get(Math.min(1, rss.size() - 1)), rss.get(rss.size() - 1));
      }
      return 0;
    }
    if (json) {
      return jsonReport(out);
    }
    if (decodeProfile) {
      return decodeProfileReport(out);
    }
    if (decodeOnly) {
      return decodeOnlyReport(out);
    }
    try (NDManager manager = TensorEngine.newManager()) {
      RuntimeBenchmark bench = new RuntimeBenchmark(manager, out);
      double peak = bench.gemmPeak(1024, 10);
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n",
          peak / 1e9, TensorEngine.threads(),
          Runtime.getRuntime().availableProcessors());
      printBandwidth(out, measureBandwidth());
      Path small = BundledModel.resolve(model);
      try (Transformer t = Transformer.load(small, ModelConfig.loadFromDir(small), manager)) {
        bench.report(small.getFileName().toString(), t, peak, this::measureBandwidth, bandwidthPasses(), promptLength,
            decodeSteps);
      }
      if (model == null && !skipLarge) {
        try (Transformer t = Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)) {
          bench.report("Qwen2.5-0.5B shape (random weights)", t, peak, this::measureBandwidth, bandwidthPasses(),
              promptLength, decodeSteps);
        }
      }
      out.printf("fp32 GEMM peak re-measured at the end: %.2f GFLOP/s%n", bench.gemmPeak(1024, 10) / 1e9);
    }
    return 0;
  }

  /** {@code --decode-only}: Java-kernel decode at batch 1 and 8 on the large shape (or --model), after the peak. */
  private int decodeOnlyReport(PrintWriter out) {
    try (NDManager manager = TensorEngine.newManager()) {
      RuntimeBenchmark bench = new RuntimeBenchmark(manager, out);
      double peak = bench.gemmPeak(1024, 10);
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n", peak / 1e9,
          TensorEngine.threads(), Runtime.getRuntime().availableProcessors());
      Path dir = model == null ? null : BundledModel.resolve(model);
      try (Transformer t = dir == null ? Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)
          : Transformer.load(dir, ModelConfig.loadFromDir(dir), manager)) {
        bench.javaDecode(dir == null ? "Qwen2.5-0.5B shape (random weights)" : dir.getFileName().toString(), t, peak,
            bandwidthPasses(), promptLength, decodeSteps);
      }
    }
    return 0;
  }

  /**
   * {@code --checkpointing}: each variant in a child JVM of this one's options and class path (a fresh
   * process, so no variant's peak includes memory another one's allocator kept), its output passed
   * through, then the table of all of them.
   */
  private int checkpointingReport(PrintWriter out) {
    List<CheckpointingBenchmark.Result> results = new ArrayList<>();
    for (String label : checkpointingVariants) {
      CheckpointingBenchmark.Variant.of(label.trim()); // refuse a misspelt variant before any child starts
    }
    List<String> failed = new ArrayList<>();
    for (String label : checkpointingVariants) {
      List<String> cmd = childJvm();
      cmd.addAll(List.of("bench", "--checkpointing-variant", label.trim(), "--completion-length",
          String.valueOf(completionLength)));
      if (model != null) cmd.addAll(List.of("--model", model.toString()));
      out.println("== " + label.trim() + " (a JVM of its own)");
      out.flush();
      CheckpointingBenchmark.Result result = runChild(cmd, out);
      if (result == null) {
        failed.add(label.trim()); // the others still run: one variant out of memory should not lose the rest
        continue;
      }
      results.add(result);
      CheckpointingBenchmark.table(List.of(result), out); // at once, in case a later variant takes the machine down
    }
    out.println("== all variants");
    CheckpointingBenchmark.table(results, out);
    if (!failed.isEmpty()) {
      out.println("no result from " + String.join(", ", failed));
      return 1;
    }
    return 0;
  }

  /** Runs one variant's JVM, passing its output through; its result, or null (said why) when it gave none. */
  private static CheckpointingBenchmark.Result runChild(List<String> cmd, PrintWriter out) {
    CheckpointingBenchmark.Result result = null;
    try {
      ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
      VectorRelaunch.allocatorSettings(builder.environment());
      Process child = builder.start();
      try (java.io.BufferedReader lines = new java.io.BufferedReader(
          new java.io.InputStreamReader(child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          CheckpointingBenchmark.Result r = CheckpointingBenchmark.parseResult(line);
          if (r != null) {
            result = r;
          } else {
            out.println(line);
            out.flush();
          }
        }
      }
      int code = child.waitFor();
      if (code != 0 || result == null) {
        out.println("the variant's JVM exited with code " + code + (code == 137 ? " (killed: out of memory?)" : "")
            + (result == null ? " without a result" : ""));
        return null;
      }
      return result;
    } catch (java.io.IOException e) {
      out.println("cannot start the variant's JVM: " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a variant ran", e);
    }
  }

  /** The start of a command line running dro4j's {@link Main} in a new JVM with this one's options and class path. */
  private static List<String> childJvm() {
    VectorRelaunch.Inputs in = VectorRelaunch.Inputs.current();
    if (in.jvmOptions() == null || in.classPath() == null || in.javaHome() == null) {
      throw new IllegalStateException("cannot repeat this JVM's options for a child; run each variant with"
          + " bench --checkpointing-variant V in a process of its own");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(in.javaHome(), "bin", "java").toString());
    cmd.addAll(in.jvmOptions());
    if (Main.class.getName().equals(in.jarMainClass())) {
      cmd.addAll(List.of("-jar", in.classPath())); // so the jar's manifest applies, as in the relaunch
    } else {
      cmd.addAll(List.of("-cp", in.classPath(), Main.class.getName()));
    }
    return cmd;
  }

  /** {@code --decode-profile}: the per-part table of each model, after the peak and bandwidth it is set against. */
  private int decodeProfileReport(PrintWriter out) {
    try (NDManager manager = TensorEngine.newManager()) {
      RuntimeBenchmark bench = new RuntimeBenchmark(manager, out);
      double peak = bench.gemmPeak(1024, 10);
      double bandwidth = measureBandwidth();
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n", peak / 1e9,
          TensorEngine.threads(), Runtime.getRuntime().availableProcessors());
      printBandwidth(out, bandwidth);
      Path small = BundledModel.resolve(model);
      try (Transformer t = Transformer.load(small, ModelConfig.loadFromDir(small), manager)) {
        bench.decodeProfile(small.getFileName().toString(), t, peak, bandwidth, promptLength, decodeSteps);
      }
      if (model == null && !skipLarge) {
        try (Transformer t = Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)) {
          bench.decodeProfile("Qwen2.5-0.5B shape (random weights)", t, peak, bandwidth, promptLength, decodeSteps);
        }
      }
    }
    return 0;
  }

  /**
   * Settings of the {@code grpo_step_lora} measurement: LoRA r 16, alpha 32, on all linear layers of
   * attention and MLP, with beta 0.04 (the reference is the base with the adapter off), the memory
   * target's configuration.
   */
  static final java.util.function.UnaryOperator<dro4j.rl.config.GrpoConfig.Builder> LORA_SETTINGS =
      b -> b.usePeft(true).loraR(16).loraAlpha(32).beta(0.04);

  /** Single passes of the read-bandwidth kernel over one array of {@code --bandwidth-mb}, or null without the module. */
  private java.util.function.DoubleSupplier bandwidthPasses() {
    return FastDecode.modulePresent() ? FastDecode.bandwidthPasses((long) bandwidthMb << 20) : null;
  }

  /** Read bandwidth in bytes/s by the streaming kernel (best of 3 passes over --bandwidth-mb), NaN without it. */
  private double measureBandwidth() {
    return FastDecode.modulePresent() ? FastDecode.readBandwidth((long) bandwidthMb << 20, 3) : Double.NaN;
  }

  private static void printBandwidth(PrintWriter out, double bandwidth) {
    if (bandwidth > 0) {
      out.printf("read bandwidth (streaming float sum, Vector API, best of 3): %.2f GB/s%n", bandwidth / 1e9);
    } else {
      out.printf("read bandwidth: not measured (the kernel needs %s)%n", FastDecode.JVM_OPTION);
    }
  }

  /** The table plus GRPO steps, then the JSON line: the last line of standard output. */
  private int jsonReport(PrintWriter out) {
    GrpoBenchmark.Shape shape = parseShape(grpoShape);
    Map<String, Object> report = new LinkedHashMap<>();
    Map<String, Object> models = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    double peak;
    double bandwidth;
    try (NDManager manager = TensorEngine.newManager()) {
      RuntimeBenchmark bench = new RuntimeBenchmark(manager, out);
      peak = bench.gemmPeak(1024, 10);
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n",
          peak / 1e9, TensorEngine.threads(), Runtime.getRuntime().availableProcessors());
      bandwidth = measureBandwidth();
      printBandwidth(out, bandwidth);
      report.put("gemm_peak_gflops", number(peak / 1e9));
      report.put("read_bandwidth_gbs", number(bandwidth / 1e9));
      report.put("threads", TensorEngine.threads());
      report.put("decode_path", FastDecode.available() ? "java" : "libtorch");
      out.printf("GRPO step: %s (beta 0, step 2 of 2; reward: keyword 'ball' + mean-id tie-breaker)%n", shape);
      try (LanguageModel lm = LanguageModel.loadOrDefault(model)) {
        String name = model == null ? "stories260K" : lm.directory().getFileName().toString();
        models.put(name, measureModel(out, name, lm, bench, peak, shape, true));
      }
      if (model == null) {
        if (skipLarge) {
          models.put("qwen2.5-0.5b-shape", null);
          notes.add("qwen2.5-0.5b-shape skipped (--skip-large)");
        } else {
          try (LanguageModel lm = LanguageModel.withRandomWeights(BundledModel.directory(), ModelConfig.qwen2_5_0_5B(), 0,
              0.02)) {
            models.put("qwen2.5-0.5b-shape", measureModel(out, "Qwen2.5-0.5B shape (random weights)", lm, bench, peak,
                shape, !skipLargeGrpo));
          }
        }
      }
      out.printf("fp32 GEMM peak re-measured at the end: %.2f GFLOP/s%n", bench.gemmPeak(1024, 10) / 1e9);
    }
    report.put("models", models);
    if (!notes.isEmpty()) {
      report.put("notes", notes);
    }
    out.println(Json.write(report));
    out.flush();
    return 0;
  }

  private Map<String, Object> measureModel(PrintWriter out, String name, LanguageModel lm, RuntimeBenchmark bench,
      double peak, GrpoBenchmark.Shape shape, boolean withGrpo) {
    RuntimeBenchmark.ModelNumbers n = bench.report(name, lm.transformer(), peak, this::measureBandwidth,
        bandwidthPasses(), promptLength, decodeSteps);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("parameters", lm.transformer().parameterCount());
    m.put("prefill_tokens_per_s", number(n.prefill().tokensPerSecond()));
    m.put("decode_b1_tokens_per_s", number(n.decodeB1Used().tokensPerSecond()));
    m.put("decode_b8_tokens_per_s", number(n.decodeB8Used().tokensPerSecond()));
    m.put("decode_b1_bandwidth_fraction", number(n.decodeB1BandwidthFraction()));
    // batch 8 over batch 1 within one block of their interleaved steps: how far the machine moved meanwhile
    m.put("decode_b8_over_b1_block_min", number(n.minBlockRatio()));
    m.put("decode_b8_over_b1_block_max", number(n.maxBlockRatio()));
    // the fastest step against the best bandwidth pass: both undisturbed moments of a busy machine
    m.put("decode_b1_bandwidth_fraction_fastest_step",
        number(n.decodeB1Used().bestStepTokensPerSecond() * n.decodeB1BytesPerToken() / n.readBandwidth()));
    m.put("read_bandwidth_gbs", number(n.readBandwidth() / 1e9)); // the bound of that fraction, measured around it
    m.put("decode_b1_bytes_per_token", number(n.decodeB1BytesPerToken()));
    m.put("decode_b1_tokens_per_s_libtorch", number(n.decodeB1Libtorch().tokensPerSecond()));
    m.put("decode_b8_tokens_per_s_libtorch", number(n.decodeB8Libtorch().tokensPerSecond()));
    if (!withGrpo) {
      m.put("grpo_step", null);
      m.put("grpo_step_lora", null);
      m.put("note", "GRPO steps skipped (--skip-large-grpo)");
      return m;
    }
    GrpoBenchmark.header(out);
    GrpoBenchmark.Result step = GrpoBenchmark.run(lm, shape, java.util.function.UnaryOperator.identity());
    GrpoBenchmark.line(out, name, step, peak);
    m.put("grpo_step", grpoJson(step, shape, peak));
    // after the full step, on the same weights: its trainer's close froze them again (Optimization.close)
    GrpoBenchmark.Result lora = GrpoBenchmark.run(lm, shape, LORA_SETTINGS);
    GrpoBenchmark.line(out, name + " (LoRA)", lora, peak);
    m.put("grpo_step_lora", grpoJson(lora, shape, peak));
    if (step.trainedTokens() < 1024) {
      out.printf("  note: %d trained tokens in the update, fewer than 1,024; --grpo-shape sets the size%n",
          step.trainedTokens());
    }
    return m;
  }

  private static Map<String, Object> grpoJson(GrpoBenchmark.Result r, GrpoBenchmark.Shape shape, double peak) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("shape", Map.of("prompts", shape.prompts(), "generations", shape.generations(),
        "max_completion_tokens", shape.completionTokens(), "min_completion_tokens", shape.completionTokens()));
    g.put("trained_tokens", r.trainedTokens());
    g.put("completion_tokens", r.completionTokens());
    g.put("gen_s", number(r.generationSeconds()));
    g.put("reward_s", number(r.rewardSeconds()));
    g.put("train_s", number(r.trainingSeconds()));
    g.put("step_s", number(r.stepSeconds()));
    g.put("train_gflop", number(r.trainingFlops() / 1e9));
    g.put("train_gemm_fraction", number(r.trainingFlops() / r.trainingSeconds() / peak));
    g.put("peak_rss_mb", number(r.peakRssMiB()));
    if (r.peakRssSinceStart()) {
      g.put("peak_rss_note", "since process start (the peak mark could not be reset)");
    }
    return g;
  }

  /** A finite number, or null (JSON has no NaN). */
  private static Double number(double v) {
    return Double.isFinite(v) && v >= 0 ? v : null;
  }

  static GrpoBenchmark.Shape parseShape(String text) {
    String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
    try {
      if (parts.length == 3) {
        return new GrpoBenchmark.Shape(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
            Integer.parseInt(parts[2].trim()));
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--grpo-shape " + text + ": " + e.getMessage());
    }
    throw new IllegalArgumentException("--grpo-shape must be PROMPTSxGENERATIONSxTOKENS, like 2x4x128, not '" + text + "'");
  }
}
