package dro4j.spark;

import dro4j.model.LoraAdapter;
import dro4j.model.LoraConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A LoRA adapter as it travels to the executors each step: its settings and its factors (PEFT names,
 * fp32, row-major). The frozen base never travels; an executor rebuilds the step's policy from its own
 * copy of the base and these values ({@link LoraAdapter#of}), bit for bit the trainer's.
 *
 * @param config the adapter's settings (rank, alpha, targets)
 * @param values the factors by PEFT name
 */
public record AdapterWeights(LoraConfig config, Map<String, float[]> values) implements Serializable {

  /** The current values of {@code adapter}. */
  public static AdapterWeights of(LoraAdapter adapter) {
    Map<String, float[]> values = new LinkedHashMap<>();
    adapter.tensors(values, new LinkedHashMap<>());
    return new AdapterWeights(adapter.config(), values);
  }

  /** Bytes of this object in Java serialization: what one step ships before Spark compresses it. */
  public long serializedBytes() {
    return serializedSize(this);
  }

  static long serializedSize(Serializable o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.size();
  }
}
