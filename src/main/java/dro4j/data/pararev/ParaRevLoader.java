package dro4j.data.pararev;

import dro4j.data.Example;
import dro4j.data.JsonRecord;
import dro4j.data.JsonRecords;
import dro4j.data.Loaded;
import dro4j.data.OnInvalid;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Loads ParaRev-style JSON Lines: ParaReval's human-evaluated rows ({@code id_paragraph},
 * {@code id_pairing}, {@code original_paragraph}, {@code instruction}, {@code reference_paragraph},
 * {@code labels}, {@code model_A}/{@code model_B}, {@code model_A_paragraph}/{@code model_B_paragraph},
 * {@code eval_annotation.preference}) and plain revision rows that carry only the paragraph, the
 * instruction and the revision.
 *
 * <p>Because the field names of the full ParaRev corpus could not be checked here, each of the three
 * required texts is read from the first present name among a few aliases: original from
 * {@code original_paragraph}, {@code paragraph}, {@code source}; instruction from {@code instruction};
 * revision from {@code reference_paragraph}, {@code revised_paragraph}, {@code target}. An optional
 * {@code context} field is kept. A record lacking any of them is malformed (file and line named).
 */
public final class ParaRevLoader {
  private static final List<String> ORIGINAL = List.of("original_paragraph", "paragraph", "source");
  private static final List<String> REVISION = List.of("reference_paragraph", "revised_paragraph", "target");

  private ParaRevLoader() {}

  /** The records of {@code file}, throwing at the first malformed one. */
  public static List<ParaRevRecord> records(Path file) {
    return records(file, OnInvalid.THROW).items();
  }

  /** The records of {@code file}, applying {@code onInvalid} to malformed ones. */
  public static Loaded<ParaRevRecord> records(Path file, OnInvalid onInvalid) {
    return JsonRecords.read(file, ParaRevLoader::parse, onInvalid);
  }

  /** The examples of {@code file} (see {@link ParaRevRecord#toExample()}). */
  public static List<Example> load(Path file) {
    return records(file).stream().map(ParaRevRecord::toExample).toList();
  }

  private static ParaRevRecord parse(JsonRecord r) {
    String original = firstText(r, ORIGINAL);
    String revision = firstText(r, REVISION);
    String instruction = r.text("instruction");
    String paragraphId = r.optionalText("id_paragraph").orElse(r.optionalText("id").orElse("row" + r.index()));
    String id = r.optional("id_pairing").map(n -> paragraphId + "/" + n.asText()).orElse(paragraphId);
    List<String> labels = r.optional("labels").isPresent() ? r.textList("labels") : List.of();
    Optional<String> revisionA = r.optionalText("model_A_paragraph");
    Optional<String> revisionB = r.optionalText("model_B_paragraph");
    HumanPreference preference = null;
    if (r.optional("eval_annotation").isPresent()) {
      String verdict = r.text("eval_annotation.preference");
      preference = HumanPreference.parse(verdict);
      if (preference == null) {
        throw r.invalid("eval_annotation.preference is '" + verdict + "', expected A, B, Both or None");
      }
    }
    return new ParaRevRecord(id, paragraphId, original, instruction, revision,
        r.optionalText("context").orElse(null), labels,
        r.optionalText("model_A").orElse(null), revisionA.orElse(null),
        r.optionalText("model_B").orElse(null), revisionB.orElse(null), preference);
  }

  private static String firstText(JsonRecord r, List<String> names) {
    for (String name : names) {
      Optional<String> value = r.optionalText(name);
      if (value.isPresent()) {
        return value.get();
      }
    }
    throw r.invalid("missing required field: one of " + names);
  }
}
