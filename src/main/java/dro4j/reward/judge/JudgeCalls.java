package dro4j.reward.judge;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs judge calls on a few threads: the API is slow, the calls independent. */
final class JudgeCalls {
  private JudgeCalls() {}

  /** The replies of {@code prompts} ({system, user} pairs), in order. */
  static List<String> run(ChatClient client, List<String[]> prompts, int parallelism) {
    if (prompts.isEmpty()) {
      return List.of();
    }
    List<Callable<String>> calls = new ArrayList<>(prompts.size());
    for (String[] p : prompts) {
      calls.add(() -> client.complete(p[0], p[1]));
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, prompts.size()), r -> {
      Thread t = new Thread(r, "dro4j-judge");
      t.setDaemon(true);
      return t;
    });
    try {
      List<String> replies = new ArrayList<>(calls.size());
      for (Future<String> f : pool.invokeAll(calls)) {
        replies.add(f.get());
      }
      return replies;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JudgeException("interrupted while waiting for the judge", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new JudgeException("judge call failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }
}
