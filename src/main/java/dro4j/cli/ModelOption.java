package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.model.BundledModel;
import dro4j.model.TensorEngine;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --model DIR} option shared by every command that loads a model. */
final class ModelOption {
  @Option(
      names = "--model",
      paramLabel = "DIR|bundled:NAME",
      description = "Hugging Face model folder (config.json, model.safetensors, tokenizer.json, ...), or a bundled"
          + " model: bundled:" + BundledModel.NAME + " or bundled:" + BundledModel.FINQA_TINY + "."
          + " Default: bundled:" + BundledModel.NAME + ".")
  Path directory;

  @Option(
      names = "--device",
      paramLabel = "cpu|cuda|cuda:N",
      defaultValue = "cpu",
      description = "Where the weights, KV cache and every step's tensors live. CUDA needs a CUDA build of libtorch"
          + " 2.7.1 (README, 'On a GPU'); untested. Default: ${DEFAULT-VALUE}.")
  String device;

  /** The folder to read: the given one, the bundled model it names, or the bundled default. */
  Path resolve() {
    return BundledModel.resolve(directory);
  }

  LanguageModel load() {
    return LanguageModel.load(resolve(), TensorEngine.device(device));
  }
}
