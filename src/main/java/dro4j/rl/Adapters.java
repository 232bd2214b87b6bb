package dro4j.rl;

import dro4j.LanguageModel;
import dro4j.model.LoraAdapter;
import dro4j.rl.config.TrainingArguments;

/** How the trainers give a policy the LoRA adapter that {@code use_peft} / {@code adapter} ask for. */
final class Adapters {
  private Adapters() {}

  /**
   * With {@code use_peft} or {@code adapter} and a policy that has no adapter yet (a resumed policy
   * comes with its checkpoint's): attaches the adapter folder {@code adapter}, or a new one from the
   * {@code lora_*} settings whose A factors derive from the seed. The adapter is freed with the policy.
   */
  static void attachIfAsked(LanguageModel policy, TrainingArguments args) {
    if (!args.trainsAdapter() || policy.adapter() != null) return;
    if (args.adapter() != null) {
      policy.attachAdapter(LoraAdapter.load(args.adapter(), policy.config(), policy.manager()));
    } else {
      policy.attachNewAdapter(args.loraConfig(), Seeds.derive(args.seed(), "lora_init"));
    }
  }
}
