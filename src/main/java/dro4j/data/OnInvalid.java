package dro4j.data;

/** What a loader does with a malformed record. */
public enum OnInvalid {
  /** Stop at the first malformed record with a {@link dro4j.BadInputException} (the default). */
  THROW,
  /**
   * Leave the record out, but count it and report its line and problem in {@link Loaded#skipped()}
   * and in a log warning.
   */
  SKIP
}
