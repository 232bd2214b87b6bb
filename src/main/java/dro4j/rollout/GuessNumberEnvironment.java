package dro4j.rollout;

import dro4j.data.Example;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guess-the-number with higher/lower feedback, a deterministic text game with a known optimum: the
 * secret is a whole number in {@code [1, max]}, every turn the policy guesses, the environment answers
 * "higher" or "lower", and binary search finds any secret in {@code ceil(log2(max + 1))} guesses.
 *
 * <p>The secret is the example's reference (a whole number); {@code max} is its metadata {@code max}
 * (default 16). The episode ends with reward 1 when the guess is right; a turn without a number is told
 * so and gets reward 0, as does every wrong guess, so the return is 1 for a solved game and 0 otherwise.
 * Bundled as {@code environment: guess_number}.
 */
public final class GuessNumberEnvironment implements Environment {
  private static final Pattern NUMBER = Pattern.compile("-?\\d+");

  private int secret;
  private int max;
  private int guesses;

  @Override
  public String reset(Example example) {
    secret = Integer.parseInt(example.reference().trim());
    Object m = example.metadata().get("max");
    max = m instanceof Number n ? n.intValue() : m != null ? Integer.parseInt(m.toString()) : 16;
    guesses = 0;
    return "I am thinking of a whole number from 1 to " + max + ". Guess it: reply with one number. After each guess"
        + " I say whether the number is higher or lower.";
  }

  @Override
  public StepResult step(String action) {
    Matcher m = NUMBER.matcher(action);
    String last = null;
    while (m.find()) last = m.group();
    if (last == null) return new StepResult("Reply with one whole number.", 0.0, false);
    guesses++;
    long guess;
    try {
      guess = Long.parseLong(last);
    } catch (NumberFormatException e) {
      return new StepResult("That number is out of range: 1 to " + max + ".", 0.0, false);
    }
    if (guess == secret) return StepResult.done("Correct!", 1.0);
    return new StepResult(guess < secret ? "Higher." : "Lower.", 0.0, false);
  }

  /** Guesses made so far in this episode. */
  public int guesses() {
    return guesses;
  }

  /** The optimal number of guesses in the worst case, ceil(log2(max + 1)). */
  public static int optimalGuesses(int max) {
    return 32 - Integer.numberOfLeadingZeros(max);
  }
}
