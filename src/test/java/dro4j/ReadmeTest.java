package dro4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java examples compile against the current API and run. */
class ReadmeTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern CLASS_NAME = Pattern.compile("public class (\\w+)");
  /** What each example prints (any output for the others). */
  private static final java.util.Map<String, String> EXPECTED = java.util.Map.of(
      "ReadmeExample", "log p(reference | rollout)",
      "TrainingExample", "trained 3 steps, skipped 0");

  @Test
  void javaExamplesCompileAndRun(@TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Matcher m = JAVA_BLOCK.matcher(readme);
    List<String> classes = new ArrayList<>();
    while (m.find()) {
      String source = m.group(1);
      Matcher name = CLASS_NAME.matcher(source);
      assertThat(name.find()).as("a README java block declares a public class").isTrue();
      Path file = dir.resolve(name.group(1) + ".java");
      Files.writeString(file, source);
      classes.add(name.group(1));
    }
    assertThat(classes).isNotEmpty();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-d", dir.toString(), "-cp", System.getProperty("java.class.path")));
    for (String c : classes) {
      args.add(dir.resolve(c + ".java").toString());
    }
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    int code = javac.run(null, null, errors, args.toArray(new String[0]));
    assertThat(code).as(errors.toString(StandardCharsets.UTF_8)).isZero();

    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      for (String c : classes) {
        Method main = loader.loadClass(c).getMethod("main", String[].class);
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
          main.invoke(null, (Object) new String[0]);
        } finally {
          System.setOut(original);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).as(c).contains(EXPECTED.getOrDefault(c, "\n"));
      }
    }
  }
}
