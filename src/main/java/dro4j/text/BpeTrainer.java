package dro4j.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains a small Llama-style (SentencePiece-compatible) BPE tokenizer and writes it as a Hugging Face
 * {@code tokenizer.json} of the same layout as Llama 2's and stories260K's: spaces become {@code ▁}
 * and one is prepended (normalizer), BPE with {@code byte_fallback} over a vocabulary of {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte tokens {@code <0x00>..<0xFF>}, the printable ASCII characters
 * and the learned merges; the decoder undoes all of it. So any UTF-8 text encodes (characters outside
 * the vocabulary become their bytes) and decodes back unchanged, in dro4j (DJL's tokenizers) and in
 * transformers.
 *
 * <p>Digits never take part in a merge, so every number is written digit by digit and a model can copy
 * it from a table cell token by token; neither do line breaks. Training is the classic greedy BPE of
 * Sennrich et al. (2016) over words (a {@code ▁} and what follows up to the next one): the most frequent
 * adjacent pair is merged until the vocabulary has the requested size; ties go to the pair that sorts
 * first, so the result depends only on the corpus.
 */
public final class BpeTrainer {
  /** SentencePiece's word-boundary mark, which stands for a space. */
  public static final String SPACE = "\u2581";
  /** The special tokens, ids 0, 1 and 2 as in Llama. */
  public static final List<String> SPECIALS = List.of("<unk>", "<s>", "</s>");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BpeTrainer() {}

  /**
   * The learned tokenizer.
   *
   * @param vocab token to id, in id order
   * @param merges the merges in priority order, each a pair of tokens
   */
  public record Trained(Map<String, Integer> vocab, List<String[]> merges) {
    /** Ids in use. */
    public int size() {
      return vocab.size();
    }
  }

  /** Learns merges from {@code texts} until the vocabulary has {@code vocabSize} tokens (or no pair repeats). */
  public static Trained train(List<String> texts, int vocabSize) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : SPECIALS) vocab.put(s, vocab.size());
    for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), vocab.size());
    vocab.put(SPACE, vocab.size());
    for (char c = '!'; c <= '~'; c++) vocab.put(String.valueOf(c), vocab.size());
    if (vocabSize < vocab.size()) {
      throw new IllegalArgumentException("vocabulary size must be at least " + vocab.size() + ", got " + vocabSize);
    }
    // Mergeable segments with their counts: words split at the characters that never merge.
    Map<String, Integer> counts = new TreeMap<>();
    for (String text : texts) {
      for (String segment : segments(normalize(text))) counts.merge(segment, 1, Integer::sum);
    }
    List<List<String>> words = new ArrayList<>();
    List<Integer> freqs = new ArrayList<>();
    counts.forEach((segment, n) -> {
      List<String> symbols = new ArrayList<>();
      segment.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
      if (symbols.size() > 1) {
        words.add(symbols);
        freqs.add(n);
      }
    });
    List<String[]> merges = new ArrayList<>();
    while (vocab.size() < vocabSize) {
      Map<String, Integer> pairs = new HashMap<>();
      for (int w = 0; w < words.size(); w++) {
        List<String> s = words.get(w);
        for (int i = 0; i + 1 < s.size(); i++) {
          if (vocab.containsKey(s.get(i)) && vocab.containsKey(s.get(i + 1))) {
            pairs.merge(s.get(i) + '\u0000' + s.get(i + 1), freqs.get(w), Integer::sum);
          }
        }
      }
      String best = null;
      int bestCount = 1; // a pair seen once is not worth a token
      for (Map.Entry<String, Integer> e : pairs.entrySet()) {
        if (e.getValue() > bestCount || (e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best == null) break;
      String[] pair = best.split("\u0000", 2);
      String merged = pair[0] + pair[1];
      merges.add(pair);
      vocab.putIfAbsent(merged, vocab.size());
      for (List<String> s : words) {
        for (int i = 0; i + 1 < s.size(); i++) {
          if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
            s.set(i, merged);
            s.remove(i + 1);
          }
        }
      }
    }
    return new Trained(vocab, merges);
  }

  /** The text as the normalizer sees it: a leading {@code ▁} and every space a {@code ▁}. */
  static String normalize(String text) {
    return SPACE + text.replace(" ", SPACE);
  }

  /**
   * Runs of characters that may merge: split before every {@code ▁}, around digits and control
   * characters, and where letters (with {@code _} and {@code -}) meet punctuation, so that "revenue,"
   * and "sum(net" give the same word tokens as the table does.
   */
  static List<String> segments(String normalized) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int space = SPACE.codePointAt(0);
    int[] previous = {space};
    normalized.codePoints().forEach(cp -> {
      boolean alone = Character.isDigit(cp) || Character.isISOControl(cp);
      int before = previous[0];
      boolean classChange = before != space && current.length() > 0 && word(before) != word(cp);
      if (alone || cp == space || classChange) {
        if (current.length() > 0) out.add(current.toString());
        current.setLength(0);
      }
      if (!alone) current.appendCodePoint(cp);
      previous[0] = alone ? space : cp;
    });
    if (current.length() > 0) out.add(current.toString());
    return out;
  }

  private static boolean word(int cp) {
    return Character.isLetter(cp) || cp == '_' || cp == '-';
  }

  /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
  public static void write(Trained t, Path dir, int modelMaxLength) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(tokenizerJson(t)) + "\n", StandardCharsets.UTF_8);
      ObjectNode cfg = JSON.createObjectNode();
      cfg.put("add_bos_token", true);
      cfg.put("add_eos_token", false);
      cfg.put("bos_token", "<s>");
      cfg.put("eos_token", "</s>");
      cfg.put("unk_token", "<unk>");
      cfg.put("model_max_length", modelMaxLength);
      // transformers 5 rebuilds a LlamaTokenizer's pipeline (a Metaspace pre-tokenizer) instead of reading
      // tokenizer.json; the generic class reads it as it is, so transformers and dro4j encode alike.
      cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
      cfg.put("clean_up_tokenization_spaces", false);
      Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(cfg) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the tokenizer to " + dir, e);
    }
  }

  /** The {@code tokenizer.json} tree (tokenizers format 1.0, the layout of Llama 2's). */
  static ObjectNode tokenizerJson(Trained t) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (String s : SPECIALS) {
      ObjectNode a = added.addObject();
      a.put("id", t.vocab().get(s));
      a.put("content", s);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
    }
    ObjectNode normalizer = root.putObject("normalizer");
    normalizer.put("type", "Sequence");
    ArrayNode norms = normalizer.putArray("normalizers");
    norms.addObject().put("type", "Prepend").put("prepend", SPACE);
    ObjectNode replace = norms.addObject().put("type", "Replace");
    replace.putObject("pattern").put("String", " ");
    replace.put("content", SPACE);
    root.putNull("pre_tokenizer");
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
    bos.put("id", "<s>");
    bos.putArray("ids").add(t.vocab().get("<s>"));
    bos.putArray("tokens").add("<s>");
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "Sequence");
    ArrayNode decs = decoder.putArray("decoders");
    ObjectNode undo = decs.addObject().put("type", "Replace");
    undo.putObject("pattern").put("String", SPACE);
    undo.put("content", " ");
    decs.addObject().put("type", "ByteFallback");
    decs.addObject().put("type", "Fuse");
    decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", "<unk>");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true);
    model.put("byte_fallback", true);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    t.vocab().forEach(vocab::put);
    ArrayNode merges = model.putArray("merges");
    for (String[] m : t.merges()) merges.addArray().add(m[0]).add(m[1]);
    return root;
  }
}
