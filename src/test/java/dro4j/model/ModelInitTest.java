package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dro4j init: a fresh, loadable model folder with the configured shapes and a seeded init. */
class ModelInitTest {
  @TempDir Path tmp;

  private Path config(boolean tied, int vocab) throws IOException {
    Path file = tmp.resolve("config-" + tied + "-" + vocab + ".json");
    Files.writeString(file, """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
         "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "vocab_size": %d, "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "tie_word_embeddings": %s,
         "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "initializer_range": 0.05}
        """.formatted(vocab, tied));
    return file;
  }

  @Test
  void createsALoadableModelWithTheConfiguredShapesAndTransformersInit() throws IOException {
    Path out = ModelInit.create(config(false, 520), BundledModel.directory(), 7, tmp.resolve("m"));
    assertThat(out.resolve("generation_config.json")).content().contains("\"eos_token_id\" : 2");
    try (LanguageModel lm = LanguageModel.load(out); SafeTensors st = SafeTensors.open(out)) {
      assertThat(lm.config().hiddenSize()).isEqualTo(32);
      assertThat(lm.config().numKvHeads()).isEqualTo(2);
      assertThat(st.names()).contains("lm_head.weight").hasSize(Transformer.parameterShapes(lm.config()).size());
      float[] embed = st.floats("model.embed_tokens.weight");
      assertThat(embed.length).isEqualTo(520 * 32);
      for (int i = 0; i < 32; i++) assertThat(embed[i]).isZero(); // pad_token_id 0's row
      double sq = 0;
      for (int i = 32; i < embed.length; i++) sq += embed[i] * embed[i];
      assertThat(Math.sqrt(sq / (embed.length - 32))).isBetween(0.045, 0.055);
      assertThat(st.floats("model.norm.weight")).containsOnly(1f);
      assertThat(st.floats("model.layers.1.input_layernorm.weight")).containsOnly(1f);
      int[] prompt = lm.tokenizer().encode("Once upon a time", true);
      assertThat(lm.score(prompt, new int[] {5, 6}).logprobs()).hasSize(2);
    }
  }

  @Test
  void theSeedDecidesTheWeights() throws IOException {
    Path cfg = config(true, 512);
    Path a = ModelInit.create(cfg, BundledModel.directory(), 3, tmp.resolve("a"));
    Path b = ModelInit.create(cfg, BundledModel.directory(), 3, tmp.resolve("b"));
    Path c = ModelInit.create(cfg, BundledModel.directory(), 4, tmp.resolve("c"));
    byte[] wa = Files.readAllBytes(a.resolve("model.safetensors"));
    assertThat(Files.readAllBytes(b.resolve("model.safetensors"))).isEqualTo(wa);
    assertThat(Files.readAllBytes(c.resolve("model.safetensors"))).isNotEqualTo(wa);
    try (SafeTensors st = SafeTensors.open(a)) {
      assertThat(st.names()).doesNotContain("lm_head.weight");
    }
  }

  @Test
  void refusesATokenizerLargerThanTheVocabularyAndAFullFolder() throws IOException {
    assertThatThrownBy(() -> ModelInit.create(config(true, 300), BundledModel.directory(), 0, tmp.resolve("x")))
        .isInstanceOf(BadInputException.class).hasMessageContaining("vocab_size 300");
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "x");
    assertThatThrownBy(() -> ModelInit.create(config(true, 512), BundledModel.directory(), 0, full))
        .isInstanceOf(BadInputException.class).hasMessageContaining("not empty");
  }
}
