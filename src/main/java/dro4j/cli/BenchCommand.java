package dro4j.cli;

import ai.djl.ndarray.NDManager;
import dro4j.LanguageModel;
import dro4j.bench.CheckpointingBenchmark;
import dro4j.bench.GrpoBenchmark;
import dro4j.bench.MemoryBenchmark;
import dro4j.bench.R3Benchmark;
import dro4j.bench.RuntimeBenchmark;
import java.util.List;
import dro4j.model.BundledModel;
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
      "Benchmark the model runtime: fp32 GEMM peak, then prefill and decode throughput (batch 1 and 8)"
          + " for the bundled stories260K and a randomly initialised model of the Qwen2.5-0.5B shape.",
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
      description = "Instead of throughput: time one GRPO step (1 prompt x 4 rollouts x 16 new tokens, beta 0, the"
          + " second of two steps) split into generation / reward / training seconds, with the training FLOP/s as a"
          + " fraction of the GEMM peak, for stories260K (or --model) and the Qwen2.5-0.5B shape with random weights"
          + " and the stories260K tokenizer (unless --skip-large).")
  boolean grpo;

  @Option(names = "--checkpointing",
      description = "Instead of throughput: peak RSS and time of one GRPO update (loss, backward, AdamW) on one"
          + " completion of --completion-length tokens after 64 prompt tokens, with and without"
          + " gradient_checkpointing, on the Qwen2.5-0.5B shape with random weights (or --model). Needs Linux and"
          + " about 14 GB of memory for the 0.5B shape.")
  boolean checkpointing;

  @Option(names = "--completion-length", defaultValue = "1024", paramLabel = "N",
      description = "Completion tokens for --checkpointing (default: ${DEFAULT-VALUE}).")
  int completionLength;

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
    if (checkpointing) {
      out.printf("PyTorch threads: %s of %d cores%n", TensorEngine.threads(), Runtime.getRuntime().availableProcessors());
      try (NDManager manager = TensorEngine.newManager()) {
        Path dir = model == null ? null : BundledModel.resolve(model);
        try (Transformer t = dir == null ? Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)
            : Transformer.load(dir, ModelConfig.loadFromDir(dir), manager)) {
          out.println(dir == null ? "Qwen2.5-0.5B shape (random weights)" : dir.toString());
          CheckpointingBenchmark.run(t, 64, completionLength, out);
        }
      }
      return 0;
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
    try (NDManager manager = TensorEngine.newManager()) {
      RuntimeBenchmark bench = new RuntimeBenchmark(manager, out);
      double peak = bench.gemmPeak(1024, 10);
      out.printf("fp32 GEMM peak (1024^3, best of 10): %.2f GFLOP/s; PyTorch threads: %s of %d cores%n",
          peak / 1e9, TensorEngine.threads(),
          Runtime.getRuntime().availableProcessors());
      Path small = BundledModel.resolve(model);
      try (Transformer t = Transformer.load(small, ModelConfig.loadFromDir(small), manager)) {
        bench.report(small.getFileName().toString(), t, peak, promptLength, decodeSteps);
      }
      if (model == null && !skipLarge) {
        try (Transformer t = Transformer.random(ModelConfig.qwen2_5_0_5B(), 0, 0.02, manager)) {
          bench.report("Qwen2.5-0.5B shape (random weights)", t, peak, promptLength, decodeSteps);
        }
      }
      out.printf("fp32 GEMM peak re-measured at the end: %.2f GFLOP/s%n", bench.gemmPeak(1024, 10) / 1e9);
    }
    return 0;
  }
}
