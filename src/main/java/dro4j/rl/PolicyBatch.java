package dro4j.rl;

import dro4j.BadInputException;
import java.util.List;

/**
 * The token layout of a batch of (prompt, completion) rows for the training forward: each prompt is
 * left-padded to the common width P, so every completion starts at column P, and completions are
 * right-padded to the common width L. Padding is marked invalid (never attended to) and has id 0.
 * The hidden state at column P - 1 + t predicts completion token t.
 *
 * @param tokens {@code [B][P + L]} prompt and completion ids
 * @param valid {@code [B][P + L]} which slots hold real tokens
 * @param promptWidth P
 * @param completionIds {@code [B][L]} completion ids, 0 after a row's end
 * @param completionMask {@code [B][L]} 1 for completion tokens that count in the loss, 0 for padding
 *     and for every token of a row excluded from the loss
 */
public record PolicyBatch(
    int[][] tokens, boolean[][] valid, int promptWidth, int[][] completionIds, float[][] completionMask) {

  /** Rows whose every completion token counts in the loss. */
  public static PolicyBatch of(List<int[]> prompts, List<int[]> completions) {
    boolean[] all = new boolean[prompts.size()];
    java.util.Arrays.fill(all, true);
    return of(prompts, completions, all);
  }

  /**
   * Lays out rows; a row with {@code countsInLoss[b] == false} is still run through the model but its
   * mask is all zero (TRL {@code mask_truncated_completions}).
   */
  public static PolicyBatch of(List<int[]> prompts, List<int[]> completions, boolean[] countsInLoss) {
    int b = prompts.size();
    if (b == 0 || completions.size() != b || countsInLoss.length != b) {
      throw new BadInputException(
          "policy batch: " + b + " prompts, " + completions.size() + " completions, " + countsInLoss.length + " loss flags");
    }
    int p = 0;
    int l = 1; // at least one column, so an all-empty batch still has a (masked) shape
    for (int i = 0; i < b; i++) {
      if (prompts.get(i).length == 0) throw new BadInputException("policy batch: row " + i + " has an empty prompt");
      p = Math.max(p, prompts.get(i).length);
      l = Math.max(l, completions.get(i).length);
    }
    int[][] tokens = new int[b][p + l];
    boolean[][] valid = new boolean[b][p + l];
    int[][] ids = new int[b][l];
    float[][] mask = new float[b][l];
    for (int i = 0; i < b; i++) {
      int[] prompt = prompts.get(i);
      int[] completion = completions.get(i);
      int offset = p - prompt.length;
      System.arraycopy(prompt, 0, tokens[i], offset, prompt.length);
      java.util.Arrays.fill(valid[i], offset, p, true);
      System.arraycopy(completion, 0, tokens[i], p, completion.length);
      java.util.Arrays.fill(valid[i], p, p + completion.length, true);
      System.arraycopy(completion, 0, ids[i], 0, completion.length);
      if (countsInLoss[i]) java.util.Arrays.fill(mask[i], 0, completion.length, 1f);
    }
    return new PolicyBatch(tokens, valid, p, ids, mask);
  }

  /**
   * Rows whose loss mask is given per token: {@code lossMasks.get(b)[t]} (0 or 1) for completion token t
   * of row b. A multi-turn trajectory is one row whose "completion" is every token after its first
   * prompt, with mask 1 on the policy's own tokens and 0 on environment, tool and template tokens, so
   * those are run through the model (the policy attends to them) but get no loss, count nowhere in
   * {@code num_items_in_batch} and are left out of the entropy and KL means.
   */
  public static PolicyBatch masked(List<int[]> prompts, List<int[]> completions, List<float[]> lossMasks) {
    PolicyBatch all = of(prompts, completions);
    if (lossMasks.size() != all.rows()) {
      throw new BadInputException("policy batch: " + lossMasks.size() + " loss masks for " + all.rows() + " rows");
    }
    for (int i = 0; i < all.rows(); i++) {
      float[] m = lossMasks.get(i);
      if (m.length != completions.get(i).length) {
        throw new BadInputException("policy batch: row " + i + " has " + completions.get(i).length
            + " completion tokens but a loss mask of " + m.length);
      }
      System.arraycopy(m, 0, all.completionMask()[i], 0, m.length);
    }
    return all;
  }

  /** Number of rows B. */
  public int rows() {
    return tokens.length;
  }

  /** Completion width L. */
  public int completionWidth() {
    return completionIds[0].length;
  }

  /** Number of tokens that count in the loss (sum of the mask). */
  public long lossTokens() {
    long n = 0;
    for (float[] row : completionMask) for (float m : row) if (m != 0) n++;
    return n;
  }

  /** Number of real tokens fed to the model (prompt and completion). */
  public long inputTokens() {
    long n = 0;
    for (boolean[] row : valid) for (boolean v : row) if (v) n++;
    return n;
  }
}
