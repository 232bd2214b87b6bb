"""Reference values from Hugging Face transformers + PyTorch, for the Java implementation's tests.

Run where torch and transformers are installed: python tools/make_reference.py OUTDIR
Writes everything under OUTDIR; src/test/resources/fixtures/README.md says where each output goes.
"""
import json, os, sys, math, traceback
import torch
from safetensors.torch import save_file

torch.set_grad_enabled(False)
OUT = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(OUT, exist_ok=True)
import transformers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, AutoTokenizer
meta = {"torch": torch.__version__, "transformers": transformers.__version__}

def load(cls, path, dtype):
    try:
        return cls.from_pretrained(path, dtype=dtype)
    except TypeError:
        return cls.from_pretrained(path, torch_dtype=dtype)
print(meta, flush=True)

def section(fn):
    try:
        fn(); print("OK", fn.__name__, flush=True)
    except Exception:
        traceback.print_exc(); print("FAILED", fn.__name__, flush=True)

# ---------------------------------------------------------------- stories260K (real trained tiny Llama)
S = os.path.join(HERE, "..", "src", "test", "resources", "fixtures", "stories260K")
SO = os.path.join(OUT, "stories260K")
os.makedirs(SO, exist_ok=True)
model = load(AutoModelForCausalLM, S, torch.float32).eval()
tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(S, "tokenizer.json"), bos_token="<s>", eos_token="</s>", unk_token="<unk>")
TEXTS = ["Once upon a time", "Lily saw a big, red ball.", "Tom and Sam went to the park to play.", "", " leading space", "ümlaut and emoji 😀 fallback", "line\nbreak\ttab", "She said, \"Hello!\" 123 + 456 = 579"]

def s_tokenizer():
    rows = []
    for t in TEXTS:
        ids_plain = tok(t, add_special_tokens=False)["input_ids"]
        rows.append({"text": t, "ids": ids_plain, "tokens": tok.convert_ids_to_tokens(ids_plain),
                     "decoded": tok.decode(ids_plain)})
    json.dump(rows, open(os.path.join(SO, "tokenizer_cases.json"), "w"), ensure_ascii=False, indent=1)

def s_greedy():
    ids = torch.tensor([[1]])
    out = model.generate(ids, max_new_tokens=60, do_sample=False)
    text = tok.decode(out[0, 1:])
    print("greedy:", text, flush=True)
    json.dump({"prompt_ids": [1], "max_new_tokens": 60, "ids": out[0].tolist(), "text": text},
              open(os.path.join(SO, "greedy.json"), "w"), ensure_ascii=False, indent=1)
    # greedy continuation of a text prompt
    p = tok("Once upon a time, there was a dog", return_tensors="pt")["input_ids"]
    out2 = model.generate(p, max_new_tokens=40, do_sample=False)
    json.dump({"prompt_ids": p[0].tolist(), "ids": out2[0].tolist(), "text": tok.decode(out2[0][p.shape[1]:])},
              open(os.path.join(SO, "greedy_prompt.json"), "w"), ensure_ascii=False, indent=1)

SEQS = ["Once upon a time, there was a little girl named Lily.",
        "Tom had a red car. He liked to drive it fast. One day the car broke and Tom was sad. His mom said they can fix it together.",
        "The cat sat on the mat."]

def s_logits():
    tensors, info = {}, []
    for i, t in enumerate(SEQS):
        ids = tok(t, return_tensors="pt")["input_ids"]  # with BOS
        logits = model(ids).logits[0].float()
        tensors[f"logits.{i}"] = logits.contiguous()
        lp = torch.log_softmax(logits, -1)
        tgt = ids[0, 1:]
        tok_lp = lp[:-1].gather(-1, tgt[:, None])[:, 0]
        tensors[f"token_logprobs.{i}"] = tok_lp.contiguous()
        info.append({"index": i, "text": t, "ids": ids[0].tolist(), "sum_logprob": float(tok_lp.sum()),
                     "mean_nll": float(-tok_lp.mean())})
    # left-padded batch: logits at real positions must match the unpadded ones
    enc = [tok(t)["input_ids"] for t in SEQS]
    T = max(map(len, enc))
    ids = torch.zeros(len(enc), T, dtype=torch.long)
    mask = torch.zeros(len(enc), T, dtype=torch.long)
    for b, e in enumerate(enc):
        ids[b, T - len(e):] = torch.tensor(e); mask[b, T - len(e):] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    lg = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits.float()
    tensors["padded.input_ids"] = ids.to(torch.int64).contiguous()
    tensors["padded.attention_mask"] = mask.to(torch.int64).contiguous()
    tensors["padded.logits"] = lg.contiguous()
    save_file(tensors, os.path.join(SO, "logits.safetensors"))
    json.dump(info, open(os.path.join(SO, "logits_cases.json"), "w"), indent=1)

def s_reference_logprobs():
    # The primitive behind likelihood rewards: log p(reference tokens | prompt + reasoning), teacher-forced.
    prompt = "Once upon a time, there was a little girl named Lily."
    reasonings = [" She liked to play with her ball in the park.", " She had a big dog named Max.", " One day it was raining and she was sad.", ""]
    reference = " She went to the park and played with her ball."
    rows = []
    p_ids = tok(prompt)["input_ids"]
    r_ids = tok(reference, add_special_tokens=False)["input_ids"]
    for c in reasonings:
        c_ids = tok(c, add_special_tokens=False)["input_ids"] if c else []
        ids = torch.tensor([p_ids + c_ids + r_ids])
        lp = torch.log_softmax(model(ids).logits[0].float(), -1)
        start = len(p_ids) + len(c_ids)
        vals = [float(lp[start + j - 1, r_ids[j]]) for j in range(len(r_ids))]
        rows.append({"prompt_ids": p_ids, "reasoning": c, "reasoning_ids": c_ids, "reference_ids": r_ids, "reference_token_logprobs": vals})
    json.dump({"prompt": prompt, "reference": reference, "cases": rows}, open(os.path.join(SO, "reference_logprobs.json"), "w"), indent=1)

def s_gradients():
    m = load(AutoModelForCausalLM, S, torch.float32)
    m.train()
    with torch.enable_grad():
        ids = tok(SEQS[1], return_tensors="pt")["input_ids"]
        out = m(ids, labels=ids)
        out.loss.backward()
    grads = {"grad." + n: p.grad.detach().float().contiguous() for n, p in m.named_parameters() if p.grad is not None}
    save_file(grads, os.path.join(SO, "nll_gradients.safetensors"))
    json.dump({"text": SEQS[1], "ids": ids[0].tolist(), "loss": float(out.loss),
               "note": "loss = mean next-token NLL over the sequence (labels = input ids, shifted inside the model); grads of every parameter; embed_tokens is tied to lm_head"},
              open(os.path.join(SO, "nll_gradients.json"), "w"), indent=1)

def s_grpo():
    # A hand-written GRPO-family loss in PyTorch, following TRL GRPOTrainer / verl core_algos definitions.
    torch.manual_seed(0)
    m = load(AutoModelForCausalLM, S, torch.float32); m.train()
    prompt = tok("Once upon a time", return_tensors="pt")["input_ids"][0].tolist()
    comps = [" there was a little girl named Lily.", " a big dog ran to the park and played", " Tom was sad", " the sun was hot. The cat slept."]
    c_ids = [tok(c, add_special_tokens=False)["input_ids"] for c in comps]
    G = len(c_ids); Lmax = max(map(len, c_ids))
    rewards = torch.tensor([1.0, 0.5, 0.0, 0.25])
    mean = rewards.mean(); std = rewards.std()  # unbiased, as torch.std / TRL / verl
    adv = (rewards - mean) / (std + 1e-4)
    ids = torch.zeros(G, len(prompt) + Lmax, dtype=torch.long); cmask = torch.zeros(G, Lmax)
    for g, c in enumerate(c_ids):
        ids[g, :len(prompt)] = torch.tensor(prompt); ids[g, len(prompt):len(prompt) + len(c)] = torch.tensor(c); cmask[g, :len(c)] = 1
    # right padding with token 0 after each completion; the attention mask hides it
    attn = torch.ones_like(ids); attn[:, len(prompt):] = cmask.long()
    gen = torch.Generator().manual_seed(1)
    old_delta = (torch.rand(G, Lmax, generator=gen) - 0.5) * 0.6   # old_logp = logp - delta (so ratio = exp(delta))
    ref_delta = (torch.rand(G, Lmax, generator=gen) - 0.5) * 0.4   # ref_logp = logp - ref_delta
    results = {"prompt_ids": prompt, "completion_ids": c_ids, "rewards": rewards.tolist(), "advantages": adv.tolist(),
               "old_logprob_delta": old_delta.tolist(), "ref_logprob_delta": ref_delta.tolist(),
               "eps_low": 0.2, "eps_high": 0.28, "beta": 0.04, "max_completion_length": Lmax, "modes": {}}
    grads_out = {}
    for mode in ["grpo", "bnpo", "dr_grpo", "dapo"]:
        m.zero_grad()
        with torch.enable_grad():
            logits = m(input_ids=ids, attention_mask=attn).logits[:, len(prompt) - 1:-1].float()
            lp = torch.log_softmax(logits, -1).gather(-1, ids[:, len(prompt):, None])[..., 0]
            old = (lp - old_delta).detach(); ref = (lp - ref_delta).detach()
            ratio = torch.exp(lp - old)
            A = adv[:, None]
            per_tok = -torch.min(ratio * A, torch.clamp(ratio, 1 - 0.2, 1 + 0.28) * A)
            kl = torch.exp(ref - lp) - (ref - lp) - 1
            per_tok = per_tok + 0.04 * kl
            if mode == "grpo":
                loss = ((per_tok * cmask).sum(-1) / cmask.sum(-1).clamp(min=1)).mean()
            elif mode in ("bnpo", "dapo"):
                loss = (per_tok * cmask).sum() / cmask.sum().clamp(min=1)
            else:
                loss = (per_tok * cmask).sum() / (G * Lmax)
            loss.backward()
        gn = torch.sqrt(sum((p.grad.float() ** 2).sum() for p in m.parameters() if p.grad is not None))
        results["modes"][mode] = {"loss": float(loss), "grad_norm": float(gn),
                                  "mean_kl": float((kl * cmask).sum() / cmask.sum()),
                                  "clip_fraction": float((((ratio < 0.8) & (A < 0)) | ((ratio > 1.28) & (A > 0))).float().mul(cmask).sum() / cmask.sum())}
        for n, p in m.named_parameters():
            if p.grad is not None and ("layers.0." in n or "embed" in n or n == "model.norm.weight"):
                grads_out[f"{mode}.{n}"] = p.grad.detach().float().contiguous()
        print(mode, results["modes"][mode], flush=True)
    json.dump(results, open(os.path.join(SO, "grpo_loss.json"), "w"), indent=1)
    save_file(grads_out, os.path.join(SO, "grpo_gradients.safetensors"))

for f in [s_tokenizer, s_greedy, s_logits, s_reference_logprobs, s_gradients, s_grpo]:
    section(f)

# ---------------------------------------------------------------- tiny random Qwen2 (byte-level BPE, ChatML, bf16 weights)
QO = os.path.join(OUT, "tiny-qwen2")
def q_build():
    from tokenizers import Tokenizer, models, trainers, pre_tokenizers, decoders, processors
    try:
        story = [json.load(open(os.path.join(SO, "greedy.json")))["text"]] * 3
    except Exception:
        story = []
    corpus = story + SEQS + TEXTS + [
        "The quick brown fox jumps over the lazy dog. 0123456789 + - * / = % $ ( ) [ ] { } < > | \\ \" ' ` ~ ! ? , . : ;",
        "Revenue grew from $5,735 million to $5,829 million, a change of 1.6%.", "<think>reasoning</think> answer"]
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tr = trainers.BpeTrainer(vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    t.train_from_iterator(corpus, tr)
    os.makedirs(QO, exist_ok=True)
    t.save(os.path.join(QO, "tokenizer.json"))
    chat_template = ("{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}"
                     "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
    json.dump({"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
               "model_max_length": 2048, "tokenizer_class": "Qwen2Tokenizer", "add_bos_token": False,
               "chat_template": chat_template, "clean_up_tokenization_spaces": False, "errors": "replace"},
              open(os.path.join(QO, "tokenizer_config.json"), "w"), indent=2)
    V = t.get_vocab_size()
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = Qwen2Config(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=256, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      tie_word_embeddings=False, initializer_range=0.3, bos_token_id=None,
                      eos_token_id=t.token_to_id("<|im_end|>"), pad_token_id=t.token_to_id("<|endoftext|>"))
    torch.manual_seed(1234)
    m = Qwen2ForCausalLM(cfg)
    with torch.no_grad():   # give biases and norms non-trivial values so that every path is exercised
        for n, p in m.named_parameters():
            if n.endswith("bias") or "norm" in n:
                p.copy_(1.0 + 0.3 * torch.randn_like(p) if "norm" in n else 0.3 * torch.randn_like(p))
    m = m.to(torch.bfloat16)
    m.save_pretrained(QO, safe_serialization=True)
    tk = PreTrainedTokenizerFast(tokenizer_file=os.path.join(QO, "tokenizer.json"), eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tk.chat_template = chat_template
    msgs = [{"role": "system", "content": "You are a careful analyst."}, {"role": "user", "content": "What is 12 + 30? Think first."}]
    rendered = tk.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    ids = tk(rendered, add_special_tokens=False)["input_ids"]
    m32 = load(Qwen2ForCausalLM, QO, torch.float32).eval()   # bf16 weights, fp32 compute
    lg = m32(torch.tensor([ids])).logits[0].float()
    out = m32.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False, eos_token_id=None, pad_token_id=cfg.pad_token_id)
    save_file({"logits.chat": lg.contiguous()}, os.path.join(QO, "reference_logits.safetensors"))
    cases = [{"text": x, "ids": tk(x, add_special_tokens=False)["input_ids"]} for x in TEXTS + ["<|im_start|>user\nhi<|im_end|>\n"]]
    json.dump({"messages": msgs, "rendered": rendered, "ids": ids, "greedy_ids": out[0].tolist(),
               "tokenizer_cases": cases, "note": "weights stored as bfloat16; reference logits computed in float32 from the bf16 weights"},
              open(os.path.join(QO, "reference.json"), "w"), ensure_ascii=False, indent=1)
section(q_build)

# ---------------------------------------------------------------- tiny random Qwen3 (q_norm/k_norm, head_dim 16 != 32/4, tied, bf16)
# The model itself was made without torch by tools/qwen3_reference.py (build) and is committed; this
# section recomputes its references with transformers from the committed files, in the layout that
# script writes (reference.json + reference_logits.safetensors; copy both to tiny-qwen3-reference/).
Q3 = os.path.join(HERE, "..", "src", "test", "resources", "fixtures", "tiny-qwen3")
Q3O = os.path.join(OUT, "tiny-qwen3")
def q3_reference():
    from transformers import Qwen3ForCausalLM
    os.makedirs(Q3O, exist_ok=True)
    old = json.load(open(os.path.join(Q3, "..", "tiny-qwen3-reference", "reference.json")))
    tk = PreTrainedTokenizerFast(tokenizer_file=os.path.join(Q3, "tokenizer.json"), eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tk.chat_template = json.load(open(os.path.join(Q3, "tokenizer_config.json")))["chat_template"]
    rendered = tk.apply_chat_template(old["messages"], tokenize=False, add_generation_prompt=True)
    ids = tk(rendered, add_special_tokens=False)["input_ids"]
    m32 = load(Qwen3ForCausalLM, Q3, torch.float32).eval()   # bf16 weights, fp32 compute
    tensors, cases = {}, []
    for c in old["cases"]:
        c_ids = ids if c["name"] == "chat" else tk(c["text"], add_special_tokens=False)["input_ids"]
        lg = m32(torch.tensor([c_ids])).logits[0].float()
        tensors["logits." + c["name"]] = lg.contiguous()
        tensors["token_logprobs." + c["name"]] = torch.log_softmax(lg, -1)[:-1].gather(-1, torch.tensor(c_ids[1:])[:, None])[:, 0].contiguous()
        cases.append({"name": c["name"], "text": c["text"], "ids": c_ids})
    out = m32.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False, eos_token_id=None, pad_token_id=0)
    m32.train()
    with torch.enable_grad():
        t = torch.tensor([ids])
        loss = m32(t, labels=t).loss
        loss.backward()
    for n, p in m32.named_parameters():
        if "q_norm" in n or "k_norm" in n:
            tensors["grad." + n] = p.grad.detach().float().contiguous()
    save_file(tensors, os.path.join(Q3O, "reference_logits.safetensors"))
    json.dump({"messages": old["messages"], "rendered": rendered, "ids": ids, "greedy_ids": out[0].tolist(), "cases": cases,
               "nll": {"ids": ids, "loss": float(loss), "note": "mean next-token NLL of ids; grad.<q_norm/k_norm name> by autograd"},
               "made_by": "tools/make_reference.py with transformers " + transformers.__version__,
               "note": "weights stored as bfloat16; references computed in float32 from the bf16 weights"},
              open(os.path.join(Q3O, "reference.json"), "w"), ensure_ascii=False, indent=1)
section(q3_reference)
# ---------------------------------------------------------------- a PEFT-made LoRA adapter on tiny-qwen2
# Made by peft itself (get_peft_model + save_pretrained), so dro4j's loader is tested on peft's own
# output. lora_B is drawn instead of peft's zero init so that the adapter changes the logits.
QP = os.path.join(OUT, "tiny-qwen2-peft-adapter")
def peft_adapter():
    import peft
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen2ForCausalLM
    meta["peft"] = peft.__version__
    Q2 = os.path.join(HERE, "..", "src", "test", "resources", "fixtures", "tiny-qwen2")
    ref = json.load(open(os.path.join(Q2, "..", "tiny-qwen2-reference", "reference.json")))
    ids = ref["ids"]
    base = load(Qwen2ForCausalLM, Q2, torch.float32).eval()
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                     target_modules=["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"])
    torch.manual_seed(7)
    m = get_peft_model(base, cfg)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.copy_(0.2 * torch.randn_like(p))
    m.eval()
    m.save_pretrained(QP)
    lg = m(torch.tensor([ids])).logits[0].float()
    merged = m.merge_and_unload()
    lg_merged = merged(torch.tensor([ids])).logits[0].float()
    tensors = {"logits.chat": lg.contiguous(), "merged_logits.chat": lg_merged.contiguous()}
    for n, p in merged.named_parameters():
        if any(k in n for k in ("layers.0.self_attn.q_proj.weight", "layers.1.mlp.down_proj.weight")):
            tensors["merged." + n] = p.detach().float().contiguous()
    save_file(tensors, os.path.join(QP, "reference_logits.safetensors"))
    json.dump({"ids": ids, "made_by": "peft " + peft.__version__ + " get_peft_model + save_pretrained on tiny-qwen2 loaded in float32",
               "lora": {"r": 4, "lora_alpha": 8, "target_modules": sorted(cfg.target_modules)},
               "note": "logits.chat: the adapted model on ids; merged_logits.chat: after merge_and_unload; merged.<name>: merged weights"},
              open(os.path.join(QP, "reference.json"), "w"), indent=1)
section(peft_adapter)
json.dump(meta, open(os.path.join(OUT, "versions.json"), "w"))
print("DONE", flush=True)
