"""Checks that peft loads an adapter dro4j wrote and scores like dro4j.

Run where torch, transformers and peft are installed:
  java -jar target/dro4j.jar score --model BASE --adapter ADAPTER --context C --target T --json | tail -1 > s.json
  python tools/check_peft_loads.py BASE ADAPTER s.json
Loads BASE with transformers (float32), ADAPTER with peft's PeftModel.from_pretrained unchanged, scores
the target ids of s.json after its context ids teacher-forced, and prints the largest difference from
dro4j's log-probs (and how much the adapter moves them). Exits non-zero above 1e-4.
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def logprobs(model, context, target):
    ids = torch.tensor([context + target])
    with torch.no_grad():
        logits = model(ids).logits[0].float()
    return torch.log_softmax(logits, -1)[len(context) - 1:-1].gather(-1, torch.tensor(target)[:, None])[:, 0]


def main(base_dir, adapter_dir, score_file):
    s = json.load(open(score_file))
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()
    plain = logprobs(base, s["context_ids"], s["target_ids"])
    adapted = logprobs(PeftModel.from_pretrained(base, adapter_dir).eval(), s["context_ids"], s["target_ids"])
    diff = (adapted - torch.tensor(s["logprobs"])).abs().max().item()
    print(f"{len(s['target_ids'])} target tokens: peft vs dro4j max abs diff {diff:.3g};"
          f" the adapter moves log-probs by up to {(adapted - plain).abs().max().item():.3g}")
    sys.exit(0 if diff < 1e-4 else 1)


main(*sys.argv[1:4])
