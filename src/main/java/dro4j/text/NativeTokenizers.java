package dro4j.text;

/** Settings that let DJL load the bundled tokenizers native library without a network. */
final class NativeTokenizers {
  private static final String FLAVOR = "RUST_FLAVOR";

  private NativeTokenizers() {}

  /**
   * On a machine with a CUDA GPU, DJL picks a CUDA build of the tokenizers library, which is not in
   * the jar and would be downloaded. Tokenizing gains nothing from a GPU, so unless the user chose a
   * flavor we ask for the CPU build that the jar bundles.
   */
  static synchronized void prepare() {
    if (System.getenv(FLAVOR) == null && System.getProperty(FLAVOR) == null) {
      System.setProperty(FLAVOR, "cpu");
    }
  }

  /** The message for a native library that failed to load. */
  static String loadFailure() {
    return "cannot load the Hugging Face tokenizers native library; DJL extracts it from its jar to"
        + " $DJL_CACHE_DIR/tokenizers (default ~/.djl.ai/tokenizers): make sure that folder is"
        + " writable, or set DJL_CACHE_DIR";
  }
}
