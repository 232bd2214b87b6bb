package dro4j.rl.checkpoint;

/** The floating-point format of the model weights in a checkpoint. Optimizer moments are always fp32. */
public enum CheckpointDtype {
  /** fp32, bit-identical to the training weights; what {@code --resume} needs to continue exactly. */
  FLOAT32("F32", "float32"),
  /** bfloat16, rounded to nearest even; half the size, for inference and sharing. */
  BFLOAT16("BF16", "bfloat16");

  private final String safetensorsName;
  private final String torchName;

  CheckpointDtype(String safetensorsName, String torchName) {
    this.safetensorsName = safetensorsName;
    this.torchName = torchName;
  }

  /** The dtype string of the safetensors header ({@code F32}, {@code BF16}). */
  public String safetensorsName() {
    return safetensorsName;
  }

  /** The name config.json uses in {@code torch_dtype} / {@code dtype} ({@code float32}, {@code bfloat16}). */
  public String torchName() {
    return torchName;
  }
}
