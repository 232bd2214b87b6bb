package dro4j.cli;

import dro4j.rl.checkpoint.AdapterMerge;
import dro4j.rl.checkpoint.CheckpointDtype;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j merge}: folds a LoRA adapter into its base model, writing a plain Hugging Face folder. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = {
      "Merge a PEFT LoRA adapter into its base model: every targeted linear weight becomes",
      "W + (lora_alpha / r) * B A (PEFT's merge_and_unload); config.json and the tokenizer files are copied.",
      "The result loads anywhere the base does, without adapter support."
    })
final class MergeCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--adapter", paramLabel = "DIR", required = true,
      description = "The PEFT adapter folder (adapter_config.json, adapter_model.safetensors).")
  Path adapter;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "New (or empty) folder for the merged model.")
  Path out;

  @Option(names = "--dtype", paramLabel = "float32|bfloat16",
      description = "Data type of the written weights. Default: the base's (float32 unless the base is bfloat16).")
  String dtype;

  @Override
  public Integer call() {
    CheckpointDtype d = null;
    if (dtype != null) {
      d = switch (dtype) {
        case "float32" -> CheckpointDtype.FLOAT32;
        case "bfloat16" -> CheckpointDtype.BFLOAT16;
        default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--dtype must be float32 or bfloat16, got " + dtype);
      };
    }
    CheckpointDtype written = AdapterMerge.merge(model.resolve(), adapter, out, d);
    spec.commandLine().getOut().printf("merged %s into %s: %s (%s)%n", adapter, model.resolve(), out, written.torchName());
    return 0;
  }
}
