package dro4j.rl.config;

import dro4j.BadInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One reward of a training job and its weight in the total, as configured: TRL's {@code
 * reward_funcs} with {@code reward_weights}. In YAML every key other than {@code name} and {@code
 * weight} is a parameter of the reward:
 *
 * <pre>
 * rewards:
 *   - name: keyword
 *     weight: 1.0
 *     words: [ball]
 * </pre>
 *
 * The total reward of a rollout is sum_k weight_k * reward_k (TRL's {@code sum_then_normalize}:
 * weighted sum first, advantages from the sum).
 *
 * @param name the reward's registered name (see {@code dro4j.rl.RewardFactory})
 * @param weight its weight in the total (finite; negative for a penalty); default 1
 * @param params the reward's own parameters by name (JSON-like values)
 */
public record RewardSpec(String name, double weight, Map<String, Object> params) implements java.io.Serializable {

  public RewardSpec {
    if (name == null || name.isBlank()) {
      throw new BadInputException("a reward needs a name");
    }
    if (!Double.isFinite(weight)) {
      throw new BadInputException("weight of reward " + name + " must be finite, got " + weight);
    }
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params == null ? Map.of() : params));
  }

  /** A reward with weight 1 and no parameters. */
  public static RewardSpec of(String name) {
    return new RewardSpec(name, 1.0, Map.of());
  }

  /** A reward with a weight and parameters. */
  public static RewardSpec of(String name, double weight, Map<String, ?> params) {
    return new RewardSpec(name, weight, new LinkedHashMap<>(params));
  }

  /** The YAML form: {@code name}, {@code weight} and the parameters in one mapping. */
  public Map<String, Object> toConfig() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("weight", weight);
    out.putAll(params);
    return out;
  }

  /**
   * Reads the {@code rewards} setting: a list whose items are mappings (as above) or bare names, a
   * single mapping, or a name.
   *
   * @throws IllegalArgumentException describing the problem
   */
  static List<RewardSpec> listFromConfig(Object raw) {
    List<RewardSpec> out = new ArrayList<>();
    List<?> items = raw instanceof List<?> l ? l : List.of(raw);
    for (int i = 0; i < items.size(); i++) {
      Object item = items.get(i);
      String where = "reward " + (i + 1);
      if (item instanceof RewardSpec r) {
        out.add(r);
      } else if (item instanceof String s) {
        out.add(of(s.trim()));
      } else if (item instanceof Map<?, ?> m) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          params.put(String.valueOf(e.getKey()), e.getValue());
        }
        Object name = params.remove("name");
        if (!(name instanceof String n) || n.isBlank()) {
          throw new IllegalArgumentException(where + " needs a 'name'");
        }
        Object w = params.remove("weight");
        double weight;
        if (w == null) {
          weight = 1.0;
        } else if (w instanceof Number num) {
          weight = num.doubleValue();
        } else {
          try {
            weight = Double.parseDouble(String.valueOf(w));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + " (" + n + "): weight must be a number, got '" + w + "'");
          }
        }
        try {
          out.add(new RewardSpec(n, weight, params));
        } catch (BadInputException e) {
          throw new IllegalArgumentException(e.getMessage());
        }
      } else {
        throw new IllegalArgumentException(where + " must be a name or a mapping with 'name', got " + item);
      }
    }
    return List.copyOf(out);
  }
}
