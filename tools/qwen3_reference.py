"""An independent NumPy implementation of Llama / Qwen2 / Qwen3 decoders, and the tiny-qwen3 fixture.

Written for machines without PyTorch or transformers (only numpy is needed). It shares no code with
the Java runtime: it follows transformers' modeling_llama / modeling_qwen2 / modeling_qwen3 (pre-norm
RMSNorm blocks, rotate-half RoPE with fp32 tables, grouped-query attention, SwiGLU MLP, Qwen3's
per-head q_norm / k_norm before the rotary embedding) and computes in float64.

    python3 tools/qwen3_reference.py validate   # compare with the transformers-made references
    python3 tools/qwen3_reference.py build      # validate, then write the tiny-qwen3 fixture

`validate` checks this implementation against references computed by transformers: tiny-qwen2's
logits of the chat prompt and its 20 greedy tokens, stories260K's logits and greedy output, and
(for the finite-difference gradients used below) stories260K's NLL gradients of two norm weights.
It fails unless logits agree within 1e-4, greedy ids are identical and gradients agree within 1e-4
of their norm.

`build` writes src/test/resources/fixtures/tiny-qwen3/ (a random Qwen3 in Hugging Face layout, bf16
weights, tied head, head_dim 16 != hidden 32 / 4 heads, the tiny-qwen2 tokenizer) and
tiny-qwen3-reference/ (logits, next-token log-probs, greedy ids, central finite-difference NLL
gradients of every q_norm / k_norm weight). With transformers at hand, regenerate the references
from the committed model with `python tools/make_reference.py OUT` instead (its tiny-qwen3 section
writes the same files).
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "test", "resources", "fixtures")

# ----------------------------------------------------------------------------- safetensors

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """name -> array; BF16 and F16 come back as float32."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        dtype = info["dtype"]
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"]).copy()
    return out


def to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns, rounding to nearest even (as torch's .to(torch.bfloat16))."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_round(x):
    return (to_bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (array, dtype) with dtype BF16, F32 or I64; names are written sorted."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        arr, dtype = tensors[name]
        if dtype == "BF16":
            raw = to_bf16_bits(arr).astype("<u2").tobytes()
        else:
            raw = np.ascontiguousarray(arr, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(arr)), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # keep the data 8-byte aligned, as the safetensors package does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------- the model

class Model:
    """A decoder read from a Hugging Face folder (or given config + weights), float64 compute."""

    def __init__(self, cfg, weights):
        self.cfg = cfg
        arch = cfg["architectures"][0]
        if arch not in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"):
            raise ValueError("unsupported architecture " + arch)
        self.qwen3 = arch == "Qwen3ForCausalLM"
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads") or self.heads
        if self.qwen3:
            # Qwen3Config's default head_dim is 128 (not hidden / heads)
            self.head_dim = cfg.get("head_dim", 128)
        else:
            self.head_dim = cfg.get("head_dim") or self.hidden // self.heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        params = cfg.get("rope_parameters") or {}
        scaling = cfg.get("rope_scaling") or {}
        rope_type = params.get("rope_type", scaling.get("rope_type", scaling.get("type", "default")))
        if rope_type != "default":
            raise ValueError("only plain RoPE here, got " + str(rope_type))
        self.theta = params.get("rope_theta", cfg.get("rope_theta", 10000.0))
        if cfg.get("use_sliding_window") or arch == "MistralForCausalLM":
            raise ValueError("no sliding windows here")
        self.layers = cfg["num_hidden_layers"]
        self.tied = cfg.get("tie_word_embeddings", False)
        self.w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}

    @staticmethod
    def load(folder):
        cfg = json.load(open(os.path.join(folder, "config.json")))
        return Model(cfg, read_safetensors(os.path.join(folder, "model.safetensors")))

    def _bias(self, name):
        return self.w.get(name, 0.0)

    def _rms(self, x, weight):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def _rope_tables(self, count):
        d = self.head_dim
        # transformers: inv_freq and position * inv_freq in float32, cos / sin of that float32 angle
        inv = (1.0 / (np.float32(self.theta) ** (np.arange(0, d, 2).astype(np.float32) / np.float32(d)))).astype(np.float32)
        angle = (np.arange(count, dtype=np.float32)[:, None] * inv[None, :]).astype(np.float32)
        angle = np.concatenate([angle, angle], axis=-1).astype(np.float64)
        return np.cos(angle).astype(np.float32).astype(np.float64), np.sin(angle).astype(np.float32).astype(np.float64)

    @staticmethod
    def _rotate(x, cos, sin):  # x [T, heads, d]
        half = x.shape[-1] // 2
        rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
        return x * cos[:, None, :] + rotated * sin[:, None, :]

    def logits(self, ids):
        """Logits [T, vocab] of one unpadded sequence."""
        w = self.w
        ids = np.asarray(ids)
        T, D, H, KV = len(ids), self.head_dim, self.heads, self.kv_heads
        x = w["model.embed_tokens.weight"][ids]
        cos, sin = self._rope_tables(T)
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for l in range(self.layers):
            p = "model.layers.%d." % l
            h = self._rms(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T + self._bias(p + "self_attn.q_proj.bias")).reshape(T, H, D)
            k = (h @ w[p + "self_attn.k_proj.weight"].T + self._bias(p + "self_attn.k_proj.bias")).reshape(T, KV, D)
            v = (h @ w[p + "self_attn.v_proj.weight"].T + self._bias(p + "self_attn.v_proj.bias")).reshape(T, KV, D)
            if self.qwen3:
                q = self._rms(q, w[p + "self_attn.q_norm.weight"])
                k = self._rms(k, w[p + "self_attn.k_norm.weight"])
            q = self._rotate(q, cos, sin)
            k = self._rotate(k, cos, sin)
            # query head j reads KV head j // (H / KV), as transformers' repeat_kv
            k = np.repeat(k, H // KV, axis=1)
            v = np.repeat(v, H // KV, axis=1)
            scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(D) + mask
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            attn = np.einsum("hts,shd->thd", probs, v).reshape(T, H * D)
            x = x + attn @ w[p + "self_attn.o_proj.weight"].T + self._bias(p + "self_attn.o_proj.bias")
            m = self._rms(x, w[p + "post_attention_layernorm.weight"])
            gate = m @ w[p + "mlp.gate_proj.weight"].T
            up = m @ w[p + "mlp.up_proj.weight"].T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
        x = self._rms(x, w["model.norm.weight"])
        head = w["model.embed_tokens.weight"] if self.tied else w["lm_head.weight"]
        return x @ head.T

    def greedy(self, prompt, new_tokens):
        """Greedy continuation (full recompute per token) and the smallest top-1 / top-2 logit gap."""
        ids = list(prompt)
        gap = np.inf
        for _ in range(new_tokens):
            last = self.logits(ids)[-1]
            top2 = np.sort(last)[-2:]
            gap = min(gap, top2[1] - top2[0])
            ids.append(int(np.argmax(last)))
        return ids, gap

    def mean_nll(self, ids):
        lp = log_softmax(self.logits(ids))
        return -np.mean(lp[np.arange(len(ids) - 1), np.asarray(ids[1:])])

    def fd_gradient(self, name, ids, eps=1e-4):
        """Central finite differences of the mean next-token NLL w.r.t. every entry of one tensor."""
        param = self.w[name]
        grad = np.zeros_like(param)
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            plus = self.mean_nll(ids)
            flat[i] = keep - eps
            minus = self.mean_nll(ids)
            flat[i] = keep
            gflat[i] = (plus - minus) / (2 * eps)
        return grad


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def token_logprobs(logits, ids):
    return log_softmax(logits)[np.arange(len(ids) - 1), np.asarray(ids[1:])]


# ----------------------------------------------------------------------------- validation

def validate():
    """Compares this implementation with transformers' references; returns the numbers."""
    report = {}
    # tiny-qwen2: bf16 weights, q/k/v biases, untied head, theta 1e6 (transformers 5.17, fp32 compute)
    q2 = Model.load(os.path.join(FIXTURES, "tiny-qwen2"))
    ref = json.load(open(os.path.join(FIXTURES, "tiny-qwen2-reference", "reference.json")))
    want = read_safetensors(os.path.join(FIXTURES, "tiny-qwen2-reference", "reference_logits.safetensors"))["logits.chat"]
    got = q2.logits(ref["ids"])
    report["tiny-qwen2 logits max abs diff"] = float(np.abs(got - want).max())
    report["tiny-qwen2 log-prob max abs diff"] = float(np.abs(token_logprobs(got, ref["ids"]) - token_logprobs(want.astype(np.float64), ref["ids"])).max())
    greedy, gap = q2.greedy(ref["ids"], len(ref["greedy_ids"]) - len(ref["ids"]))
    report["tiny-qwen2 greedy ids identical"] = greedy == ref["greedy_ids"]
    report["tiny-qwen2 greedy smallest top-2 gap"] = float(gap)

    # stories260K: fp32 Llama, GQA, tied head
    st = Model.load(os.path.join(FIXTURES, "stories260K"))
    sref = os.path.join(FIXTURES, "stories260K-reference")
    logits = read_safetensors(os.path.join(sref, "logits.safetensors"))
    diff = 0.0
    for case in json.load(open(os.path.join(sref, "logits_cases.json"))):
        diff = max(diff, float(np.abs(st.logits(case["ids"]) - logits["logits.%d" % case["index"]]).max()))
    report["stories260K logits max abs diff"] = diff
    g = json.load(open(os.path.join(sref, "greedy.json")))
    report["stories260K greedy ids identical"] = st.greedy(g["prompt_ids"], len(g["ids"]) - len(g["prompt_ids"]))[0] == g["ids"]

    # finite differences against transformers' autograd (stories260K NLL gradients)
    nll = json.load(open(os.path.join(sref, "nll_gradients.json")))
    grads = read_safetensors(os.path.join(sref, "nll_gradients.safetensors"))
    report["stories260K loss abs diff"] = float(abs(st.mean_nll(nll["ids"]) - nll["loss"]))
    worst = 0.0
    for name in ["model.norm.weight", "model.layers.0.input_layernorm.weight"]:
        fd = st.fd_gradient(name, nll["ids"])
        want = grads["grad." + name]
        worst = max(worst, float(np.linalg.norm(fd - want) / np.linalg.norm(want)))
    report["stories260K FD gradient relative error (2 norm weights)"] = worst

    for k, v in report.items():
        print("%-58s %s" % (k, v))
    ok = (report["tiny-qwen2 logits max abs diff"] < 1e-4 and report["tiny-qwen2 log-prob max abs diff"] < 1e-4
          and report["tiny-qwen2 greedy ids identical"] and report["stories260K logits max abs diff"] < 1e-4
          and report["stories260K greedy ids identical"]
          and report["stories260K FD gradient relative error (2 norm weights)"] < 1e-4)
    if not ok:
        sys.exit("validation FAILED")
    print("validation OK")
    return report


# ----------------------------------------------------------------------------- the tiny-qwen3 fixture

SEED = 5  # chosen among seeds 1-8 for a varied greedy continuation (18 distinct tokens of 20)


def qwen3_config(vocab):
    """A config.json as transformers 5 writes for Qwen3Config(...) with these values."""
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": None,
        "dtype": "bfloat16",
        "eos_token_id": 2,
        "head_dim": 16,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.3,
        "intermediate_size": 64,
        "layer_types": ["full_attention", "full_attention"],
        "max_position_embeddings": 256,
        "max_window_layers": 28,
        "model_type": "qwen3",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pad_token_id": 0,
        "rms_norm_eps": 1e-06,
        "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"},
        "sliding_window": None,
        "tie_word_embeddings": True,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": vocab,
    }


def qwen3_weights(cfg, seed=SEED):
    """Normal(0, 0.3) matrices and 1 + 0.3 N(0, 1) norm weights (q_norm / k_norm included), bf16-rounded."""
    rng = np.random.default_rng(seed)
    h, inter, d = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    shapes = {"model.embed_tokens.weight": (cfg["vocab_size"], h)}
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        shapes.update({
            p + "input_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (q, h),
            p + "self_attn.k_proj.weight": (kv, h),
            p + "self_attn.v_proj.weight": (kv, h),
            p + "self_attn.o_proj.weight": (h, q),
            p + "self_attn.q_norm.weight": (d,),
            p + "self_attn.k_norm.weight": (d,),
            p + "post_attention_layernorm.weight": (h,),
            p + "mlp.gate_proj.weight": (inter, h),
            p + "mlp.up_proj.weight": (inter, h),
            p + "mlp.down_proj.weight": (h, inter),
        })
    shapes["model.norm.weight"] = (h,)
    std = cfg["initializer_range"]
    weights = {}
    for name, shape in shapes.items():
        z = rng.standard_normal(shape)
        value = 1.0 + 0.3 * z if "norm" in name else std * z
        weights[name] = bf16_round(value.astype(np.float32))
    return weights


def build(report):
    out_model = os.path.join(FIXTURES, "tiny-qwen3")
    out_ref = os.path.join(FIXTURES, "tiny-qwen3-reference")
    os.makedirs(out_model, exist_ok=True)
    os.makedirs(out_ref, exist_ok=True)
    q2 = os.path.join(FIXTURES, "tiny-qwen2")
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        with open(os.path.join(q2, name), "rb") as src, open(os.path.join(out_model, name), "wb") as dst:
            dst.write(src.read())
    vocab = len(json.load(open(os.path.join(q2, "tokenizer.json")))["model"]["vocab"])
    cfg = qwen3_config(vocab)
    assert vocab == 400
    with open(os.path.join(out_model, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_model, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": 2, "pad_token_id": 0}, f, indent=2)
        f.write("\n")
    weights = qwen3_weights(cfg)
    write_safetensors(os.path.join(out_model, "model.safetensors"), {k: (v, "BF16") for k, v in weights.items()},
                      {"format": "pt"})

    # Read back what was written: the references are computed from the stored bf16 weights.
    model = Model.load(out_model)
    q2ref = json.load(open(os.path.join(FIXTURES, "tiny-qwen2-reference", "reference.json")))
    # The same tokenizer, so the tiny-qwen2 renders and ids hold here (its tokenizer cases came from transformers).
    cases_by_text = {c["text"]: c["ids"] for c in q2ref["tokenizer_cases"]}
    texts = ["Tom and Sam went to the park to play.", "<|im_start|>user\nhi<|im_end|>\n"]
    cases = [{"name": "chat", "text": q2ref["rendered"], "ids": q2ref["ids"]}]
    cases += [{"name": "case%d" % i, "text": t, "ids": cases_by_text[t]} for i, t in enumerate(texts)]
    tensors = {}
    for c in cases:
        lg = model.logits(c["ids"])
        tensors["logits." + c["name"]] = (lg, "F32")
        tensors["token_logprobs." + c["name"]] = (token_logprobs(lg, c["ids"]), "F32")
    greedy, gap = model.greedy(q2ref["ids"], 20)
    nll_ids = q2ref["ids"]
    loss = model.mean_nll(nll_ids)
    for l in range(cfg["num_hidden_layers"]):
        for which in ["q_norm", "k_norm"]:
            name = "model.layers.%d.self_attn.%s.weight" % (l, which)
            tensors["grad." + name] = (model.fd_gradient(name, nll_ids), "F32")
    write_safetensors(os.path.join(out_ref, "reference_logits.safetensors"), tensors)
    reference = {
        "messages": q2ref["messages"],
        "rendered": q2ref["rendered"],
        "ids": q2ref["ids"],
        "greedy_ids": greedy,
        "greedy_smallest_top2_logit_gap": float(gap),
        "cases": cases,
        "nll": {"ids": nll_ids, "loss": float(loss),
                "note": "mean next-token NLL of ids; grad.<q_norm/k_norm name> in reference_logits.safetensors"
                        " are central finite differences (step 1e-4, float64)"},
        "made_by": "tools/qwen3_reference.py build: an independent NumPy float64 implementation, NOT transformers;"
                   " validated first against transformers' tiny-qwen2 and stories260K references (numbers below)",
        "validation": report,
        "note": "weights stored as bfloat16; references computed from the bf16 weights",
    }
    with open(os.path.join(out_ref, "reference.json"), "w") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("greedy:", greedy[len(q2ref["ids"]):], "smallest top-2 gap %.4f" % gap, "loss %.6f" % loss)
    print("wrote", os.path.normpath(out_model), "and", os.path.normpath(out_ref))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "validate"
    numbers = validate()
    if what == "build":
        build(numbers)
    elif what != "validate":
        sys.exit("usage: qwen3_reference.py validate|build")
