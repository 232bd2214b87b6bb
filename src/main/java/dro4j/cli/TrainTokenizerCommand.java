package dro4j.cli;

import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.text.BpeTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j train-tokenizer}: a small byte-fallback BPE tokenizer learned from a data file. */
@Command(
    name = "train-tokenizer",
    mixinStandardHelpOptions = true,
    description = {
      "Learn a Llama-style BPE tokenizer (byte fallback, so any UTF-8 text encodes; every digit its own token)"
          + " from the fields and references of a dro4j example file, and write tokenizer.json and"
          + " tokenizer_config.json (<s> bos, </s> eos) that load in dro4j and transformers."
    })
final class TrainTokenizerCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "FILE", required = true, description = "dro4j example file (JSON Lines).")
  Path data;

  @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "1024",
      description = "Vocabulary size (specials, 256 bytes, printable ASCII, then merges). Default 1024.")
  int vocabSize;

  @Option(names = "--model-max-length", paramLabel = "N", defaultValue = "1024",
      description = "model_max_length of tokenizer_config.json. Default 1024.")
  int modelMaxLength;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder to write the files to.")
  Path out;

  @Override
  public Integer call() {
    List<String> texts = new ArrayList<>();
    for (Example e : ExampleFiles.read(data)) {
      texts.addAll(e.fields().containsKey("prompt") ? List.of(e.fields().get("prompt")) : e.fields().values());
      texts.add(e.reference());
    }
    BpeTrainer.Trained t = BpeTrainer.train(texts, vocabSize);
    BpeTrainer.write(t, out, modelMaxLength);
    spec.commandLine().getOut().printf("wrote %s: %d tokens, %d merges from %d texts%n", out, t.size(), t.merges().size(),
        texts.size());
    return 0;
  }
}
