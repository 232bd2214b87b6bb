package dro4j.data;

/**
 * One record of a data file cannot be used. Thrown by {@link JsonRecord}'s accessors and by
 * loaders; {@link JsonRecords} turns it into a {@link dro4j.BadInputException} naming the file and
 * line, or counts the record as skipped when asked to.
 */
public class InvalidRecordException extends RuntimeException {
  /** A problem with the current record, without file or line (the reader adds those). */
  public InvalidRecordException(String problem) {
    super(problem);
  }
}
