package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.model.BundledModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --model DIR} option shared by every command that loads a model. */
final class ModelOption {
  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Hugging Face model folder (config.json, model.safetensors, tokenizer.json, ...)."
          + " Default: the bundled " + BundledModel.NAME + ".")
  Path directory;

  /** The folder to read: the given one or the bundled model. */
  Path resolve() {
    return directory != null ? directory : BundledModel.directory();
  }

  LanguageModel load() {
    return LanguageModel.load(resolve());
  }
}
