package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.model.BundledModel;
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

  /** The folder to read: the given one, the bundled model it names, or the bundled default. */
  Path resolve() {
    return BundledModel.resolve(directory);
  }

  LanguageModel load() {
    return LanguageModel.load(resolve());
  }
}
