"""Checks that a finqa-tiny folder loads in transformers unchanged and agrees with dro4j.

usage: python tools/check_finqa_tiny.py MODEL_DIR HELDOUT.jsonl RESULTS.jsonl [N]
RESULTS.jsonl: dro4j.bench.FinQaProgramEval's output for MODEL_DIR on HELDOUT.jsonl. For the first N
examples the greedy completion of transformers must equal dro4j's; the tokenizer must round-trip odd
UTF-8 and split numbers into digits.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir, heldout, results = sys.argv[1:4]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 8
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
model.eval()
for text in ["revenue rose 12.5% 😀 to € 5,829 — 营业收入", "  two  spaces ", "subtract(5829, 5735)"]:
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text, (text, tok.decode(ids))
print("digits:", tok.convert_ids_to_tokens(tok("5829", add_special_tokens=False)["input_ids"]))
examples = [json.loads(line) for line in open(heldout)][:n]
dro4j = [json.loads(line) for line in open(results)][:n]
same = 0
for e, r in zip(examples, dro4j):
    ids = tok(e["fields"]["prompt"], return_tensors="pt")["input_ids"]
    out = model.generate(ids, max_new_tokens=200, do_sample=False, eos_token_id=tok.eos_token_id)
    text = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
    ok = text == r["completions"][0]["text"]
    same += ok
    if not ok:
        print("DIFFERS", e["id"], "\n  transformers:", text, "\n  dro4j:       ", r["completions"][0]["text"])
print(f"{same} of {len(examples)} greedy completions identical to dro4j's")
sys.exit(0 if same == len(examples) else 1)
