package dro4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The optional {@code generation_config.json} of a model folder: special tokens and the sampling
 * defaults its authors recommend. Every field is null (or the list empty) when the file does not say.
 *
 * @param bosTokenId beginning-of-sequence token
 * @param eosTokenIds tokens that end generation ({@code eos_token_id}, an int or a list)
 * @param padTokenId padding token
 * @param doSample whether to sample rather than decode greedily
 * @param temperature softmax temperature
 * @param topP nucleus sampling mass
 * @param topK top-k cut-off
 * @param repetitionPenalty CTRL-style repetition penalty
 * @param maxNewTokens generation length limit
 * @param maxLength total length limit (prompt included)
 * @param minNewTokens fewest new tokens before an EOS may be drawn ({@code min_new_tokens})
 */
public record GenerationConfig(
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId,
    Boolean doSample,
    Double temperature,
    Double topP,
    Integer topK,
    Double repetitionPenalty,
    Integer maxNewTokens,
    Integer maxLength,
    Integer minNewTokens) {

  /** The file name inside a model folder. */
  public static final String FILE = "generation_config.json";

  public GenerationConfig {
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
  }

  /** A config that says nothing. */
  public static GenerationConfig empty() {
    return new GenerationConfig(null, List.of(), null, null, null, null, null, null, null, null, null);
  }

  /** {@code generation_config.json} of a model folder, or {@link #empty()} when there is none. */
  public static GenerationConfig loadOrDefault(Path modelDir) {
    Path file = modelDir.resolve(FILE);
    return Files.exists(file) ? load(file) : empty();
  }

  /** Parses a {@code generation_config.json}; any problem is a {@link BadInputException}. */
  public static GenerationConfig load(Path file) {
    Json json = new Json(file);
    JsonNode root = json.read();
    return new GenerationConfig(
        json.integer(root, "bos_token_id"),
        json.intOrList(root, "eos_token_id"),
        json.integer(root, "pad_token_id"),
        json.bool(root, "do_sample"),
        json.number(root, "temperature"),
        json.number(root, "top_p"),
        json.integer(root, "top_k"),
        json.number(root, "repetition_penalty"),
        json.integer(root, "max_new_tokens"),
        json.integer(root, "max_length"),
        json.integer(root, "min_new_tokens"));
  }
}
