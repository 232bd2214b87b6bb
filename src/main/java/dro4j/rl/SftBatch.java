package dro4j.rl;

import dro4j.BadInputException;
import java.util.Arrays;
import java.util.List;

/**
 * The token layout of a supervised micro-batch: each row is prompt + completion, right-padded to the
 * longest row T (padding invalid, id 0). Position t predicts token t + 1; the loss mask selects the
 * predicted tokens that are targets: the completion's tokens ({@code completion_only_loss}) or every
 * real token after the first.
 *
 * @param tokens {@code [B][T]} ids
 * @param valid {@code [B][T]} which slots hold real tokens
 * @param labels {@code [B][T - 1]} the token each position predicts (0 where padding)
 * @param lossMask {@code [B][T - 1]} 1 where the prediction is a training target
 */
public record SftBatch(int[][] tokens, boolean[][] valid, int[][] labels, float[][] lossMask) {

  /**
   * Lays out rows of (prompt, completion) ids.
   *
   * @param completionOnly train on completion tokens only; else on every token after the first
   */
  public static SftBatch of(List<int[]> prompts, List<int[]> completions, boolean completionOnly) {
    int b = prompts.size();
    if (b == 0 || completions.size() != b) {
      throw new BadInputException("sft batch: " + b + " prompts but " + completions.size() + " completions");
    }
    int t = 2; // at least one prediction, so an all-empty batch still has a (masked) shape
    for (int i = 0; i < b; i++) t = Math.max(t, prompts.get(i).length + completions.get(i).length);
    int[][] tokens = new int[b][t];
    boolean[][] valid = new boolean[b][t];
    int[][] labels = new int[b][t - 1];
    float[][] mask = new float[b][t - 1];
    for (int i = 0; i < b; i++) {
      int[] p = prompts.get(i);
      int[] c = completions.get(i);
      int n = p.length + c.length;
      System.arraycopy(p, 0, tokens[i], 0, p.length);
      System.arraycopy(c, 0, tokens[i], p.length, c.length);
      Arrays.fill(valid[i], 0, n, true);
      for (int pos = 0; pos + 1 < n; pos++) {
        labels[i][pos] = tokens[i][pos + 1];
        boolean target = !completionOnly || pos + 1 >= p.length;
        mask[i][pos] = target ? 1f : 0f;
      }
    }
    return new SftBatch(tokens, valid, labels, mask);
  }

  /**
   * Lays out whole token rows with their own targets: token {@code t} of row {@code i} is a training
   * target when {@code targets.get(i)[t]} (the assistant's tokens of a conversation, {@code
   * assistant_only_loss}); the first token of a row is never one (nothing predicts it).
   */
  public static SftBatch ofTargets(List<int[]> rows, List<boolean[]> targets) {
    int b = rows.size();
    if (b == 0 || targets.size() != b) {
      throw new BadInputException("sft batch: " + b + " rows but " + targets.size() + " target masks");
    }
    int t = 2;
    for (int[] r : rows) t = Math.max(t, r.length);
    int[][] tokens = new int[b][t];
    boolean[][] valid = new boolean[b][t];
    int[][] labels = new int[b][t - 1];
    float[][] mask = new float[b][t - 1];
    for (int i = 0; i < b; i++) {
      int[] r = rows.get(i);
      boolean[] target = targets.get(i);
      if (target.length != r.length) {
        throw new BadInputException("sft batch: row " + i + " has " + r.length + " tokens but " + target.length + " target flags");
      }
      System.arraycopy(r, 0, tokens[i], 0, r.length);
      Arrays.fill(valid[i], 0, r.length, true);
      for (int pos = 0; pos + 1 < r.length; pos++) {
        labels[i][pos] = r[pos + 1];
        mask[i][pos] = target[pos + 1] ? 1f : 0f;
      }
    }
    return new SftBatch(tokens, valid, labels, mask);
  }

  /** Number of rows. */
  public int rows() {
    return tokens.length;
  }

  /** Number of target tokens (sum of the mask). */
  public long lossTokens() {
    long n = 0;
    for (float[] row : lossMask) for (float m : row) if (m != 0) n++;
    return n;
  }

  /** Number of real tokens fed to the model. */
  public long inputTokens() {
    long n = 0;
    for (boolean[] row : valid) for (boolean v : row) if (v) n++;
    return n;
  }
}
