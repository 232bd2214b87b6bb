package dro4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dro4j.model.KvCache;
import dro4j.model.Transformer;
import dro4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched autoregressive sampling with a KV cache.
 *
 * <p>Each distinct prompt is prefilled once (left-padded with the others) and its cache rows are
 * copied to its {@code numReturnSequences} completions. Every completion draws from its own random
 * stream derived from the seed and its row, so a seed reproduces the same outputs. Rows that finish
 * keep their place in the batch as masked padding until every row is done.
 */
public final class Generator {
  private final Transformer model;
  private final Tokenizer tokenizer;

  /** A generator for {@code model}; {@code tokenizer} decodes completions and checks stop strings. */
  public Generator(Transformer model, Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /**
   * Samples {@code params.numReturnSequences()} completions of each prompt. Stop token ids are taken from
   * {@code params} only (callers add the model's EOS ids). With {@code keepCache} the returned
   * {@link Generation} owns the KV cache for scoring continuations; close it when done.
   */
  public Generation generate(List<int[]> prompts, SamplingParams params, boolean keepCache) {
    int numPrompts = prompts.size();
    int n = params.numReturnSequences();
    int rows = numPrompts * n;
    int maxPrompt = 0;
    for (int[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: a prompt needs at least one token (e.g. BOS)");
      }
      maxPrompt = Math.max(maxPrompt, p.length);
    }
    int maxNew = params.maxNewTokens();
    NDManager parent = model.manager().getParentManager();
    int padId = 0;

    // Prefill each distinct prompt once, left-padded.
    int[][] tokens = new int[numPrompts][maxPrompt];
    boolean[][] valid = new boolean[numPrompts][maxPrompt];
    for (int p = 0; p < numPrompts; p++) {
      int[] ids = prompts.get(p);
      int offset = maxPrompt - ids.length;
      Arrays.fill(tokens[p], padId);
      System.arraycopy(ids, 0, tokens[p], offset, ids.length);
      Arrays.fill(valid[p], offset, maxPrompt, true);
    }
    KvCache promptCache = model.newCache(parent, numPrompts, maxPrompt + maxNew);
    float[][] logits = new float[rows][];
    KvCache cache;
    try (NDManager m = parent.newSubManager()) {
      NDArray hidden = model.forward(promptCache, tokens, valid, m);
      NDArray last = model.logits(hidden.get(new NDIndex(":, -1, :")));
      float[] flat = last.toFloatArray();
      int vocab = (int) last.getShape().get(1);
      for (int r = 0; r < rows; r++) {
        logits[r] = Arrays.copyOfRange(flat, (r / n) * vocab, (r / n + 1) * vocab);
      }
    }
    if (n == 1) {
      cache = promptCache;
    } else {
      int[] select = new int[rows];
      for (int r = 0; r < rows; r++) {
        select[r] = r / n;
      }
      cache = promptCache.selectRows(select);
      promptCache.close();
    }

    try {
      int[][] history = new int[rows][maxPrompt + maxNew];
      int[] historyLength = new int[rows];
      int[][] generated = new int[rows][maxNew];
      double[][] logprobs = new double[rows][maxNew];
      int[] count = new int[rows];
      FinishReason[] finish = new FinishReason[rows];
      String[] text = new String[rows];
      SplittableRandom[] rng = new SplittableRandom[rows];
      StopCriteria stop = StopCriteria.of(params, List.of());
      for (int r = 0; r < rows; r++) {
        int[] ids = prompts.get(r / n);
        System.arraycopy(ids, 0, history[r], 0, ids.length);
        historyLength[r] = ids.length;
        rng[r] = LogitsProcessing.rngFor(params.seed(), r);
        if (maxNew == 0) {
          finish[r] = FinishReason.LENGTH;
        }
      }

      for (int step = 0; step < maxNew; step++) {
        int[][] feed = new int[rows][1];
        boolean[][] feedValid = new boolean[rows][1];
        boolean anyActive = false;
        for (int r = 0; r < rows; r++) {
          if (finish[r] != null) {
            continue;
          }
          TokenChoice choice = LogitsProcessing.sample(logits[r], history[r], historyLength[r], params, rng[r]);
          int token = choice.tokenId();
          generated[r][count[r]] = token;
          logprobs[r][count[r]] = choice.logprob();
          count[r]++;
          history[r][historyLength[r]++] = token;
          int[] completion = generated[r];
          FinishReason reason = stop.check(token, count[r], k -> tokenizer.decode(Arrays.copyOf(completion, k), true));
          if (reason != null) {
            finish[r] = reason;
            if (reason == FinishReason.STOP && !stop.stopStrings().isEmpty()) {
              String decoded = tokenizer.decode(Arrays.copyOf(completion, count[r]), true);
              text[r] = decoded.substring(0, stop.textEnd(decoded));
            }
          } else {
            feed[r][0] = token;
            feedValid[r][0] = true;
            anyActive = true;
          }
        }
        if (!anyActive) {
          break;
        }
        try (NDManager m = parent.newSubManager()) {
          NDArray hidden = model.forward(cache, feed, feedValid, m);
          NDArray next = model.logits(hidden.get(new NDIndex(":, 0, :")));
          float[] flat = next.toFloatArray();
          int vocab = (int) next.getShape().get(1);
          for (int r = 0; r < rows; r++) {
            if (feedValid[r][0]) {
              logits[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
            }
          }
        }
      }

      List<Completion> completions = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        int[] ids = Arrays.copyOf(generated[r], count[r]);
        String decoded = text[r] != null ? text[r] : tokenizer.decode(ids, true);
        completions.add(
            new Completion(r / n, ids, decoded, Arrays.copyOf(logprobs[r], count[r]), finish[r]));
      }
      Generation result = new Generation(prompts, completions, keepCache ? cache : null);
      if (!keepCache) {
        cache.close();
      }
      return result;
    } catch (RuntimeException e) {
      cache.close();
      throw e;
    }
  }
}
