package dro4j.data.finqa;

import dro4j.data.metrics.NumericAnswers;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Generates small FinQA-style examples for experiments a CPU can run: a table of 2-4 rows with
 * realistic line items ("net revenue", "operating expenses") over 2-3 fiscal years, a question whose
 * gold program has one or two operations, the program in FinQA syntax, a worked reasoning trace,
 * and the answer computed by {@link FinQaProgram}. Records use FinQA's schema ({@link FinQaRecord}),
 * so {@link FinQaLoader} reads written files like the real data set.
 *
 * <p>Question kinds. One operation: change between two years ({@code subtract}), sum of two items
 * in a year ({@code add}), ratio of two items ({@code divide}), total and average of an item over
 * the years shown ({@code table_sum}, {@code table_average}). Two operations: percent change
 * ({@code subtract, divide}, answer a fraction as in FinQA), average of two years ({@code add,
 * divide by const_2}), one item as a percentage of another ({@code divide, multiply by
 * const_100}).
 *
 * <p>Deterministic: example i of a seed depends only on (seed, i, settings), so {@code generate(s,
 * 10)} starts with {@code generate(s, 5)}. {@code java.util.Random}'s algorithm is fixed by its
 * specification, so output is the same on every JVM.
 */
public final class SyntheticFinQa {

  /**
   * Difficulty controls; each value is drawn uniformly from its inclusive range per example.
   *
   * @param minOperations fewest program steps (1 or 2)
   * @param maxOperations most program steps (1 or 2)
   * @param minRows fewest table rows besides the header (2 to 4)
   * @param maxRows most table rows (2 to 4)
   * @param minYears fewest year columns (2 or 3)
   * @param maxYears most year columns (2 or 3)
   */
  public record Settings(
      int minOperations, int maxOperations, int minRows, int maxRows, int minYears, int maxYears) {

    /** Checks the ranges. */
    public Settings {
      check("operations", minOperations, maxOperations, 1, 2);
      check("rows", minRows, maxRows, 2, 4);
      check("years", minYears, maxYears, 2, 3);
    }

    /** The full range: 1-2 operations, 2-4 rows, 2-3 years. */
    public static Settings defaults() {
      return new Settings(1, 2, 2, 4, 2, 3);
    }

    /** Exactly {@code operations} steps, {@code rows} rows and {@code years} year columns. */
    public static Settings fixed(int operations, int rows, int years) {
      return new Settings(operations, operations, rows, rows, years, years);
    }

    private static void check(String what, int min, int max, int lowest, int highest) {
      if (min < lowest || max > highest || min > max) {
        throw new IllegalArgumentException(
            what + " range must lie within " + lowest + ".." + highest + " with min <= max, got " + min + ".." + max);
      }
    }
  }

  /** A line item and its typical size relative to the largest item of its table. */
  private record Item(String label, double weight) {}

  /** A kind of table: a title for the text and line items that belong together. */
  private record Topic(String title, List<Item> items) {}

  // Weights keep tables plausible: revenue above net income, total assets above cash.
  private static final List<Topic> TOPICS =
      List.of(
          new Topic(
              "selected income statement data",
              List.of(
                  new Item("net revenue", 1.0),
                  new Item("cost of revenue", 0.6),
                  new Item("gross profit", 0.4),
                  new Item("operating expenses", 0.25),
                  new Item("operating income", 0.15),
                  new Item("net income", 0.1))),
          new Topic(
              "a summary of cash flows",
              List.of(
                  new Item("net cash provided by operating activities", 1.0),
                  new Item("capital expenditures", 0.35),
                  new Item("free cash flow", 0.65),
                  new Item("dividends paid", 0.2),
                  new Item("share repurchases", 0.3))),
          new Topic(
              "selected balance sheet data",
              List.of(
                  new Item("total assets", 1.0),
                  new Item("total liabilities", 0.6),
                  new Item("total equity", 0.4),
                  new Item("long-term debt", 0.3),
                  new Item("cash and cash equivalents", 0.1))),
          new Topic(
              "net sales by geographic segment",
              List.of(
                  new Item("north america", 1.0),
                  new Item("europe", 0.6),
                  new Item("asia pacific", 0.4),
                  new Item("latin america", 0.15))),
          new Topic(
              "operating expenses by category",
              List.of(
                  new Item("selling general and administrative", 1.0),
                  new Item("research and development", 0.7),
                  new Item("depreciation and amortization", 0.3),
                  new Item("restructuring charges", 0.05))));

  private static final List<String> POST_TEXT =
      List.of(
          "the increase reflects higher volumes and favorable pricing , partially offset by higher costs .",
          "amounts for prior years have been reclassified to conform to the current year presentation .",
          "see note 4 to the consolidated financial statements for additional information .",
          "management believes these measures are useful in evaluating operating performance .");

  private enum Kind {
    CHANGE(1), SUM_OF_ITEMS(1), RATIO(1), TOTAL_OVER_YEARS(1), AVERAGE_OVER_YEARS(1),
    PERCENT_CHANGE(2), AVERAGE_OF_TWO_YEARS(2), PERCENT_OF(2);

    final int operations;

    Kind(int operations) {
      this.operations = operations;
    }
  }

  private SyntheticFinQa() {}

  /** {@code count} examples for {@code seed} with the given difficulty. */
  public static List<FinQaRecord> generate(long seed, int count, Settings settings) {
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, got " + count);
    }
    List<FinQaRecord> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      records.add(example(seed, i, settings));
    }
    return records;
  }

  /** Example {@code index} of {@code seed}. */
  public static FinQaRecord example(long seed, int index, Settings settings) {
    // java.util.Random's first outputs for nearby seeds are correlated (consecutive indices all
    // drew the same operation count), so the seed is scrambled with SplitMix64's finalizer first.
    Random random = new Random(mix(seed ^ mix(index)));
    int operations = between(random, settings.minOperations(), settings.maxOperations());
    int rowCount = between(random, settings.minRows(), settings.maxRows());
    int yearCount = between(random, settings.minYears(), settings.maxYears());

    Topic topic = TOPICS.get(random.nextInt(TOPICS.size()));
    List<Item> chosen = new ArrayList<>(topic.items());
    Collections.shuffle(chosen, random);
    chosen = new ArrayList<>(chosen.subList(0, rowCount));
    chosen.sort(Comparator.comparingInt(topic.items()::indexOf)); // statement order, as in reports
    List<String> items = chosen.stream().map(Item::label).toList();

    int latestYear = 2008 + random.nextInt(15);
    List<String> years = new ArrayList<>();
    for (int y = 0; y < yearCount; y++) {
      years.add(Integer.toString(latestYear - y)); // newest first, as in annual reports
    }
    boolean decimals = random.nextInt(4) == 0;
    List<List<String>> values = new ArrayList<>(); // cell text without "$"
    double companySize = 500 + random.nextInt(50_000); // largest item, in millions
    for (int r = 0; r < rowCount; r++) {
      double base = companySize * chosen.get(r).weight() * (0.9 + 0.2 * random.nextDouble());
      List<String> row = new ArrayList<>();
      for (int y = 0; y < yearCount; y++) {
        double v = Math.max(1, base * (0.85 + 0.3 * random.nextDouble()));
        row.add(decimals ? NumericAnswers.format(Math.round(v * 10) / 10.0) : Long.toString(Math.round(v)));
      }
      values.add(row);
    }
    List<List<String>> table = new ArrayList<>();
    List<String> header = new ArrayList<>();
    header.add("");
    header.addAll(years);
    table.add(header);
    for (int r = 0; r < rowCount; r++) {
      List<String> row = new ArrayList<>();
      row.add(items.get(r));
      for (String v : values.get(r)) {
        row.add(r == 0 ? "$ " + v : v); // FinQA marks the currency on the first row only
      }
      table.add(row);
    }

    List<Kind> kinds = new ArrayList<>();
    for (Kind k : Kind.values()) {
      if (k.operations == operations) {
        kinds.add(k);
      }
    }
    Kind kind = kinds.get(random.nextInt(kinds.size()));
    Question q = question(kind, random, items, years, values);

    FinQaProgram program = FinQaProgram.parse(q.program);
    List<FinQaValue> stepValues = program.executeSteps(table);
    double result = FinQaProgram.round5(((FinQaValue.Numeric) stepValues.get(stepValues.size() - 1)).value());
    String trace = q.trace(stepValues, result);

    Map<String, String> goldInds = new LinkedHashMap<>();
    for (int r : q.rowsUsed) {
      goldInds.put("table_" + (r + 1), rowToText(table.get(0), table.get(r + 1)));
    }
    String pre =
        "the following table presents "
            + topic.title()
            + " for the years ended december 31 , "
            + String.join(" , ", years)
            + " ( in millions ) :";
    return new FinQaRecord(
        "synthetic/" + seed + "/" + index,
        List.of(pre),
        List.of(POST_TEXT.get(random.nextInt(POST_TEXT.size()))),
        table,
        q.text,
        q.program,
        new FinQaValue.Numeric(result),
        q.answerText(result),
        goldInds,
        trace);
  }

  /** A question with its gold program and the pieces its reasoning trace is written from. */
  private static final class Question {
    String text;
    String program;
    List<Integer> rowsUsed = new ArrayList<>();
    Kind kind;
    String item;
    String a; // first operand as written
    String b; // second operand as written
    String aLabel;
    String bLabel;
    String year; // for questions about one year

    String trace(List<FinQaValue> steps, double result) {
      String first = show(steps.get(0));
      String answer = NumericAnswers.format(result);
      return switch (kind) {
        case CHANGE -> "the " + item + " was " + a + " in " + aLabel + " and " + b + " in " + bLabel
            + " . the change is " + a + " - " + b + " = " + first + " . the answer is " + answer + " .";
        case SUM_OF_ITEMS -> "in " + year + " , " + aLabel + " was " + a + " and " + bLabel + " was " + b + " . together they are "
            + a + " + " + b + " = " + first + " . the answer is " + answer + " .";
        case RATIO -> "in " + year + " , " + aLabel + " was " + a + " and " + bLabel + " was " + b + " . the ratio is "
            + a + " / " + b + " = " + first + " . the answer is " + answer + " .";
        case TOTAL_OVER_YEARS -> "the " + item + " row shows " + a + " . their sum is " + first
            + " . the answer is " + answer + " .";
        case AVERAGE_OVER_YEARS -> "the " + item + " row shows " + a + " . their average is " + first
            + " . the answer is " + answer + " .";
        case PERCENT_CHANGE -> "the " + item + " was " + a + " in " + aLabel + " and " + b + " in " + bLabel
            + " . the change is " + a + " - " + b + " = " + first + " . relative to " + bLabel + " this is "
            + first + " / " + b + " = " + answer + " , or " + percent(result) + " . the answer is " + answer + " .";
        case AVERAGE_OF_TWO_YEARS -> "the " + item + " was " + a + " in " + aLabel + " and " + b + " in "
            + bLabel + " . their sum is " + a + " + " + b + " = " + first + " , and half of it is "
            + first + " / 2 = " + answer + " . the answer is " + answer + " .";
        case PERCENT_OF -> "in " + year + " , " + aLabel + " was " + a + " and " + bLabel + " was " + b + " . the ratio is "
            + a + " / " + b + " = " + first + " , which is " + first + " * 100 = " + answer
            + " percent . the answer is " + answer + " .";
      };
    }

    String answerText(double result) {
      return switch (kind) {
        case PERCENT_CHANGE -> percent(result);
        case PERCENT_OF -> readable(result) + "%";
        default -> readable(result);
      };
    }

    /**
     * A number as an annotator would write it: two decimals from 100 up, three significant digits
     * below, so it is always within 0.5% of the exact value (inside DRO's 2% tolerance).
     */
    private static String readable(double value) {
      if (value == 0) {
        return "0";
      }
      BigDecimal exact = new BigDecimal(value);
      BigDecimal rounded =
          Math.abs(value) >= 100
              ? exact.setScale(2, RoundingMode.HALF_UP)
              : exact.round(new MathContext(3, RoundingMode.HALF_UP));
      return rounded.stripTrailingZeros().toPlainString();
    }

    private static String show(FinQaValue value) {
      return NumericAnswers.format(FinQaProgram.round5(((FinQaValue.Numeric) value).value()));
    }

    private static String percent(double fraction) {
      return readable(fraction * 100) + "%";
    }
  }

  private static Question question(
      Kind kind, Random random, List<String> items, List<String> years, List<List<String>> values) {
    Question q = new Question();
    q.kind = kind;
    int row = random.nextInt(items.size());
    int other = (row + 1 + random.nextInt(items.size() - 1)) % items.size();
    int newer = random.nextInt(years.size() - 1);
    int older = newer + 1 + random.nextInt(years.size() - 1 - newer);
    int year = random.nextInt(years.size());
    String item = items.get(row);
    q.item = item;
    switch (kind) {
      case CHANGE, PERCENT_CHANGE, AVERAGE_OF_TWO_YEARS -> {
        q.a = values.get(row).get(newer);
        q.b = values.get(row).get(older);
        q.aLabel = years.get(newer);
        q.bLabel = years.get(older);
        q.rowsUsed.add(row);
        String span = " from " + q.bLabel + " to " + q.aLabel + "?";
        if (kind == Kind.CHANGE) {
          q.text = "what was the change in " + item + span;
          q.program = "subtract(" + q.a + ", " + q.b + ")";
        } else if (kind == Kind.PERCENT_CHANGE) {
          q.text = "what was the percentage change in " + item + span;
          q.program = "subtract(" + q.a + ", " + q.b + "), divide(#0, " + q.b + ")";
        } else {
          q.text = "what was the average " + item + " in " + q.bLabel + " and " + q.aLabel + "?";
          q.program = "add(" + q.a + ", " + q.b + "), divide(#0, const_2)";
        }
      }
      case SUM_OF_ITEMS, RATIO, PERCENT_OF -> {
        q.a = values.get(row).get(year);
        q.b = values.get(other).get(year);
        q.aLabel = item;
        q.year = years.get(year);
        q.bLabel = items.get(other);
        q.rowsUsed.add(row);
        q.rowsUsed.add(other);
        String in = " in " + years.get(year) + "?";
        if (kind == Kind.SUM_OF_ITEMS) {
          q.text = "what was the total of " + item + " and " + items.get(other) + in;
          q.program = "add(" + q.a + ", " + q.b + ")";
        } else if (kind == Kind.RATIO) {
          q.text = "what was the ratio of " + item + " to " + items.get(other) + in;
          q.program = "divide(" + q.a + ", " + q.b + ")";
        } else {
          q.text = "what was " + item + " as a percentage of " + items.get(other) + in;
          q.program = "divide(" + q.a + ", " + q.b + "), multiply(#0, const_100)";
        }
      }
      case TOTAL_OVER_YEARS, AVERAGE_OVER_YEARS -> {
        q.a = String.join(" , ", values.get(row));
        q.rowsUsed.add(row);
        String span = " from " + years.get(years.size() - 1) + " to " + years.get(0) + "?";
        if (kind == Kind.TOTAL_OVER_YEARS) {
          q.text = "what was the total " + item + span;
          q.program = "table_sum(" + item + ", none)";
        } else {
          q.text = "what was the average " + item + span;
          q.program = "table_average(" + item + ", none)";
        }
      }
      default -> throw new IllegalStateException("unknown kind " + kind);
    }
    return q;
  }

  /** A table row as FinQA's supporting-fact text: "the ITEM of YEAR is CELL ; ...". */
  private static String rowToText(List<String> header, List<String> row) {
    StringBuilder text = new StringBuilder();
    for (int c = 1; c < row.size(); c++) {
      text.append("the ").append(row.get(0)).append(" of ").append(header.get(c)).append(" is ").append(row.get(c)).append(" ;");
      if (c + 1 < row.size()) {
        text.append(' ');
      }
    }
    return text.toString().toLowerCase(Locale.ROOT);
  }

  /** SplitMix64's finalizer (Steele et al. 2014): a bijection that spreads every input bit. */
  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static int between(Random random, int min, int max) {
    return min + random.nextInt(max - min + 1);
  }
}
