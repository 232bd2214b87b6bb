package dro4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.LanguageModel;
import dro4j.data.Example;
import dro4j.data.ExampleFiles;
import dro4j.data.finqa.FinQaProgramAnswers;
import dro4j.generate.Completion;
import dro4j.generate.Generation;
import dro4j.generate.SamplingParams;
import dro4j.model.BundledModel;
import dro4j.data.prompt.PromptTemplates;
import dro4j.task.PromptRenderer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Held-out pass@1 of a model that answers FinQA-style questions with a FinQA program (the bundled
 * finqa-tiny): each example's prompt is built exactly as {@code dro4j sft} builds it (its field {@code
 * prompt}, BOS, no chat template unless the model has one), one completion is decoded greedily, the
 * program after {@code </think>} is executed and judged by DRO's 2% metric ({@link FinQaProgramAnswers}).
 * A stand-in until {@code dro4j eval} exists; it writes the same {@code results.jsonl} lines.
 *
 * <pre>java -cp dro4j.jar dro4j.bench.FinQaProgramEval MODEL_DIR|bundled:NAME DATA.jsonl [LIMIT] [OUT.jsonl]</pre>
 */
public final class FinQaProgramEval {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 16;

  private FinQaProgramEval() {}

  /** One example's greedy completion and verdict. */
  public record Scored(Example example, String completion, String answer, boolean correct) {}

  /** Greedy completions of {@code examples} (at most {@code maxNewTokens} each), scored. */
  public static List<Scored> run(LanguageModel lm, List<Example> examples, int maxNewTokens) {
    PromptRenderer prompts = new PromptRenderer(lm, PromptTemplates.PLAIN, null); // {prompt}, as sft renders it
    List<Scored> out = new ArrayList<>();
    for (int s = 0; s < examples.size(); s += BATCH) {
      List<Example> part = examples.subList(s, Math.min(examples.size(), s + BATCH));
      List<int[]> ids = part.stream().map(prompts::ids).toList();
      try (Generation g = lm.generate(ids, SamplingParams.greedy(maxNewTokens), false)) {
        for (Completion c : g.completions()) {
          Example e = part.get(c.promptIndex());
          @SuppressWarnings("unchecked")
          List<List<String>> table = (List<List<String>>) e.metadata().getOrDefault("table", List.of());
          out.add(new Scored(e, c.text(), FinQaProgramAnswers.answer(c.text(), table), FinQaProgramAnswers.correct(c.text(), e)));
        }
      }
    }
    return out;
  }

  /** The share of correct completions. */
  public static double passAt1(List<Scored> scored) {
    return scored.stream().filter(Scored::correct).count() / (double) Math.max(1, scored.size());
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: FinQaProgramEval MODEL_DIR|bundled:NAME DATA.jsonl [LIMIT] [OUT.jsonl]");
      System.exit(2);
    }
    List<Example> examples = ExampleFiles.read(Path.of(args[1]));
    if (args.length > 2) examples = examples.subList(0, Math.min(examples.size(), Integer.parseInt(args[2])));
    long start = System.nanoTime();
    PrintStream out = System.out;
    try (LanguageModel lm = LanguageModel.load(BundledModel.resolve(args[0]))) {
      List<Scored> scored = run(lm, examples, 200);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (args.length > 3) {
        StringBuilder lines = new StringBuilder();
        for (Scored r : scored) {
          ObjectNode line = JSON.createObjectNode();
          line.put("id", r.example().id());
          line.put("reference", r.example().reference());
          ObjectNode c = line.putArray("completions").addObject();
          c.put("text", r.completion());
          c.put("answer", r.answer());
          c.put("correct", r.correct());
          lines.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.writeString(Path.of(args[3]), lines, StandardCharsets.UTF_8);
      }
      out.printf("pass@1 %.4f (%d of %d held-out examples, greedy, program executed, DRO 2%% metric) in %.1f s%n",
          passAt1(scored), scored.stream().filter(Scored::correct).count(), scored.size(), seconds);
    }
  }
}
