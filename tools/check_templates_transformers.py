"""Checks the expected renders of the real chat templates against transformers itself.

Run where transformers is installed: python tools/check_templates_transformers.py
For every template folder of tools/render_templates.py, renders each conversation of its expected.json
with transformers' own apply_chat_template (tokenize=False; tools and the template variables passed as
transformers passes them; the special tokens of the folder's tokenizer_config.json on a tokenizer built
from tiny-qwen2's tokenizer.json) and compares the text, or the exception's message, byte for byte.
Prints one line per template and exits non-zero if any render differs.
"""
import json
import os
import sys

import transformers
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "test", "resources", "fixtures")
TEMPLATES = ["qwen3", "llama-3.3-instruct", "mistral-nemo-instruct-2407", "gemma-3-it", "phi-4-mini-instruct"]
SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "pad_token"]


def tokenizer(folder):
    config = json.load(open(os.path.join(folder, "tokenizer_config.json")))
    specials = {k: config[k] for k in SPECIAL_TOKENS if isinstance(config.get(k), str)}
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(FIXTURES, "tiny-qwen2", "tokenizer.json"), **specials)
    tok.chat_template = open(os.path.join(folder, "chat_template.jinja"), encoding="utf-8").read()
    return tok


def main():
    print("transformers", transformers.__version__)
    failed = 0
    for name in TEMPLATES:
        folder = os.path.join(FIXTURES, "chat-templates", name)
        tok = tokenizer(folder)
        same = 0
        entries = json.load(open(os.path.join(folder, "expected.json"), encoding="utf-8"))
        for e in entries:
            try:
                got = tok.apply_chat_template(e["conversation"], tools=e.get("tools"), tokenize=False,
                                              add_generation_prompt=e["add_generation_prompt"], **(e.get("template_vars") or {}))
                got = {"text": got}
            except Exception as x:  # the template's raise_exception
                got = {"error": str(x)}
            want = {"text": e["rendered"]} if "rendered" in e else {"error": e["error"]}
            ok = got.get("text") == want["text"] if "text" in want else want["error"] in got.get("error", "")
            if ok:
                same += 1
            else:
                failed += 1
                print("  DIFFERS:", name, e["name"], "gen" if e["add_generation_prompt"] else "", e.get("template_vars"))
                print("    expected", json.dumps(want)[:300])
                print("    got     ", json.dumps(got)[:300])
        print(f"{name}: {same} of {len(entries)} renders identical to transformers' apply_chat_template")
    sys.exit(1 if failed else 0)


main()
