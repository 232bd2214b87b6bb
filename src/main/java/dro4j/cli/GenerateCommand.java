package dro4j.cli;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.model.GenerationConfig;
import dro4j.text.ChatMessage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j generate}: sample completions of a prompt or a chat. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Sample completions of a text prompt or a chat conversation.",
      "Sampling uses generation_config.json's temperature/top_p/top_k when present and the flags"
          + " do not say otherwise (else temperature 1, no truncation); --greedy decodes greedily."
    })
final class GenerateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin AdapterOption adapter;

  static final class Input {
    @Option(names = "--prompt", paramLabel = "TEXT",
        description = "Prompt text, tokenized with the tokenizer's default special tokens (BOS where it adds one).")
    String prompt;

    @Option(names = "--chat", paramLabel = "FILE.json",
        description = "JSON list of {\"role\",\"content\"} messages, rendered with the chat template and the generation prompt.")
    Path chat;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Input input;

  @Mixin TemplateOptions templateOptions;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
      description = "Maximum number of new tokens (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--greedy", description = "Greedy decoding (argmax).")
  boolean greedy;

  @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (> 0).")
  Double temperature;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling: keep the smallest set of tokens with probability >= P.")
  Double topP;

  @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0 = off).")
  Integer topK;

  @Option(names = "--min-p", paramLabel = "P", description = "Keep tokens with probability >= P * max probability (0 = off).")
  Double minP;

  @Option(names = "--repetition-penalty", paramLabel = "R", description = "Repetition penalty (1 = off).")
  Double repetitionPenalty;

  @Option(names = "--min-new-tokens", paramLabel = "N",
      description = "No EOS (or other stop id) before N new tokens (transformers' min_new_tokens; default: the model's"
          + " generation_config.json, else 0).")
  Integer minNewTokens;

  @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable); the text is cut before it.")
  List<String> stopStrings = new ArrayList<>();

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--num", paramLabel = "N", defaultValue = "1", description = "Completions to sample (default: ${DEFAULT-VALUE}).")
  int num;

  @Option(names = "--json", description = "Print one JSON object with prompt_ids and completions.")
  boolean json;

  @Override
  public Integer call() {
    if (num < 1) {
      throw new BadInputException("--num must be >= 1, got " + num);
    }
    try (LanguageModel lm = adapter.load(model)) {
      int[] promptIds;
      if (input != null && input.chat != null) {
        List<ChatMessage> messages = ChatMessage.readJson(input.chat);
        promptIds = lm.encodeChat(messages, true, templateOptions.resolve());
      } else {
        String text = input == null || input.prompt == null ? "" : input.prompt;
        promptIds = lm.tokenizer().encode(text, true);
      }
      if (promptIds.length == 0) {
        throw new BadInputException("the prompt is empty after tokenization (this tokenizer adds no BOS): give --prompt TEXT");
      }
      SamplingParams params = samplingParams(lm.generationConfig());
      try (Generation g = lm.generate(List.of(promptIds), params, false)) {
        print(promptIds, g.completions());
      }
    }
    return 0;
  }

  private SamplingParams samplingParams(GenerationConfig defaults) {
    SamplingParams p = SamplingParams.defaults().withMaxNewTokens(maxNewTokens).withSeed(seed)
        .withNumReturnSequences(num).withStopStrings(stopStrings)
        .withMinNewTokens(minNewTokens != null ? minNewTokens : defaults.minNewTokens() != null ? defaults.minNewTokens() : 0)
        .withRepetitionPenalty(orElse(repetitionPenalty, defaults.repetitionPenalty(), 1.0));
    if (greedy) {
      return p.withGreedy(true);
    }
    return p.withTemperature(orElse(temperature, defaults.temperature(), 1.0))
        .withTopP(orElse(topP, defaults.topP(), 1.0))
        .withTopK(topK != null ? topK : defaults.topK() != null ? defaults.topK() : 0)
        .withMinP(minP != null ? minP : 0.0);
  }

  private static double orElse(Double flag, Double fromConfig, double fallback) {
    return flag != null ? flag : fromConfig != null ? fromConfig : fallback;
  }

  private void print(int[] promptIds, List<Completion> completions) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("prompt_ids", promptIds);
      List<Map<String, Object>> list = new ArrayList<>();
      for (Completion c : completions) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ids", c.ids());
        m.put("text", c.text());
        m.put("logprobs", c.logprobs());
        m.put("finish_reason", c.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        list.add(m);
      }
      root.put("completions", list);
      out.println(Json.write(root));
      return;
    }
    for (int i = 0; i < completions.size(); i++) {
      Completion c = completions.get(i);
      if (completions.size() > 1) {
        out.printf("--- completion %d (%d tokens, %s, logprob %.3f)%n", i, c.ids().length,
            c.finishReason().name().toLowerCase(java.util.Locale.ROOT), c.sumLogprob());
      }
      out.println(c.text());
    }
  }
}
