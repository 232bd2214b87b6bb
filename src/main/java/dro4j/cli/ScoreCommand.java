package dro4j.cli;

import dro4j.LanguageModel;
import dro4j.score.TokenScores;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j score}: teacher-forced log-probs of a target after a context. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    description = {
      "Teacher-forced log-probability of each target token after the context.",
      "The context is tokenized like a prompt (default special tokens), the target without special tokens."
    })
final class ScoreCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin AdapterOption adapter;

  @Option(names = "--context", paramLabel = "TEXT", required = true, description = "Context text.")
  String context;

  @Option(names = "--target", paramLabel = "TEXT", required = true, description = "Target text to score.")
  String target;

  @Option(names = "--json", description = "Print {context_ids, target_ids, logprobs, sum} as JSON.")
  boolean json;

  @Override
  public Integer call() {
    try (LanguageModel lm = adapter.load(model)) {
      int[] contextIds = lm.tokenizer().encode(context, true);
      int[] targetIds = lm.tokenizer().encode(target, false);
      if (contextIds.length == 0) {
        throw new dro4j.BadInputException("the context is empty after tokenization (this tokenizer adds no BOS): give a non-empty --context");
      }
      TokenScores s = lm.score(contextIds, targetIds);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("context_ids", contextIds);
        root.put("target_ids", targetIds);
        root.put("logprobs", s.logprobs());
        root.put("sum", s.sum());
        out.println(Json.write(root));
      } else {
        out.printf("%-6s %-20s %10s %6s %8s%n", "id", "token", "logprob", "rank", "entropy");
        for (int j = 0; j < s.length(); j++) {
          out.printf("%-6d %-20s %10.4f %6d %8.3f%n", targetIds[j],
              Json.write(lm.tokenizer().tokenString(targetIds[j])), s.logprobs()[j], s.ranks()[j], s.entropies()[j]);
        }
        out.printf("sum %.6f over %d tokens%n", s.sum(), s.length());
      }
    }
    return 0;
  }
}
