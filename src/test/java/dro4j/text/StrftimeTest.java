package dro4j.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

class StrftimeTest {
  @Test
  void formatsLikePython() {
    LocalDateTime t = LocalDateTime.of(2025, 3, 7, 9, 5, 3, 42_000);
    // Python 3: datetime.datetime(2025, 3, 7, 9, 5, 3, 42).strftime(f) on Linux.
    assertThat(Strftime.format("%d %b %Y", t)).isEqualTo("07 Mar 2025");
    assertThat(Strftime.format("%Y-%m-%d %H:%M:%S", t)).isEqualTo("2025-03-07 09:05:03");
    assertThat(Strftime.format("%A %B %-d %I:%M %p", t)).isEqualTo("Friday March 7 09:05 AM");
    assertThat(Strftime.format("%a %j %U %W %w %u %y %f %%", t)).isEqualTo("Fri 066 09 09 5 5 25 000042 %");
    assertThat(Strftime.format("%c", t)).isEqualTo("Fri Mar  7 09:05:03 2025");
    assertThat(Strftime.format("%x %X", t)).isEqualTo("03/07/25 09:05:03");
    assertThat(Strftime.format("%e|%z|%Z", t)).isEqualTo(" 7||");
  }

  @Test
  void rejectsUnknownDirectives() {
    assertThatThrownBy(() -> Strftime.format("%Q", LocalDateTime.now()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("%Q");
  }
}
