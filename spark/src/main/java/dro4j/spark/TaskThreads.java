package dro4j.spark;

import ai.djl.pytorch.jni.JniUtils;
import dro4j.model.TensorEngine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * PyTorch's intra-op thread count on an executor: its cores shared by its concurrent task slots, so
 * that tasks x threads never exceeds the cores (oversubscribed OpenMP threads spin and wait). {@code
 * DRO4J_THREADS} still wins, as everywhere in dro4j.
 */
final class TaskThreads {
  private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(?:,\\d+)?]");
  private static boolean applied;

  private TaskThreads() {}

  /**
   * The threads per task for {@code conf} on a host with {@code hostCores} cores: in local mode
   * {@code local[N]} runs N / {@code spark.task.cpus} tasks on the host's cores; on a cluster an
   * executor runs {@code spark.executor.cores} / {@code spark.task.cpus} tasks on its cores.
   */
  static int perTask(SparkConf conf, int hostCores) {
    String master = conf.get("spark.master", "local[*]");
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    int cores;
    int parallel;
    Matcher m = LOCAL.matcher(master);
    if (master.equals("local")) {
      cores = hostCores;
      parallel = 1;
    } else if (m.matches()) {
      cores = hostCores;
      parallel = m.group(1).equals("*") ? hostCores : Integer.parseInt(m.group(1));
    } else {
      parallel = conf.getInt("spark.executor.cores", hostCores); // what Spark schedules on the executor
      cores = Math.min(hostCores, parallel);
    }
    int slots = Math.max(1, parallel / taskCpus);
    return Math.max(1, cores / slots);
  }

  /** The count for this JVM's Spark settings, or null when {@code DRO4J_THREADS} sets it. */
  static Integer forThisExecutor() {
    String env = System.getenv("DRO4J_THREADS");
    if (env != null && !env.isBlank()) return null;
    SparkEnv spark = SparkEnv.get();
    SparkConf conf = spark != null ? spark.conf() : new SparkConf();
    return perTask(conf, Runtime.getRuntime().availableProcessors());
  }

  /** Sets PyTorch's thread count for this executor, once per JVM, before its first model loads. */
  static synchronized void apply() {
    if (applied) return;
    Integer threads = forThisExecutor();
    if (threads != null) {
      if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
        System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
        System.setProperty("ai.djl.pytorch.num_interop_threads", threads.toString());
      }
      // in local mode the engine may already run in this (the driver's) JVM: set the count directly too
      TensorEngine.threads();
      JniUtils.setNumThreads(threads);
    }
    applied = true;
  }
}
