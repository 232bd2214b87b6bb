package dro4j.spark;

import dro4j.LanguageModel;
import dro4j.model.LoraAdapter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;

/**
 * The models of this JVM, each loaded once and shared by every task that runs here. An executor runs
 * several tasks at once in threads of one JVM; a loaded {@link LanguageModel} is read-only during
 * sampling and scoring (weights, tokenizer and configuration never change; each generate call has its
 * own tensors), so the tasks share it without locks. The first task to ask for a model loads it, the
 * others wait for that load ({@link ConcurrentHashMap#computeIfAbsent}). Models stay loaded until the
 * JVM exits: an executor's next job with the same model skips the load.
 */
public final class ExecutorModels {
  private record Held(LanguageModel model, double loadSeconds) {}

  private static final ConcurrentHashMap<String, Held> MODELS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  /**
   * The model {@code model} names (a folder every executor sees, {@code bundled:NAME}, or null for the
   * bundled default) with the LoRA adapter folder {@code adapter} attached (null: none), loaded on first
   * use with PyTorch threads set for this executor's task slots.
   */
  public static LanguageModel get(String model, String adapter) {
    return held(model, adapter).model();
  }

  /**
   * The policy of one training step: this JVM's copy of the base {@code model} ({@link #get}, loaded once)
   * with the step's LoRA adapter, which {@code weights} supplies the first time {@code adapterKey} is
   * asked for. One step's policy is held at a time: the steps of a run come one after the other, and the
   * driver waits for every group of a step before it trains and ships the next adapter, so the previous
   * step's policy is closed (its adapter and view; the base stays) when the next one arrives.
   */
  public static LanguageModel adapted(String model, String adapterKey, Supplier<AdapterWeights> weights) {
    LanguageModel base = get(model, null);
    synchronized (ADAPTED) {
      Adapted held = ADAPTED.get(model == null ? "" : model);
      if (held != null && held.adapterKey().equals(adapterKey)) return held.policy();
      if (held != null) held.policy().close();
      AdapterWeights w = weights.get();
      LanguageModel policy = base.withoutAdapter(); // a view over the shared base weights, with its own manager
      try {
        policy.attachAdapter(LoraAdapter.of(policy.config(), w.config(), w.values(), policy.manager()));
      } catch (RuntimeException e) {
        policy.close();
        ADAPTED.remove(model == null ? "" : model);
        throw e;
      }
      ADAPTED.put(model == null ? "" : model, new Adapted(adapterKey, policy));
      return policy;
    }
  }

  private record Adapted(String adapterKey, LanguageModel policy) {}

  /** The adapted policy held per base model (guarded by itself). */
  private static final Map<String, Adapted> ADAPTED = new HashMap<>();

  /** How long loading {@code model} with {@code adapter} took in this JVM (0 until it is loaded). */
  public static double loadSeconds(String model, String adapter) {
    Held h = MODELS.get(key(model, adapter));
    return h == null ? 0.0 : h.loadSeconds();
  }

  private static Held held(String model, String adapter) {
    return MODELS.computeIfAbsent(key(model, adapter), k -> {
      TaskThreads.apply();
      long t0 = System.nanoTime();
      LanguageModel lm = adapter == null
          ? LanguageModel.loadOrDefault(model == null ? null : Path.of(model))
          : LanguageModel.load(model == null ? null : Path.of(model), Path.of(adapter));
      return new Held(lm, (System.nanoTime() - t0) / 1e9);
    });
  }

  /**
   * Sets this JVM's PyTorch threads to the per-task count now (once per JVM, as the first model load
   * would): in local mode the driver is also the executor, and its trainer should run at that count from
   * its first step, not switch to it when the first rollout task starts.
   */
  public static void useTaskThreads() {
    TaskThreads.apply();
  }

  /**
   * PyTorch's intra-op threads per task under {@code conf}: {@code DRO4J_THREADS} when set, else an
   * executor's cores divided by its concurrent task slots (local[N]: the host's cores by N), at least 1.
   */
  public static int threadsPerTask(SparkConf conf) {
    String env = System.getenv("DRO4J_THREADS");
    if (env != null && !env.isBlank()) return Integer.parseInt(env.trim());
    return TaskThreads.perTask(conf, Runtime.getRuntime().availableProcessors());
  }

  private static String key(String model, String adapter) {
    return (model == null ? "" : model) + "\u0000" + (adapter == null ? "" : adapter);
  }
}
