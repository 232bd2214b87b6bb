package dro4j.data.pararev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.data.Example;
import dro4j.data.prompt.PromptTemplates;
import dro4j.text.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParaRevLoaderTest {
  static final Path PARAREVAL = Fixtures.paraReval();

  @Test
  void paraRevalLoads129RowsOver43Paragraphs() {
    List<ParaRevRecord> rows = ParaRevLoader.records(PARAREVAL);
    assertThat(rows).hasSize(129);
    Set<String> paragraphs = rows.stream().map(ParaRevRecord::paragraphId).collect(Collectors.toSet());
    assertThat(paragraphs).hasSize(43);
    ParaRevRecord first = rows.get(0);
    assertThat(first.id()).isEqualTo("nCTSF9BQJ.DGhBYSP_sR.00/5021");
    assertThat(first.original()).startsWith("Proteins rarely act alone but usually interact");
    assertThat(first.reference()).startsWith("Proteins rarely act alone and usually interact");
    assertThat(first.instruction()).startsWith("Lightly revise this paragraph");
    assertThat(first.labels()).containsExactly("Rewriting_light");
    assertThat(first.modelA()).isEqualTo("Meta-Llama-3-70B-Instruct");
    assertThat(first.preference()).isEqualTo(HumanPreference.B);
    assertThat(rows.stream().filter(r -> r.preference() == HumanPreference.A).count()).isEqualTo(47);
    assertThat(rows.stream().filter(r -> r.preference() == HumanPreference.B).count()).isEqualTo(52);
    assertThat(rows.stream().filter(ParaRevRecord::hasHumanJudgement).count()).isEqualTo(129);
  }

  @Test
  void examplesRenderThroughRealChatTemplates() {
    Example e = ParaRevLoader.load(PARAREVAL).get(0);
    for (String model : new String[] {"qwen2.5-instruct", "deepseek-r1-distill-qwen"}) {
      ChatTemplate template = ChatTemplate.load(Fixtures.fixture("chat-templates", model));
      String prompt = PromptTemplates.PARAREV.render(e, template);
      assertThat(prompt).contains("Instruction: " + e.field("instruction"));
      assertThat(prompt).contains(e.field("paragraph"));
      assertThat(prompt).contains("</think>");
    }
    ChatTemplate qwen = ChatTemplate.load(Fixtures.fixture("chat-templates", "qwen2.5-instruct"));
    assertThat(PromptTemplates.PARAREV.render(e, qwen)).endsWith("<|im_start|>assistant\n");
    // without a chat template (base model) the plain text is used
    assertThat(PromptTemplates.PARAREV.render(e, null)).startsWith("Revise the following paragraph");
  }

  @Test
  void malformedRecordsNameFileAndLine(@TempDir Path dir) throws IOException {
    String good = Files.readAllLines(PARAREVAL).get(0);
    Path missing = dir.resolve("missing.jsonl");
    Files.writeString(missing, good + "\n" + "{\"instruction\": \"x\", \"reference_paragraph\": \"y\"}\n");
    assertThatThrownBy(() -> ParaRevLoader.records(missing))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("missing.jsonl")
        .hasMessageContaining("line 2")
        .hasMessageContaining("original_paragraph");
    Path badVerdict = dir.resolve("verdict.jsonl");
    Files.writeString(badVerdict, good.replace("\"preference\": \"B\"", "\"preference\": \"C\"") + "\n");
    assertThatThrownBy(() -> ParaRevLoader.records(badVerdict))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("preference");
    Path truncated = dir.resolve("truncated.jsonl");
    Files.writeString(truncated, good + "\n" + good.substring(0, 200));
    assertThatThrownBy(() -> ParaRevLoader.records(truncated))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("line 2");
  }

  @Test
  void plainRevisionRowsLoadWithAliasesAndContext(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("plain.jsonl");
    Files.writeString(file,
        "{\"id\": \"p1\", \"paragraph\": \"Old text.\", \"instruction\": \"Shorten.\", \"revised_paragraph\": \"Text.\", \"context\": \"Intro\"}\n");
    ParaRevRecord r = ParaRevLoader.records(file).get(0);
    assertThat(r.original()).isEqualTo("Old text.");
    assertThat(r.reference()).isEqualTo("Text.");
    assertThat(r.hasHumanJudgement()).isFalse();
    Example e = r.toExample();
    assertThat(PromptTemplates.PARAREV_WITH_CONTEXT.userText(e)).contains("Context:\nIntro").contains("Shorten.");
  }

  @Test
  void judgeAgreementCountsDecisiveRowsAndHalfTies() {
    List<ParaRevRecord> rows = ParaRevLoader.records(PARAREVAL);
    JudgeAgreement.Result alwaysA = JudgeAgreement.measure(rows, (r, a, b) -> JudgeAgreement.Verdict.A);
    assertThat(alwaysA.rows()).isEqualTo(129);
    assertThat(alwaysA.decisive()).isEqualTo(99);
    assertThat(alwaysA.rate()).isEqualTo(47.0 / 99);
    JudgeAgreement.Result tie = JudgeAgreement.measure(rows, (r, a, b) -> JudgeAgreement.Verdict.TIE);
    assertThat(tie.rate()).isEqualTo(0.5);
    assertThat(tie.judgeTies()).isEqualTo(99);
    JudgeAgreement.Result oracle = JudgeAgreement.measure(rows,
        (r, a, b) -> JudgeAgreement.Verdict.valueOf(r.preference().name()));
    assertThat(oracle.rate()).isEqualTo(1.0);
  }
}
