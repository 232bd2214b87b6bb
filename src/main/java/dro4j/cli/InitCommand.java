package dro4j.cli;

import dro4j.model.ModelInit;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j init}: a new model folder with seeded random weights, to train from scratch. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Create a Hugging Face model folder with freshly initialised weights (as transformers' LlamaForCausalLM"
          + " initialises them: normal(0, initializer_range), RMSNorm weights 1, pad row 0), to train from scratch"
          + " with `dro4j sft`.",
      "Writes config.json, model.safetensors (fp32), generation_config.json and the tokenizer files."
    })
final class InitCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE.json", required = true,
      description = "A Hugging Face config.json (LlamaForCausalLM, Qwen2ForCausalLM or MistralForCausalLM).")
  Path config;

  @Option(names = "--tokenizer", paramLabel = "DIR", required = true,
      description = "Folder with tokenizer.json and tokenizer_config.json (e.g. from `dro4j train-tokenizer`).")
  Path tokenizer;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the initial weights. Default 0.")
  long seed;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "New model folder (absent or empty).")
  Path out;

  @Override
  public Integer call() {
    ModelInit.create(config, tokenizer, seed, out);
    spec.commandLine().getOut().println("wrote " + out);
    return 0;
  }
}
