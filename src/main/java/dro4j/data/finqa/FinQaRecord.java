package dro4j.data.finqa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.data.Example;
import dro4j.data.JsonRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One FinQA example in the original schema (Chen et al. 2021, github.com/czyssrs/FinQA):
 *
 * <pre>
 * {"id": ..., "pre_text": [sentences], "post_text": [sentences], "table": [[cells]],
 *  "qa": {"question": ..., "program": ..., "exe_ans": number or "yes"/"no",
 *         "answer": ..., "gold_inds": {"text_1": ..., "table_2": ...}, "explanation": ...}}
 * </pre>
 *
 * Other fields of the published files ({@code table_ori}, {@code qa.steps}, retrieval results) are
 * not needed and ignored. The private test split, which has no program or {@code exe_ans}, cannot be
 * loaded.
 *
 * @param id the example id, e.g. "ADI/2009/page_49.pdf-1"
 * @param preText the sentences before the table
 * @param postText the sentences after the table
 * @param table the processed table, header row first, first cell of each row its name
 * @param question the question
 * @param program the gold program (see {@link FinQaProgram})
 * @param exeAns the gold program's result, which the official scorer compares against
 * @param answer the annotators' answer text ("" when absent); may disagree with {@code exeAns}
 * @param goldInds the supporting facts by key ("text_k" or "table_k"); empty when absent
 * @param explanation a reasoning explanation ("" when absent; FinQA's own is usually empty)
 */
public record FinQaRecord(
    String id,
    List<String> preText,
    List<String> postText,
    List<List<String>> table,
    String question,
    String program,
    FinQaValue exeAns,
    String answer,
    Map<String, String> goldInds,
    String explanation) {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Checks for nulls and copies the collections. */
  public FinQaRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(question, "question");
    Objects.requireNonNull(program, "program");
    Objects.requireNonNull(exeAns, "exeAns");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(explanation, "explanation");
    preText = List.copyOf(preText);
    postText = List.copyOf(postText);
    table = table.stream().map(List::copyOf).toList();
    goldInds = Collections.unmodifiableMap(new LinkedHashMap<>(goldInds));
  }

  /** Reads one record of a FinQA file, throwing {@link dro4j.data.InvalidRecordException} if malformed. */
  public static FinQaRecord parse(JsonRecord record) {
    String id = record.text("id");
    List<String> preText = record.textList("pre_text");
    List<String> postText = record.textList("post_text");
    List<List<String>> table = record.textTable("table");
    String question = record.text("qa.question");
    String program = record.text("qa.program");
    JsonNode exe = record.required("qa.exe_ans");
    FinQaValue exeAns;
    if (exe.isNumber()) {
      exeAns = new FinQaValue.Numeric(exe.doubleValue());
    } else if (exe.isTextual() && (exe.textValue().equals("yes") || exe.textValue().equals("no"))) {
      exeAns = new FinQaValue.YesNo(exe.textValue().equals("yes"));
    } else {
      throw record.invalid("field 'qa.exe_ans' must be a number or \"yes\"/\"no\", found " + exe);
    }
    String answer = record.optionalText("qa.answer").orElse("");
    Map<String, String> goldInds = record.textMap("qa.gold_inds");
    String explanation = record.optionalText("qa.explanation").orElse("");
    return new FinQaRecord(id, preText, postText, table, question, program, exeAns, answer, goldInds, explanation);
  }

  /**
   * The record as an {@link Example}.
   *
   * <p>Fields: {@code question}; {@code pre_text} and {@code post_text} (sentences joined by
   * newlines); {@code table} ({@link FinQaTable#linearize}); {@code context} (pre text, table and
   * post text separated by blank lines, empty parts left out).
   *
   * <p>Reference: {@code exe_ans} as text ("3.8", "yes"), not the {@code answer} field, because
   * {@code exe_ans} is what the official scorer checks and {@code answer} is sometimes inconsistent
   * with it (the bundled record has answer "380" for exe_ans 3.8).
   *
   * <p>Metadata: {@code source} ("finqa"), {@code program}, {@code exe_ans} (Double or "yes"/"no"),
   * {@code answer}, {@code gold_inds}, {@code table} (the cells, for executing predicted programs),
   * and {@code explanation} when not empty.
   */
  public Example toExample() {
    Map<String, String> fields = new LinkedHashMap<>();
    String pre = String.join("\n", preText);
    String post = String.join("\n", postText);
    String tableText = FinQaTable.linearize(table);
    fields.put("question", question);
    fields.put("pre_text", pre);
    fields.put("table", tableText);
    fields.put("post_text", post);
    List<String> parts = new ArrayList<>();
    for (String part : List.of(pre, tableText, post)) {
      if (!part.isBlank()) {
        parts.add(part);
      }
    }
    fields.put("context", String.join("\n\n", parts));

    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("source", "finqa");
    metadata.put("program", program);
    metadata.put("exe_ans", exeAns.toPlain());
    metadata.put("answer", answer);
    metadata.put("gold_inds", goldInds);
    metadata.put("table", table);
    if (!explanation.isEmpty()) {
      metadata.put("explanation", explanation);
    }
    return new Example(id, fields, exeAns.text(), metadata);
  }

  /**
   * The record in FinQA's JSON schema, with {@code qa.program_re} (the nested program) added when
   * the program parses.
   */
  public ObjectNode toJson() {
    ObjectNode node = MAPPER.createObjectNode();
    node.set("pre_text", MAPPER.valueToTree(preText));
    node.set("post_text", MAPPER.valueToTree(postText));
    node.set("table", MAPPER.valueToTree(table));
    ObjectNode qa = node.putObject("qa");
    qa.put("question", question);
    qa.put("answer", answer);
    qa.put("explanation", explanation);
    qa.put("program", program);
    try {
      qa.put("program_re", FinQaProgram.parse(program).nested());
    } catch (FinQaProgramException e) {
      // a malformed program has no nested form; the flat one is kept as given
    }
    qa.set("gold_inds", MAPPER.valueToTree(goldInds));
    if (exeAns instanceof FinQaValue.Numeric n) {
      qa.put("exe_ans", n.value());
    } else {
      qa.put("exe_ans", exeAns.text());
    }
    node.put("id", id);
    return node;
  }
}
