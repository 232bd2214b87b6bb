package dro4j.data.pararev;

import java.util.Locale;

/** A ParaReval annotator's pairwise verdict between revision A and revision B. */
public enum HumanPreference {
  /** Revision A is better. */
  A,
  /** Revision B is better. */
  B,
  /** Both are equally good. */
  BOTH,
  /** Neither is acceptable. */
  NONE;

  /** Parses the {@code eval_annotation.preference} value ("A", "B", "Both", "None"), or null when unknown. */
  public static HumanPreference parse(String value) {
    if (value == null) {
      return null;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "a" -> A;
      case "b" -> B;
      case "both" -> BOTH;
      case "none" -> NONE;
      default -> null;
    };
  }

  /** Whether the annotator preferred one revision (A or B). */
  public boolean decisive() {
    return this == A || this == B;
  }
}
