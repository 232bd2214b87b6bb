package dro4j.data.finqa;

import java.util.List;
import java.util.stream.Collectors;

/** Turns a FinQA table into prompt text. */
public final class FinQaTable {
  /** The separator between cells of a row. */
  public static final String CELL_SEPARATOR = " | ";

  private FinQaTable() {}

  /**
   * One line per row, header row first (as FinQA stores it), cells verbatim and joined by {@value
   * #CELL_SEPARATOR}, lines joined by "\n" with no trailing newline. Empty cells stay empty, so
   * columns keep their position: FinQA's header usually starts with an empty cell, giving {@code "
   * | 2009 | 2008"}. Line breaks inside a cell become spaces so that each row stays on one line.
   */
  public static String linearize(List<List<String>> table) {
    return table.stream()
        .map(row -> row.stream().map(FinQaTable::oneLine).collect(Collectors.joining(CELL_SEPARATOR)))
        .collect(Collectors.joining("\n"));
  }

  private static String oneLine(String cell) {
    return cell.replaceAll("\\R", " ");
  }
}
