package dro4j.rl;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** Base of tests over NDArrays: one engine manager per class, a fresh sub-manager {@link #m} per test. */
abstract class NdTest {
  private static NDManager root;
  /** The current test's manager, closed after it. */
  protected NDManager m;

  @BeforeAll
  static void engine() {
    root = Nd.manager();
  }

  @AfterAll
  static void closeEngine() {
    root.close();
  }

  @BeforeEach
  void sub() {
    m = root.newSubManager();
  }

  @AfterEach
  void closeSub() {
    m.close();
  }
}
