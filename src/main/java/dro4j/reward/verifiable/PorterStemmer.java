package dro4j.reward.verifiable;

/**
 * The Porter stemmer as published (M.F. Porter 1980, "An algorithm for suffix stripping", Program
 * 14(3)): steps 1a to 5b on a lower-case word, for ROUGE's optional stemming.
 *
 * <p>Differences from rouge-score's stemmer: rouge-score uses NLTK's {@code PorterStemmer} in its
 * default {@code NLTK_EXTENSIONS} mode, which adds a few rules and irregular forms on top of the
 * paper (irregular forms such as "dying" giving "die" and "skies" giving "sky", where this stemmer
 * gives "dy" and "ski"), so with stemming on, ROUGE scores can differ on such words. Stemming is off
 * by default, as in rouge-score.
 */
public final class PorterStemmer {
  // Longest suffix first within each step: the longest matching suffix decides, and when its
  // condition fails the step changes nothing (as in Porter's reference implementation).
  private static final String[][] STEP2 = {
    {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
    {"abli", "able"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
    {"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"},
    {"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
  };
  private static final String[][] STEP3 = {
    {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"}, {"ical", "ic"}, {"ful", ""}, {"ness", ""},
  };
  private static final String[] STEP4 = {
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
    "ate", "iti", "ous", "ive", "ize",
  };

  private PorterStemmer() {}

  /** The stem of a lower-case word; words of one or two letters are returned unchanged. */
  public static String stem(String word) {
    if (word.length() <= 2) {
      return word;
    }
    String w = step1a(word);
    w = step1b(w);
    w = step1c(w);
    w = replaceLongest(w, STEP2, 0);
    w = replaceLongest(w, STEP3, 0);
    w = step4(w);
    return step5(w);
  }

  private static String step1a(String w) {
    if (w.endsWith("sses")) {
      return cut(w, 2);
    }
    if (w.endsWith("ies")) {
      return cut(w, 2);
    }
    if (w.endsWith("ss")) {
      return w;
    }
    return w.endsWith("s") ? cut(w, 1) : w;
  }

  private static String step1b(String w) {
    if (w.endsWith("eed")) {
      return measure(cut(w, 3)) > 0 ? cut(w, 1) : w;
    }
    String stem;
    if (w.endsWith("ed") && hasVowel(cut(w, 2))) {
      stem = cut(w, 2);
    } else if (w.endsWith("ing") && hasVowel(cut(w, 3))) {
      stem = cut(w, 3);
    } else {
      return w;
    }
    if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) {
      return stem + "e";
    }
    char last = stem.charAt(stem.length() - 1);
    if (endsDoubleConsonant(stem) && last != 'l' && last != 's' && last != 'z') {
      return cut(stem, 1);
    }
    if (measure(stem) == 1 && endsCvc(stem)) {
      return stem + "e";
    }
    return stem;
  }

  private static String step1c(String w) {
    return w.endsWith("y") && hasVowel(cut(w, 1)) ? cut(w, 1) + "i" : w;
  }

  private static String step4(String w) {
    String suffix = longest(w, STEP4);
    if (suffix == null) {
      return w;
    }
    String stem = cut(w, suffix.length());
    if (suffix.equals("ion") && !(stem.endsWith("s") || stem.endsWith("t"))) {
      return w;
    }
    return measure(stem) > 1 ? stem : w;
  }

  private static String step5(String w) {
    if (w.endsWith("e")) {
      String stem = cut(w, 1);
      int m = measure(stem);
      if (m > 1 || (m == 1 && !endsCvc(stem))) {
        w = stem;
      }
    }
    if (w.endsWith("ll") && measure(w) > 1) {
      w = cut(w, 1);
    }
    return w;
  }

  /** Replaces the longest suffix of {@code rules} when the measure of the rest exceeds {@code minMeasure}. */
  private static String replaceLongest(String w, String[][] rules, int minMeasure) {
    String[] best = null;
    for (String[] rule : rules) {
      if (w.endsWith(rule[0]) && (best == null || rule[0].length() > best[0].length())) {
        best = rule;
      }
    }
    if (best == null) {
      return w;
    }
    String stem = cut(w, best[0].length());
    return measure(stem) > minMeasure ? stem + best[1] : w;
  }

  private static String longest(String w, String[] suffixes) {
    String best = null;
    for (String s : suffixes) {
      if (w.endsWith(s) && (best == null || s.length() > best.length())) {
        best = s;
      }
    }
    return best;
  }

  private static String cut(String w, int n) {
    return w.substring(0, w.length() - n);
  }

  /** Porter's consonant: not a, e, i, o, u, and y only when it follows a vowel (or starts the word). */
  private static boolean consonant(String w, int i) {
    return switch (w.charAt(i)) {
      case 'a', 'e', 'i', 'o', 'u' -> false;
      case 'y' -> i == 0 || !consonant(w, i - 1);
      default -> true;
    };
  }

  /** m in [C](VC)^m[V]: the number of vowel-consonant sequences. */
  static int measure(String w) {
    int m = 0;
    boolean inVowels = false;
    for (int i = 0; i < w.length(); i++) {
      boolean c = consonant(w, i);
      if (!c) {
        inVowels = true;
      } else if (inVowels) {
        m++;
        inVowels = false;
      }
    }
    return m;
  }

  private static boolean hasVowel(String w) {
    for (int i = 0; i < w.length(); i++) {
      if (!consonant(w, i)) {
        return true;
      }
    }
    return false;
  }

  private static boolean endsDoubleConsonant(String w) {
    int n = w.length();
    return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && consonant(w, n - 1);
  }

  /** *o: ends consonant-vowel-consonant, the last not w, x or y. */
  private static boolean endsCvc(String w) {
    int n = w.length();
    if (n < 3 || !consonant(w, n - 3) || consonant(w, n - 2) || !consonant(w, n - 1)) {
      return false;
    }
    char last = w.charAt(n - 1);
    return last != 'w' && last != 'x' && last != 'y';
  }
}
