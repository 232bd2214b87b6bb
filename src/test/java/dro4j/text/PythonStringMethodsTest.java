package dro4j.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PythonStringMethodsTest {
  private static Object call(String s, String method, Object... args) {
    return PythonStringMethods.call(s, method, args);
  }

  @Test
  void behaveLikePython() {
    // Expected values printed by Python 3 for the same calls.
    assertThat(call("\n\nab\n", "lstrip", "\n")).isEqualTo("ab\n");
    assertThat(call("xxabxx", "strip", "x")).isEqualTo("ab");
    assertThat(call(" \u00a0a b\t", "strip")).isEqualTo("a b");
    assertThat(call("a</think>", "split", "</think>")).isEqualTo(List.of("a", ""));
    assertThat(call("a.b..c", "split", ".")).isEqualTo(List.of("a", "b", "", "c"));
    assertThat(call("  a  b ", "split")).isEqualTo(List.of("a", "b"));
    assertThat(call(" a b c ", "split", null, 1L)).isEqualTo(List.of("a", "b c "));
    assertThat(call("a,b,c", "split", ",", 1L)).isEqualTo(List.of("a", "b,c"));
    assertThat(call("hello wORLD they're", "title")).isEqualTo("Hello World They'Re");
    assertThat(call("hELLO", "capitalize")).isEqualTo("Hello");
    assertThat(call("a-b-c", "replace", "-", "+", 1L)).isEqualTo("a+b-c");
    assertThat(call("abc", "replace", "", "-", 2L)).isEqualTo("-a-bc");
    assertThat(call("😀abc", "find", "b")).isEqualTo(2L);
    assertThat(call("aaaa", "count", "aa")).isEqualTo(2L);
    assertThat(call("ab", "count", "")).isEqualTo(3L);
    assertThat(call("xab", "startswith", List.of("q", "x"))).isEqualTo(true);
    assertThat(call("xab", "endswith", "a")).isEqualTo(false);
    assertThat(call(", ", "join", List.of("a", "b"))).isEqualTo("a, b");
  }

  @Test
  void pythonErrorsAreErrors() {
    assertThatThrownBy(() -> call("abc", "split", "")).hasMessageContaining("empty separator");
    assertThatThrownBy(() -> call("", "join", List.of(1L))).hasMessageContaining("expected str");
  }
}
