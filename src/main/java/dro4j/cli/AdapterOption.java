package dro4j.cli;

import dro4j.LanguageModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --adapter DIR} option of the commands that run a model: a PEFT LoRA adapter on top of {@code --model}. */
final class AdapterOption {
  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description = "A PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors; e.g. a LoRA training"
          + " checkpoint) applied on top of --model. Default: none.")
  Path directory;

  /** The model of {@code model} with this adapter attached when one is given. */
  LanguageModel load(ModelOption model) {
    return LanguageModel.load(model.resolve(), directory, dro4j.model.TensorEngine.device(model.device));
  }
}
