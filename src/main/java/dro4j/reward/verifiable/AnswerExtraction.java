package dro4j.reward.verifiable;

import dro4j.BadInputException;
import dro4j.data.metrics.AnswerExtractor;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which part of a response a verifiable reward compares with the reference.
 *
 * <ul>
 *   <li>{@link Mode#AUTO} (the default): {@link AnswerExtractor#finalAnswer} (the last {@code
 *       \boxed{...}}, else the last {@code <answer>...</answer>}, else what follows the last "answer
 *       is"/"answer:", else the last number), and the whole response when none of these is found;
 *   <li>{@link Mode#BOXED}: only the last {@code \boxed{...}}; no box means no answer;
 *   <li>{@link Mode#MARKER}: everything after the last occurrence of {@code marker} (case-sensitive,
 *       default {@code "Answer:"}), trimmed; no marker means no answer. With {@code marker =
 *       "</think>"} this is the outcome of a reasoning model;
 *   <li>{@link Mode#WHOLE}: the whole response, trimmed.
 * </ul>
 *
 * A response with no answer earns the reward's lowest score (0), never an error.
 *
 * @param mode how to find the answer
 * @param marker the marker of {@link Mode#MARKER} (ignored by the other modes)
 */
public record AnswerExtraction(Mode mode, String marker) {
  /** The marker used when none is configured. */
  public static final String DEFAULT_MARKER = "Answer:";

  /** How the answer is found; see the class comment. */
  public enum Mode {
    /** See {@link AnswerExtraction}. */
    AUTO,
    /** See {@link AnswerExtraction}. */
    BOXED,
    /** See {@link AnswerExtraction}. */
    MARKER,
    /** See {@link AnswerExtraction}. */
    WHOLE;

    /** The mode named {@code name} (any case), or a clear error listing the modes. */
    public static Mode parse(String name) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(name)) {
          return m;
        }
      }
      throw new BadInputException("unknown answer extraction '" + name + "' (known: auto, boxed, marker, whole)");
    }

    /** The lower-case name used in configurations. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Checks the mode; a null or empty marker is {@link #DEFAULT_MARKER} (an error for {@link Mode#MARKER}). */
  public AnswerExtraction {
    Objects.requireNonNull(mode, "mode");
    if (marker == null || marker.isEmpty()) {
      if (mode == Mode.MARKER) {
        throw new BadInputException("answer extraction 'marker' needs a non-empty marker");
      }
      marker = DEFAULT_MARKER;
    }
  }

  /** The default: {@link Mode#AUTO}. */
  public static AnswerExtraction auto() {
    return new AnswerExtraction(Mode.AUTO, DEFAULT_MARKER);
  }

  /** The answer part of {@code response}, or empty when this mode finds none. */
  public Optional<String> extract(String response) {
    return switch (mode) {
      case AUTO -> Optional.of(AnswerExtractor.finalAnswer(response).orElse(response.trim()));
      case BOXED -> AnswerExtractor.boxed(response);
      case MARKER -> {
        int at = response.lastIndexOf(marker);
        yield at < 0 ? Optional.empty() : Optional.of(response.substring(at + marker.length()).trim());
      }
      case WHOLE -> Optional.of(response.trim());
    };
  }
}
