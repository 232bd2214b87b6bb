package dro4j.data.pararev;

import dro4j.data.Example;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ParaRev paragraph revision (Jourdan et al. 2025, arXiv 2501.05222): the original paragraph of a
 * scientific paper, the revision instruction, and the authors' revised paragraph (the reference). A
 * ParaReval row (the human-evaluated subset) adds two model revisions and a human pairwise verdict.
 *
 * @param id a unique row id ({@code <id_paragraph>/<id_pairing>} for ParaReval)
 * @param paragraphId the paragraph's id; several ParaReval rows share one paragraph
 * @param original the paragraph before revision
 * @param instruction the revision instruction
 * @param reference the authors' revision
 * @param context optional surrounding text (null when the data has none)
 * @param labels revision intention labels (e.g. Rewriting_light, Concision)
 * @param modelA name of the model that wrote revision A (ParaReval), or null
 * @param revisionA revision A (ParaReval), or null
 * @param modelB name of the model that wrote revision B (ParaReval), or null
 * @param revisionB revision B (ParaReval), or null
 * @param preference the human verdict between A and B (ParaReval), or null
 */
public record ParaRevRecord(
    String id,
    String paragraphId,
    String original,
    String instruction,
    String reference,
    String context,
    List<String> labels,
    String modelA,
    String revisionA,
    String modelB,
    String revisionB,
    HumanPreference preference) {

  public ParaRevRecord {
    labels = List.copyOf(labels);
  }

  /** Whether this row carries two model revisions and a human verdict. */
  public boolean hasHumanJudgement() {
    return revisionA != null && revisionB != null && preference != null;
  }

  /**
   * The example: fields {@code paragraph}, {@code instruction} and, when present, {@code context};
   * reference = the authors' revision; metadata: paragraph id, labels, and the ParaReval pair when
   * present.
   */
  public Example toExample() {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("paragraph", original);
    fields.put("instruction", instruction);
    if (context != null) {
      fields.put("context", context);
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("source", "pararev");
    metadata.put("paragraph_id", paragraphId);
    metadata.put("labels", labels);
    if (hasHumanJudgement()) {
      metadata.put("model_a", modelA);
      metadata.put("revision_a", revisionA);
      metadata.put("model_b", modelB);
      metadata.put("revision_b", revisionB);
      metadata.put("human_preference", preference.name());
    }
    return new Example(id, fields, reference, metadata);
  }
}
