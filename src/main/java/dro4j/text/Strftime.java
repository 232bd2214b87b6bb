package dro4j.text;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale, for the {@code strftime_now} function of chat
 * templates (Llama 3 writes {@code strftime_now("%d %b %Y")}). Times are naive local times as in
 * transformers ({@code datetime.now()}), so {@code %z} and {@code %Z} give empty strings. A {@code
 * -} after {@code %} drops zero padding, as glibc does ({@code %-d}).
 */
final class Strftime {
  private Strftime() {}

  /** Formats {@code time} with a Python strftime {@code format}. */
  static String format(String format, LocalDateTime time) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      if (i + 1 >= format.length()) {
        throw new IllegalArgumentException("strftime format ends with a lone '%': " + format);
      }
      boolean pad = true;
      char directive = format.charAt(++i);
      if (directive == '-' && i + 1 < format.length()) {
        pad = false;
        directive = format.charAt(++i);
      }
      out.append(directive(directive, pad, time, format));
    }
    return out.toString();
  }

  private static String directive(char d, boolean pad, LocalDateTime t, String format) {
    int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
    int dayOfYear0 = t.getDayOfYear() - 1;
    int weekdaySunday0 = t.getDayOfWeek().getValue() % 7;
    int weekdayMonday0 = t.getDayOfWeek().getValue() - 1;
    return switch (d) {
      case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'w' -> Integer.toString(weekdaySunday0);
      case 'u' -> Integer.toString(weekdayMonday0 + 1);
      case 'd' -> number(t.getDayOfMonth(), 2, pad);
      case 'e' -> pad ? String.format("%2d", t.getDayOfMonth()) : Integer.toString(t.getDayOfMonth());
      case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'm' -> number(t.getMonthValue(), 2, pad);
      case 'y' -> number(t.getYear() % 100, 2, pad);
      case 'Y' -> Integer.toString(t.getYear());
      case 'H' -> number(t.getHour(), 2, pad);
      case 'I' -> number(hour12, 2, pad);
      case 'p' -> t.getHour() < 12 ? "AM" : "PM";
      case 'M' -> number(t.getMinute(), 2, pad);
      case 'S' -> number(t.getSecond(), 2, pad);
      case 'f' -> number(t.get(ChronoField.MICRO_OF_SECOND), 6, pad);
      case 'j' -> number(t.getDayOfYear(), 3, pad);
      case 'U' -> number((dayOfYear0 + 7 - weekdaySunday0) / 7, 2, pad);
      case 'W' -> number((dayOfYear0 + 7 - weekdayMonday0) / 7, 2, pad);
      case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
      case 'x' -> format("%m/%d/%y", t);
      case 'X' -> format("%H:%M:%S", t);
      case 'D' -> format("%m/%d/%y", t);
      case 'F' -> format("%Y-%m-%d", t);
      case 'T' -> format("%H:%M:%S", t);
      case 'R' -> format("%H:%M", t);
      case 'n' -> "\n";
      case 't' -> "\t";
      case 'z', 'Z' -> "";
      case '%' -> "%";
      default -> throw new IllegalArgumentException(
          "unsupported strftime directive %" + d + " in " + format);
    };
  }

  private static String number(int value, int width, boolean pad) {
    String digits = Integer.toString(value);
    return pad && digits.length() < width ? "0".repeat(width - digits.length()) + digits : digits;
  }
}
