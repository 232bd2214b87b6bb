package dro4j.text;

import ai.djl.engine.EngineException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dro4j.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A Hugging Face tokenizer loaded from a model folder ({@code tokenizer.json} plus {@code
 * tokenizer_config.json}), backed by the Rust {@code tokenizers} library through DJL.
 *
 * <p>Encoding never truncates and never pads. {@link #encode(String, boolean)} with special tokens
 * gives what transformers 5 {@code tokenizer(text)} gives: when {@code tokenizer_config.json} sets
 * {@code add_bos_token} or {@code add_eos_token}, those flags decide (transformers rebuilds the
 * post-processor from them); otherwise the {@code post_processor} of {@code tokenizer.json} does.
 *
 * <p>The native library ships inside the DJL jar and is extracted on first use to {@code
 * $DJL_CACHE_DIR/tokenizers} (default {@code ~/.djl.ai}); nothing is downloaded. Close a tokenizer
 * to free its native memory.
 */
public final class Tokenizer implements AutoCloseable {
  private final Path directory;
  private final Path tokenizerFile;
  private final TokenizerConfig config;
  private final HuggingFaceTokenizer hf;
  private final Map<String, Integer> idsByToken;
  private final String[] tokensById;
  private final boolean cleanUpSpaces;
  private final Integer bosTokenId;
  private final Integer eosTokenId;
  private final Integer padTokenId;

  private Tokenizer(
      Path directory,
      Path tokenizerFile,
      TokenizerConfig config,
      HuggingFaceTokenizer hf,
      Map<String, Integer> idsByToken,
      String[] tokensById,
      boolean cleanUpSpaces) {
    this.directory = directory;
    this.tokenizerFile = tokenizerFile;
    this.config = config;
    this.hf = hf;
    this.idsByToken = idsByToken;
    this.tokensById = tokensById;
    this.cleanUpSpaces = cleanUpSpaces;
    this.bosTokenId = configuredId("bos_token", config.bosToken());
    this.eosTokenId = configuredId("eos_token", config.eosToken());
    this.padTokenId = configuredId("pad_token", config.padToken());
    configuredId("unk_token", config.unkToken());
  }

  /**
   * Loads {@code modelDir/tokenizer.json} and {@code modelDir/tokenizer_config.json} (optional).
   *
   * @throws BadInputException when tokenizer.json is missing or either file is malformed
   */
  public static Tokenizer load(Path modelDir) {
    Path tokenizerFile = modelDir.resolve("tokenizer.json");
    TokenizerConfig config = TokenizerConfig.read(modelDir.resolve("tokenizer_config.json"));
    String json = JsonFiles.readText(tokenizerFile);
    // Parse in Java first: a clear message for broken JSON, and the vocabulary for id lookups.
    JsonNode root = JsonFiles.parse(tokenizerFile, json);
    if (!root.isObject() || !root.path("model").isObject()) {
      throw new BadInputException(tokenizerFile, "has no \"model\" object; not a tokenizer.json");
    }
    HuggingFaceTokenizer hf = createNative(tokenizerFile, json);
    try {
      Map<String, Integer> idsByToken = vocabulary(tokenizerFile, root);
      int size = idsByToken.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
      String[] tokensById = new String[size];
      idsByToken.forEach((token, id) -> tokensById[id] = token);
      // transformers 5 skips this WordPiece-era cleanup for BPE models: it would eat real spaces.
      boolean cleanUp =
          config.cleanUpTokenizationSpaces() && !"BPE".equals(root.path("model").path("type").asText());
      return new Tokenizer(modelDir, tokenizerFile, config, hf, idsByToken, tokensById, cleanUp);
    } catch (RuntimeException e) {
      hf.close();
      throw e;
    }
  }

  private static HuggingFaceTokenizer createNative(Path tokenizerFile, String json) {
    NativeTokenizers.prepare();
    // truncation must be off explicitly: DJL's default silently cuts every text to 512 tokens.
    Map<String, String> options =
        Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false");
    try {
      return HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
    } catch (EngineException e) {
      throw new IllegalStateException(NativeTokenizers.loadFailure(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      // The Rust side reports a malformed tokenizer.json as a plain RuntimeException.
      throw new BadInputException(
          tokenizerFile, "is not a valid Hugging Face tokenizer: " + e.getMessage(), e);
    }
  }

  // Token strings by id: the model vocabulary (a map for BPE/WordPiece/WordLevel, a list of
  // [piece, score] for Unigram) overlaid with added_tokens, as the Rust tokenizer does.
  private static Map<String, Integer> vocabulary(Path file, JsonNode root) {
    Map<String, Integer> ids = new HashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (!entry.getValue().canConvertToInt() || entry.getValue().intValue() < 0) {
          throw new BadInputException(file, "vocab id of \"" + entry.getKey() + "\" is not a valid id");
        }
        ids.put(entry.getKey(), entry.getValue().intValue());
      }
    } else if (vocab.isArray()) {
      int id = 0;
      for (JsonNode entry : vocab) {
        JsonNode piece = entry.isArray() ? entry.path(0) : entry;
        if (!piece.isTextual()) {
          throw new BadInputException(file, "vocab entry " + id + " has no token string");
        }
        ids.put(piece.textValue(), id++);
      }
    } else {
      throw new BadInputException(file, "model.vocab must be an object or a list");
    }
    for (JsonNode added : root.path("added_tokens")) {
      if (!added.path("content").isTextual() || !added.path("id").canConvertToInt()) {
        throw new BadInputException(file, "added_tokens entry needs \"id\" and \"content\": " + added);
      }
      ids.put(added.get("content").textValue(), added.get("id").intValue());
    }
    return ids;
  }

  private Integer configuredId(String field, String token) {
    if (token == null) {
      return null;
    }
    Integer id = idsByToken.get(token);
    if (id == null) {
      throw new BadInputException(
          config.file(), field + " \"" + token + "\" is not a token of " + tokenizerFile);
    }
    return id;
  }

  /**
   * Token ids of {@code text}, never truncated.
   *
   * @param addSpecialTokens add the tokenizer's default special tokens (for example Llama's BOS), as
   *     Hugging Face {@code tokenizer(text)} does; special-token strings inside {@code text} (such as
   *     {@code <|im_start|>}) are always recognised
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    if (!addSpecialTokens) {
      return toInts(hf.encode(text, false, false).getIds());
    }
    if (config.addBosToken() == null && config.addEosToken() == null) {
      return toInts(hf.encode(text, true, false).getIds());
    }
    int[] body = toInts(hf.encode(text, false, false).getIds());
    boolean bos = Boolean.TRUE.equals(config.addBosToken()) && bosTokenId != null;
    boolean eos = Boolean.TRUE.equals(config.addEosToken()) && eosTokenId != null;
    int[] ids = new int[body.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
    if (bos) {
      ids[0] = bosTokenId;
    }
    System.arraycopy(body, 0, ids, bos ? 1 : 0, body.length);
    if (eos) {
      ids[ids.length - 1] = eosTokenId;
    }
    return ids;
  }

  /**
   * The text of {@code ids}. Like Hugging Face, ids the tokenizer does not know are skipped.
   *
   * @param skipSpecialTokens leave out special tokens (BOS, EOS, chat markers)
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longIds = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longIds[i] = ids[i];
    }
    String text = hf.decode(longIds, skipSpecialTokens);
    return cleanUpSpaces ? cleanUpTokenization(text) : text;
  }

  // transformers' clean_up_tokenization, applied when tokenizer_config.json asks for it.
  private static String cleanUpTokenization(String text) {
    return text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re");
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** The id of {@code bos_token} from tokenizer_config.json, or null when it has none. */
  public Integer bosTokenId() {
    return bosTokenId;
  }

  /** The id of {@code eos_token} from tokenizer_config.json, or null when it has none. */
  public Integer eosTokenId() {
    return eosTokenId;
  }

  /** The id of {@code pad_token} from tokenizer_config.json, or null when it has none. */
  public Integer padTokenId() {
    return padTokenId;
  }

  /**
   * The id of a token string as stored in the vocabulary (for example {@code "▁Once"} or {@code
   * "<|im_end|>"}).
   *
   * @throws BadInputException when tokenizer.json has no such token
   */
  public int tokenId(String token) {
    Integer id = idsByToken.get(token);
    if (id == null) {
      throw new BadInputException(tokenizerFile, "has no token \"" + token + "\"");
    }
    return id;
  }

  /**
   * The vocabulary string of a token id (no byte-level or SentencePiece decoding).
   *
   * @throws BadInputException when tokenizer.json has no token with that id
   */
  public String tokenString(int id) {
    if (id < 0 || id >= tokensById.length || tokensById[id] == null) {
      throw new BadInputException(tokenizerFile, "has no token with id " + id);
    }
    return tokensById[id];
  }

  /**
   * The number of token ids, added tokens included (largest id + 1; Hugging Face's {@code
   * len(tokenizer)}). A model's embedding table may be larger.
   */
  public int vocabSize() {
    return tokensById.length;
  }

  /** The settings read from tokenizer_config.json. */
  public TokenizerConfig config() {
    return config;
  }

  /** The model folder this tokenizer was loaded from. */
  public Path directory() {
    return directory;
  }

  /** True when this model folder has a chat template (see {@link ChatTemplate#load(Path)}). */
  public boolean hasChatTemplate() {
    return !config.chatTemplates().isEmpty() || Files.exists(directory.resolve(ChatTemplate.JINJA_FILE));
  }

  /**
   * The default chat template of this model folder.
   *
   * @throws BadInputException when the folder has none
   */
  public ChatTemplate chatTemplate() {
    return ChatTemplate.load(directory);
  }

  /** Frees the native tokenizer. */
  @Override
  public void close() {
    hf.close();
  }
}
