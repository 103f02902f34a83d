#!/usr/bin/env python3
"""nanogpt_layout.py - a small GPT with nanoGPT's module and state-dict layout,
and the helpers tests/nanogpt/check.sh runs.

The model follows the layout nanoGPT documents (our own code): transformer.wte,
transformer.wpe, transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
mlp.c_proj}, transformer.ln_f and lm_head, with lm_head tied to wte; exact GELU,
LayerNorm eps 1e-5 (optionally without bias), causal attention, and AdamW in two
groups (2-D tensors decayed, the rest not) in named_parameters order.

    nanogpt_layout.py make W            W/compiled, W/nobias: trained ckpt.pt + meta.pkl; W/bad: broken inputs
    nanogpt_layout.py loss DIR TEXT [--moments BIN] [--resume]
                                        mean loss over the block_size windows (first line); with
                                        --moments, BIN's AdamW m, v against the optimizer's; with
                                        --resume, train.py's resume path and one step
    nanogpt_layout.py compare ORIG NEW [--zero-biases]
                                        tensor by tensor and the optimizer state, exactly; then --resume
    nanogpt_layout.py errors CASES      convert.main on each line "label|arg|arg..." of CASES: each
                                        must be refused with exit status 1 and one line on stderr
    nanogpt_layout.py tie IN.bin OUTDIR OUTDIR/tied_wte.bin, tied_lm_head.bin: lm_head == wte (no PyTorch)
    nanogpt_layout.py same-params A.bin B.bin   parameter regions byte for byte (no PyTorch)
"""

import contextlib
import io
import math
import os
import pickle
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "nanogpt"))
sys.dont_write_bytecode = True  # no __pycache__ in examples/
import convert  # noqa: E402  (the converter's own tinygpt reader and writer)


# ---------------------------------------------------------------- tinygpt files only (no PyTorch)

def cmd_tie(src, outdir):
    """Copies of a tinygpt checkpoint whose lm_head and wte are both its wte, or
    both its lm_head, moments included: models nanoGPT's tied GPT holds unchanged."""
    for which in ("wte", "lm_head"):
        ck = convert.read_tinygpt(src)
        t = {t.name: t for t in ck["table"]}
        keep, other = (t["wte"], t["lm_head.weight"]) if which == "wte" else (t["lm_head.weight"], t["wte"])
        for arr in (ck["params"], ck["m"], ck["v"]):
            if arr is not None:
                arr[other.offset:other.offset + other.count] = arr[keep.offset:keep.offset + keep.count]
        convert.write_tinygpt(os.path.join(outdir, "tied_%s.bin" % which), ck)
    print("wrote %s/tied_wte.bin and tied_lm_head.bin" % outdir)


def cmd_same_params(a, b):
    x, y = convert.read_tinygpt(a), convert.read_tinygpt(b)
    if x["P"] != y["P"]:
        raise SystemExit("parameter counts differ: %d vs %d" % (x["P"], y["P"]))
    if not convert.same_bits(x["params"], y["params"]):
        i = int(np.argmax(x["params"].view(np.uint32) != y["params"].view(np.uint32)))
        t = next(t for t in x["table"] if t.offset <= i < t.offset + t.count)
        raise SystemExit("parameters differ, first in %s" % t.name)
    print("parameter regions equal byte for byte (%d floats)" % x["P"])


if __name__ == "__main__" and sys.argv[1:2] in (["tie"], ["same-params"]):
    try:  # these need no PyTorch, which takes seconds to load
        (cmd_tie if sys.argv[1] == "tie" else cmd_same_params)(*sys.argv[2:4])
    except convert.Refused as e:
        sys.exit("error: %s" % e)
    sys.exit(0)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)


# ---------------------------------------------------------------- the model

class LayerNorm(nn.Module):
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.n_head, self.n_embd = a["n_head"], a["n_embd"]
        self.c_attn = nn.Linear(self.n_embd, 3 * self.n_embd, bias=a["bias"])  # rows: q, k, v
        self.c_proj = nn.Linear(self.n_embd, self.n_embd, bias=a["bias"])
        self.attn_dropout = nn.Dropout(a["dropout"])
        self.resid_dropout = nn.Dropout(a["dropout"])

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = (z.reshape(B, T, self.n_head, hs).transpose(1, 2) for z in self.c_attn(x).split(C, dim=2))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        att = self.attn_dropout(F.softmax(scores.masked_fill(future, float("-inf")), dim=-1))
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # heads side by side, in head order
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.c_fc = nn.Linear(a["n_embd"], 4 * a["n_embd"], bias=a["bias"])
        self.gelu = nn.GELU()  # approximate='none': 0.5 x (1 + erf(x / sqrt 2))
        self.c_proj = nn.Linear(4 * a["n_embd"], a["n_embd"], bias=a["bias"])
        self.dropout = nn.Dropout(a["dropout"])

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.ln_1 = LayerNorm(a["n_embd"], a["bias"])
        self.attn = CausalSelfAttention(a)
        self.ln_2 = LayerNorm(a["n_embd"], a["bias"])
        self.mlp = MLP(a)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.args = dict(a)
        C = a["n_embd"]
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(a["vocab_size"], C), wpe=nn.Embedding(a["block_size"], C), drop=nn.Dropout(a["dropout"]),
            h=nn.ModuleList(Block(a) for _ in range(a["n_layer"])), ln_f=LayerNorm(C, a["bias"])))
        self.lm_head = nn.Linear(C, a["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied: one Parameter, listed once

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T, device=idx.device)))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None if targets is None else F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        params = [p for _, p in self.named_parameters() if p.requires_grad]
        groups = [dict(params=[p for p in params if p.dim() >= 2], weight_decay=weight_decay),
                  dict(params=[p for p in params if p.dim() < 2], weight_decay=0.0)]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)


def strip_prefix(sd):
    return {(k[len("_orig_mod."):] if k.startswith("_orig_mod.") else k): v for k, v in sd.items()}


def load_dir(d, safe=False):
    path = os.path.join(d, "ckpt.pt")
    ck = convert.torch_load(path, trust=False) if safe else torch.load(path, map_location="cpu")
    with open(os.path.join(d, "meta.pkl"), "rb") as f:
        meta = pickle.load(f)
    return ck, meta


def build(ck):
    model = GPT(ck["model_args"])
    model.load_state_dict(strip_prefix(ck["model"]), strict=True)
    return model


def encode(text_path, stoi):
    with open(text_path, encoding="utf-8", newline="") as f:
        return torch.tensor([stoi[c] for c in f.read()], dtype=torch.long)


def nanogpt_lr(it, c):
    """nanoGPT's cosine schedule with linear warmup (our own transcription)."""
    if it < c["warmup_iters"]:
        return c["learning_rate"] * (it + 1) / (c["warmup_iters"] + 1)
    if it > c["lr_decay_iters"]:
        return c["min_lr"]
    r = (it - c["warmup_iters"]) / (c["lr_decay_iters"] - c["warmup_iters"])
    return c["min_lr"] + 0.5 * (1 + math.cos(math.pi * r)) * (c["learning_rate"] - c["min_lr"])


# ---------------------------------------------------------------- commands

def make_variant(outdir, variant):
    """A trained checkpoint as nanoGPT's train.py saves it. Variant `compiled`:
    bias=True, keys under _orig_mod. (torch.compile), ids in sorted order.
    Variant `nobias`: bias=False, plain keys, ids in shuffled order."""
    torch.manual_seed(1234 if variant == "compiled" else 4321)
    with open(os.path.join(HERE, "text.txt"), encoding="utf-8", newline="") as f:
        chars = sorted(set(f.read()))
    if variant == "nobias":
        chars = [chars[i] for i in torch.randperm(len(chars)).tolist()]
    stoi = {c: i for i, c in enumerate(chars)}
    itos = {i: c for i, c in enumerate(chars)}
    a = dict(n_layer=2, n_head=4, n_embd=48, block_size=32, bias=variant == "compiled", vocab_size=len(chars),
             dropout=0.1)
    model = GPT(a)
    with torch.no_grad():
        for name, p in model.named_parameters():  # not the zero/one init: every tensor matters
            if name.endswith("bias"):
                p.normal_(0.0, 0.05)
            elif p.dim() == 1:
                p.normal_(1.0, 0.1)
            else:
                p.normal_(0.0, 0.05)
    cfg = dict(out_dir=outdir, eval_interval=40, log_interval=1, eval_iters=20, eval_only=False,
               always_save_checkpoint=True, init_from="scratch", wandb_log=False, dataset="tiny_test",
               gradient_accumulation_steps=1 if variant == "compiled" else 2, batch_size=8 if variant == "compiled" else 4,
               block_size=32, n_layer=2, n_head=4, n_embd=48, dropout=0.1, bias=a["bias"], learning_rate=3e-3,
               max_iters=100, weight_decay=0.1, beta1=0.9, beta2=0.99, grad_clip=1.0, decay_lr=True, warmup_iters=10,
               lr_decay_iters=100, min_lr=3e-4, backend="nccl", device="cpu", dtype="float32", compile=False)
    opt = model.configure_optimizers(cfg["weight_decay"], cfg["learning_rate"], (cfg["beta1"], cfg["beta2"]))
    data = encode(os.path.join(HERE, "text.txt"), stoi)
    T, iters = a["block_size"], 40
    model.train()
    for it in range(iters):
        for g in opt.param_groups:
            g["lr"] = nanogpt_lr(it, cfg)
        for _ in range(cfg["gradient_accumulation_steps"]):
            ix = torch.randint(len(data) - T, (cfg["batch_size"],))
            x = torch.stack([data[i:i + T] for i in ix])
            y = torch.stack([data[i + 1:i + 1 + T] for i in ix])
            _, loss = model(x, y)
            (loss / cfg["gradient_accumulation_steps"]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        opt.step()
        opt.zero_grad(set_to_none=True)
    sd = model.state_dict()
    if variant == "compiled":
        sd = {"_orig_mod." + k: v for k, v in sd.items()}
    ck = dict(model=sd, optimizer=opt.state_dict(), model_args=a, iter_num=iters,
              best_val_loss=torch.tensor(float(loss)), config=cfg)
    os.makedirs(outdir, exist_ok=True)
    torch.save(ck, os.path.join(outdir, "ckpt.pt"))
    with open(os.path.join(outdir, "meta.pkl"), "wb") as f:
        pickle.dump(dict(vocab_size=len(chars), itos=itos, stoi=stoi), f)
    print("made %s: %s, vocab %d, %d AdamW steps, last batch loss %.4f" % (outdir, variant, len(chars), iters, float(loss)))


def cmd_make(w):
    make_variant(os.path.join(w, "compiled"), "compiled")
    make_variant(os.path.join(w, "nobias"), "nobias")
    make_bad(os.path.join(w, "compiled"), os.path.join(HERE, "..", "golden", "trained.bin"), os.path.join(w, "bad"))


def cmd_loss(d, text):
    """The mean next-character loss over windows k*T .. k*T+T, as ./evaluate computes it."""
    ck, meta = load_dir(d)
    model = build(ck).eval()
    data = encode(text, meta["stoi"])
    T = ck["model_args"]["block_size"]
    n = (len(data) - 1) // T
    x = torch.stack([data[k * T:k * T + T] for k in range(n)])
    y = torch.stack([data[k * T + 1:k * T + T + 1] for k in range(n)])
    with torch.no_grad():
        _, loss = model(x, y)
    print("%.6f" % float(loss))


def cmd_compare(orig_dir, new_dir, zero_biases):
    """The converted checkpoint against the original: every tensor exactly (extra
    biases all zero with --zero-biases), the optimizer state per parameter name,
    the vocabulary, iter_num and model_args."""
    a, ma = load_dir(orig_dir)
    b, mb = load_dir(new_dir, safe=True)
    bad = []
    sa, sb = strip_prefix(a["model"]), strip_prefix(b["model"])
    for k, t in sa.items():
        if k not in sb or sb[k].shape != t.shape or sb[k].dtype != t.dtype or not torch.equal(sb[k], t):
            bad.append("tensor " + k)
    extra = [k for k in sb if k not in sa]
    for k in extra:
        if not (zero_biases and k.endswith(".bias") and not sb[k].any()):
            bad.append("extra tensor " + k)
    na = names(a)
    nb = names(b)
    sta, stb = a["optimizer"]["state"], b["optimizer"]["state"]
    for name, i in na.items():
        j = nb.get(name)
        if j is None or j not in stb or i not in sta:
            bad.append("optimizer state for " + name)
            continue
        for key in ("exp_avg", "exp_avg_sq"):
            if not torch.equal(sta[i][key], stb[j][key]):
                bad.append("optimizer %s of %s" % (key, name))
        if float(sta[i]["step"]) != float(stb[j]["step"]):
            bad.append("optimizer step of " + name)
    for name in nb:
        if name not in na and nb[name] in stb and (stb[nb[name]]["exp_avg"].any() or stb[nb[name]]["exp_avg_sq"].any()):
            bad.append("optimizer state of extra " + name)
    for ga, gb in zip(a["optimizer"]["param_groups"], b["optimizer"]["param_groups"]):
        for key in ("betas", "eps", "weight_decay"):
            if tuple(np.float32(ga[key]).ravel()) != tuple(np.float32(gb[key]).ravel()):
                bad.append("param_groups %s: %r vs %r" % (key, ga[key], gb[key]))
    if ma["itos"] != mb["itos"] or ma["stoi"] != mb["stoi"] or ma["vocab_size"] != mb["vocab_size"]:
        bad.append("meta.pkl vocabulary")
    if a["iter_num"] != b["iter_num"]:
        bad.append("iter_num")
    for k in convert.MODEL_ARGS:
        if a["model_args"][k] != b["model_args"][k] and not (k == "bias" and zero_biases):
            bad.append("model_args " + k)
    if bad:
        print("differs: " + ", ".join(bad[:8]) + (" and %d more" % (len(bad) - 8) if len(bad) > 8 else ""))
        sys.exit(1)
    print("%d tensors equal%s, AdamW state of %d parameters equal, vocabulary and iter_num %d equal" % (
        len(sa), " (+%d zero biases)" % len(extra) if extra else "", len(na), a["iter_num"]))
    cmd_resume(new_dir)


def names(ck):
    """Optimizer state index -> parameter name, rebuilt as configure_optimizers lists them."""
    a = dict(ck["model_args"])
    model = GPT(a)
    named = list(model.named_parameters())
    order = [n for n, p in named if p.dim() >= 2] + [n for n, p in named if p.dim() < 2]
    ids = [i for g in ck["optimizer"]["param_groups"] for i in g["params"]]
    assert len(ids) == len(order), "optimizer lists %d tensors, the model %d" % (len(ids), len(order))
    return dict(zip(order, ids))


def cmd_resume(d):
    """What nanoGPT's train.py does with --init_from=resume, then one AdamW step."""
    ck, meta = load_dir(d, safe=True)
    if int(torch.__version__.split(".")[0]) >= 2:
        torch.load(os.path.join(d, "ckpt.pt"), map_location="cpu", weights_only=True)  # sample.py's default on 2.6+
    model = build(ck)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))
    opt.load_state_dict(ck["optimizer"])
    for g in opt.param_groups:
        for p in g["params"]:
            st = opt.state.get(p)
            if st is not None and (st["exp_avg"].shape != p.shape or st["exp_avg_sq"].shape != p.shape):
                raise SystemExit("optimizer state shape does not match its parameter")
    data = encode(os.path.join(HERE, "text.txt"), meta["stoi"]) if all(
        c in meta["stoi"] for c in open(os.path.join(HERE, "text.txt"), encoding="utf-8").read()) else None
    T = ck["model_args"]["block_size"]
    if data is None:
        data = torch.arange(3 * T + 1) % ck["model_args"]["vocab_size"]
    x = torch.stack([data[k * T:k * T + T] for k in range(2)])
    y = torch.stack([data[k * T + 1:k * T + T + 1] for k in range(2)])
    model.train()
    _, loss = model(x, y)
    loss.backward()
    opt.step()
    with_state = sum(1 for g in opt.param_groups for p in g["params"] if p in opt.state)
    finite = all(torch.isfinite(p).all() for p in model.parameters())
    if not finite or not math.isfinite(float(loss)):
        raise SystemExit("resume step gave non-finite values")
    print("loaded as train.py does (strict state dict, optimizer.load_state_dict), one AdamW step: loss %.4f, "
          "step %s on %d tensors" % (float(loss), float(next(iter(opt.state.values()))["step"]), with_state))


def cmd_moments(d, path):
    """The tinygpt file's m and v against the nanoGPT optimizer's exp_avg and
    exp_avg_sq, parameter by parameter. The file is read here with offsets of
    our own (FORMAT.md's order is nanoGPT's named_parameters order of a bias=True
    model, then lm_head), not with the converter's table."""
    ck, _ = load_dir(d)
    a = ck["model_args"]
    full = GPT(dict(a, bias=True))
    order = [(n, p.shape) for n, p in full.named_parameters()] + [("lm_head.weight", full.lm_head.weight.shape)]
    P = sum(int(np.prod(s)) for _, s in order)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) != 128 + 4 * a["vocab_size"] + 12 * P + 4 or raw[12] & 1 != 1:
        raise SystemExit("%s: not a file of %d parameters with AdamW state" % (path, P))
    base = 128 + 4 * a["vocab_size"]
    m = np.frombuffer(raw, "<f4", P, base + 4 * P)
    v = np.frombuffer(raw, "<f4", P, base + 8 * P)
    idx = names(ck)
    st = ck["optimizer"]["state"]
    off, bad, checked = 0, [], 0
    for name, shape in order:
        n = int(np.prod(shape))
        src = "transformer.wte.weight" if name == "lm_head.weight" else name
        for arr, key in ((m, "exp_avg"), (v, "exp_avg_sq")):
            want = st[idx[src]][key].numpy().reshape(-1) if src in idx else np.zeros(n, np.float32)
            if not np.array_equal(arr[off:off + n].view(np.uint32), want.view(np.uint32)):
                bad.append("%s %s" % (key, name))
        checked += 1
        off += n
    if bad:
        raise SystemExit("moments differ: " + ", ".join(bad[:6]))
    print("AdamW m and v of all %d tinygpt tensors equal the optimizer's (lm_head = the tied matrix's%s)" % (
        checked, ", biases zero" if not a["bias"] else ""))


class Evil:
    """Would print a marker if a loader ran code from the pickle."""

    def __reduce__(self):
        return (print, ("EVIL PICKLE RAN",))


def make_bad(good_dir, tiny, outdir):
    """Broken inputs, one per file, for the one-line-error checks."""
    os.makedirs(outdir, exist_ok=True)
    ck = torch.load(os.path.join(good_dir, "ckpt.pt"), map_location="cpu")
    with open(os.path.join(good_dir, "meta.pkl"), "rb") as f:
        meta = pickle.load(f)

    def save(name, obj):
        torch.save(obj, os.path.join(outdir, name))

    def variant(**changes):
        d = dict(ck)
        d.update(changes)
        return d
    save("no_model_args.pt", {k: v for k, v in ck.items() if k != "model_args"})
    sd = dict(ck["model"])
    sd.pop(next(k for k in sd if k.endswith("h.1.mlp.c_fc.weight")))
    save("missing_key.pt", variant(model=sd))
    sd = dict(ck["model"])
    k = next(k for k in sd if k.endswith("wpe.weight"))
    sd[k] = sd[k][:-1].clone()
    save("wrong_shape.pt", variant(model=sd))
    sd = dict(ck["model"])
    k = next(k for k in sd if k.endswith("h.0.attn.c_proj.weight"))
    sd[k] = sd[k].clone()
    sd[k][3, 5] = float("nan")
    save("nan_weight.pt", variant(model=sd))
    opt = dict(ck["optimizer"], state={i: dict(st) for i, st in ck["optimizer"]["state"].items()})
    opt["state"][3]["step"] = opt["state"][3]["step"] - 1  # as when a float16 GradScaler skips a step
    save("skipped_step.pt", variant(optimizer=opt))
    save("a_list.pt", [1, 2, 3])
    save("unknown_arg.pt", variant(model_args=dict(ck["model_args"], use_relu=True)))
    save("evil.pt", variant(config=Evil()))
    with open(os.path.join(outdir, "not_ckpt.pkl"), "wb") as f:
        pickle.dump({"hello": "world"}, f, protocol=2)
    m = dict(meta, itos=dict(meta["itos"]), stoi=dict(meta["stoi"]))
    old = m["itos"][5]
    m["itos"][5] = "ab"
    m["stoi"]["ab"] = m["stoi"].pop(old)
    with open(os.path.join(outdir, "multichar_meta.pkl"), "wb") as f:
        pickle.dump(m, f)
    small = dict(meta, vocab_size=3, itos={i: meta["itos"][i] for i in range(3)},
                 stoi={meta["itos"][i]: i for i in range(3)})
    with open(os.path.join(outdir, "small_meta.pkl"), "wb") as f:
        pickle.dump(small, f)
    with open(os.path.join(outdir, "text_meta.pkl"), "w") as f:
        f.write("vocab_size = 65\n")
    with open(tiny, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x10
    with open(os.path.join(outdir, "bad_crc.bin"), "wb") as f:
        f.write(data)
    data[len(data) // 2] ^= 0x10
    with open(os.path.join(outdir, "truncated.bin"), "wb") as f:
        f.write(data[:-100])
    print("wrote the broken inputs to " + outdir)


def cmd_errors(cases):
    """Runs convert.main in this process (PyTorch loads once, not once a case) on
    each "label|arg|arg..." line; each must return 1 with one line on stderr
    starting "error: ", print nothing on stdout and leave no traceback."""
    failed = 0
    with open(cases) as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    for line in lines:
        label, *argv = line.split("|")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = convert.main(argv)
        e = err.getvalue().splitlines()
        if rc == 1 and len(e) == 1 and e[0].startswith("error: ") and not out.getvalue() and "Traceback" not in e[0]:
            print("ok   (d) %s: %s" % (label, e[0][:150]))
        else:
            failed += 1
            print("FAIL (d) %s: status %r, stderr %r, stdout %r" % (label, rc, err.getvalue(), out.getvalue()))
    sys.exit(1 if failed else 0)


def main(argv):
    flags = [x for x in argv if x.startswith("--")]
    pos = [x for x in argv if not x.startswith("--")]
    if pos[:1] == ["make"] and len(pos) == 2:
        cmd_make(pos[1])
    elif pos[:1] == ["loss"] and len(pos) in (3, 4):
        cmd_loss(pos[1], pos[2])
        if "--moments" in flags:
            cmd_moments(pos[1], pos[3])
        if "--resume" in flags:
            cmd_resume(pos[1])
    elif pos[:1] == ["compare"] and len(pos) == 3:
        cmd_compare(pos[1], pos[2], "--zero-biases" in flags)
    elif pos[:1] == ["errors"] and len(pos) == 2:
        cmd_errors(pos[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
