#!/usr/bin/env python3
"""convert.py - moves a character-level GPT between tinygpt and nanoGPT.

    python3 examples/nanogpt/convert.py to-tinygpt CKPT.pt META.pkl OUT.bin [options]
    python3 examples/nanogpt/convert.py to-nanogpt IN.bin OUTDIR [options]

to-tinygpt reads a nanoGPT checkpoint (train.py's ckpt.pt) and the meta.pkl of
its character vocabulary and writes a tinygpt checkpoint (FORMAT.md version 1).
to-nanogpt writes OUTDIR/ckpt.pt and OUTDIR/meta.pkl that nanoGPT's sample.py
and `train.py --init_from=resume` load unchanged.

What carries over exactly, what is refused and why: examples/nanogpt/README.md.
Every error is one line on stderr and exit status 1.
"""

import argparse
import math
import os
import pickle
import struct
import sys
import warnings
import zlib

try:
    import numpy as np
except ImportError:
    sys.exit("error: numpy is needed (Debian/Ubuntu: apt-get install python3-numpy)")

# ---------------------------------------------------------------- the layouts

HEADER_SIZE = 128
MAGIC = b"tinygpt\0"
# magic, version, flags, V, T, L, H, C, batch_size, step, learning_rate, beta1,
# beta2, eps, weight_decay, grad_clip, dropout, warmup_steps, max_steps, seed,
# rng_state, min_lr, 20 reserved bytes (FORMAT.md "Header")
HEADER = struct.Struct("<8s8IQ7fI3Qf20x")
assert HEADER.size == HEADER_SIZE

# tinygpt's defaults (tinygpt_train_config_default)
DEFAULTS = dict(learning_rate=3e-4, min_lr=3e-5, beta1=0.9, beta2=0.95, eps=1e-8,
                weight_decay=0.1, grad_clip=1.0, dropout=0.1, warmup_steps=100,
                max_steps=0, seed=1337, batch_size=0)

# One transformer block: tinygpt's name, nanoGPT's key under transformer.h.N,
# and the shape in units of C.
LAYER = [
    ("ln1.weight", "ln_1.weight", (1,)),
    ("ln1.bias", "ln_1.bias", (1,)),
    ("attn.qkv.weight", "attn.c_attn.weight", (3, 1)),
    ("attn.qkv.bias", "attn.c_attn.bias", (3,)),
    ("attn.proj.weight", "attn.c_proj.weight", (1, 1)),
    ("attn.proj.bias", "attn.c_proj.bias", (1,)),
    ("ln2.weight", "ln_2.weight", (1,)),
    ("ln2.bias", "ln_2.bias", (1,)),
    ("mlp.fc.weight", "mlp.c_fc.weight", (4, 1)),
    ("mlp.fc.bias", "mlp.c_fc.bias", (4,)),
    ("mlp.proj.weight", "mlp.c_proj.weight", (1, 4)),
    ("mlp.proj.bias", "mlp.c_proj.bias", (1,)),
]

# GPTConfig's fields: anything else in model_args is a model this script does not know
MODEL_ARGS = ("n_layer", "n_head", "n_embd", "block_size", "bias", "vocab_size", "dropout")


class Tensor:
    """One parameter tensor in FORMAT.md order: where it lives in both layouts."""

    def __init__(self, name, key, shape, offset):
        self.name, self.key, self.shape, self.offset = name, key, shape, offset
        self.count = int(np.prod(shape))
        self.is_bias = name.endswith(".bias")  # Linear and LayerNorm biases: absent when bias=False
        self.decay = len(shape) >= 2           # nanoGPT's and tinygpt's rule alike


def tensor_table(V, T, L, C):
    """Every tensor in FORMAT.md order, which is also nanoGPT's named_parameters order."""
    rows = [("wte", "transformer.wte.weight", (V, C)), ("wpe", "transformer.wpe.weight", (T, C))]
    for layer in range(L):
        for name, key, units in LAYER:
            shape = tuple(C * u for u in units)
            rows.append(("h.%d.%s" % (layer, name), "transformer.h.%d.%s" % (layer, key), shape))
    rows += [("lnf.weight", "transformer.ln_f.weight", (C,)), ("lnf.bias", "transformer.ln_f.bias", (C,)),
             ("lm_head.weight", "lm_head.weight", (V, C))]
    table, offset = [], 0
    for name, key, shape in rows:
        t = Tensor(name, key, shape, offset)
        table.append(t)
        offset += t.count
    return table, offset


def nanogpt_params(table, bias, tied):
    """nanoGPT's named_parameters() for this model: no biases when bias=False, and
    no separate lm_head when it is tied to wte (the shared Parameter is listed once)."""
    return [t for t in table if (bias or not t.is_bias) and not (tied and t.name == "lm_head.weight")]


# ---------------------------------------------------------------- small helpers

class Refused(Exception):
    """A one-line reason; main() prints it and exits 1."""


def one_line(text):
    return " ".join(str(text).split())


def note(msg):
    print("note: " + msg, file=sys.stderr)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def short_float(x):
    """The shortest decimal that reads back as the same binary32 (0.001, not
    0.0010000000474974513), so tinygpt -> nanoGPT -> tinygpt keeps every bit."""
    y = float(repr(np.float32(x)))
    return y if f32(y) == f32(x) else float(x)


def same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def import_torch():
    try:
        import torch
    except ImportError:
        raise Refused("PyTorch is needed for nanoGPT checkpoints (Debian/Ubuntu: apt-get install python3-torch)")
    torch.set_num_threads(1)
    return torch


def check_input_file(path):
    if not os.path.exists(path):
        raise Refused("%s: no such file" % path)
    if not os.path.isfile(path):
        raise Refused("%s: not a regular file" % path)
    if not os.access(path, os.R_OK):
        raise Refused("%s: not readable" % path)


def write_atomically(path, write):
    """write(f) into path.tmp, then rename it over path."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise Refused("cannot write %s: %s" % (path, e.strerror or e))


# ---------------------------------------------------------------- tinygpt files

def check_train_fields(tc, where):
    """FORMAT.md's ranges for the training fields; names the first bad one."""
    for name in ("learning_rate", "min_lr", "weight_decay", "grad_clip", "eps", "beta1", "beta2", "dropout"):
        x = tc[name]
        if not math.isfinite(x):
            raise Refused("%s: %s is %r (must be finite)" % (where, name, x))
        if name == "eps" and not x > 0:
            raise Refused("%s: eps is %r (must be above 0)" % (where, x))
        if name in ("beta1", "beta2", "dropout") and not 0 <= x < 1:
            raise Refused("%s: %s is %r (must be in [0, 1))" % (where, name, x))
        if x < 0:
            raise Refused("%s: %s is %r (must be at least 0)" % (where, name, x))


def read_tinygpt(path):
    """A tinygpt checkpoint, checked by every reading rule of FORMAT.md."""
    check_input_file(path)
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER_SIZE + 4:
        raise Refused("%s: %d bytes, shorter than a tinygpt header and trailer (%d)" % (path, len(data), HEADER_SIZE + 4))
    h = HEADER.unpack_from(data)
    magic, version, flags, V, T, L, H, C, batch = h[:9]
    if magic != MAGIC:
        raise Refused("%s: bad magic: not a tinygpt checkpoint" % path)
    if version != 1:
        raise Refused("%s: unknown format version %d (this converter knows version 1)" % (path, version))
    if flags & ~1:
        raise Refused("%s: unknown flag bits 0x%X" % (path, flags & ~1))
    for i in range(108, HEADER_SIZE):
        if data[i]:
            raise Refused("%s: reserved header byte %d is nonzero" % (path, i))
    for name, x in zip(("vocab_size", "block_size", "n_layer", "n_head", "n_embd"), (V, T, L, H, C)):
        if x == 0:
            raise Refused("%s: %s is 0" % (path, name))
    if C % H:
        raise Refused("%s: n_head %d does not divide n_embd %d" % (path, H, C))
    if V > 0x110000:
        raise Refused("%s: vocab_size %d exceeds the number of Unicode code points" % (path, V))
    table, P = tensor_table(V, T, L, C)
    arrays = 3 if flags & 1 else 1
    expected = HEADER_SIZE + 4 * V + 4 * arrays * P + 4
    if len(data) != expected:
        raise Refused("%s: %d bytes but its header says %d (%s)" % (path, len(data), expected,
                      "truncated" if len(data) < expected else "trailing bytes"))
    if zlib.crc32(memoryview(data)[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise Refused("%s: CRC mismatch: the checkpoint is corrupted" % path)
    tc = dict(zip(("learning_rate", "beta1", "beta2", "eps", "weight_decay", "grad_clip", "dropout"), h[10:17]))
    tc.update(batch_size=batch, step=h[9], warmup_steps=h[17], max_steps=h[18], seed=h[19], rng_state=h[20],
              min_lr=h[21])
    check_train_fields(tc, path)
    cps = np.frombuffer(data, "<u4", V, HEADER_SIZE).astype(np.int64)
    seen = set()
    for i, cp in enumerate(cps.tolist()):
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise Refused("%s: vocabulary entry %d is U+%X, not a valid code point" % (path, i, cp))
        if cp in seen:
            raise Refused("%s: vocabulary entry %d repeats U+%04X" % (path, i, cp))
        seen.add(cp)
    base = HEADER_SIZE + 4 * V
    flat = [np.frombuffer(data, "<f4", P, base + 4 * P * k).astype(np.float32) for k in range(arrays)]
    for k, what in enumerate(("parameter", "first moment m of", "second moment v of")[:arrays]):
        bad = ~np.isfinite(flat[k])
        if k == 2:
            bad |= flat[k] < 0
        if bad.any():
            i = int(np.argmax(bad))
            t = next(t for t in table if t.offset <= i < t.offset + t.count)
            raise Refused("%s: %s %s[%d] is %r" % (path, what, t.name, i - t.offset, float(flat[k][i])))
    return dict(V=V, T=T, L=L, H=H, C=C, table=table, P=P, train=tc, codepoints=cps.tolist(),
                params=flat[0], m=flat[1] if arrays == 3 else None, v=flat[2] if arrays == 3 else None)


def write_tinygpt(path, ck):
    tc = ck["train"]
    header = HEADER.pack(MAGIC, 1, 1 if ck["m"] is not None else 0, ck["V"], ck["T"], ck["L"], ck["H"], ck["C"],
                         tc["batch_size"], tc["step"], tc["learning_rate"], tc["beta1"], tc["beta2"], tc["eps"],
                         tc["weight_decay"], tc["grad_clip"], tc["dropout"], tc["warmup_steps"], tc["max_steps"],
                         tc["seed"], tc["rng_state"], tc["min_lr"])
    parts = [header, np.asarray(ck["codepoints"], "<u4").tobytes(), ck["params"].astype("<f4").tobytes()]
    if ck["m"] is not None:
        parts += [ck["m"].astype("<f4").tobytes(), ck["v"].astype("<f4").tobytes()]
    crc = 0
    for p in parts:
        crc = zlib.crc32(p, crc)
    parts.append(struct.pack("<I", crc))

    def write(f):
        for p in parts:
            f.write(p)
    write_atomically(path, write)


# ---------------------------------------------------------------- nanoGPT files

# What a nanoGPT checkpoint's pickle may name: tensors, their storages and
# containers (numpy scalars too, which some configs hold). Nothing that runs code.
SAFE_GLOBALS = {
    ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"), ("torch._tensor", "_rebuild_from_type_v2"), ("torch", "Tensor"),
    ("torch.nn.parameter", "Parameter"), ("torch", "Size"), ("torch", "device"), ("builtins", "set"),
    ("builtins", "frozenset"), ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "dtype"),
}


def safe_global(module, name):
    import _compat_pickle  # protocol 2 pickles say __builtin__, as Python 2 did
    module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return ((module, name) in SAFE_GLOBALS or (module == "torch" and name.endswith("Storage"))
            or (module in ("numpy", "numpy.dtypes") and name.endswith("DType")))


def unsafe_global(stream):
    """Reads one pickle's opcodes, without running them, from stream: the first
    class or function it names outside SAFE_GLOBALS, else None. Pickles reach
    code only through GLOBAL, STACK_GLOBAL, INST and the EXT opcodes. A pickle
    that does not parse is left to torch.load to refuse: unpickling stops there,
    after opcodes this has checked."""
    import pickletools
    strings = []
    try:
        for op, arg, _ in pickletools.genops(stream):
            if op.name in ("GLOBAL", "INST"):
                module, name = arg.split(" ", 1)
                if not safe_global(module, name):
                    return "%s.%s" % (module, name)
            elif op.name == "STACK_GLOBAL":
                if len(strings) < 2 or not safe_global(strings[-2], strings[-1]):
                    return "%s.%s" % tuple(strings[-2:]) if len(strings) >= 2 else "a computed global"
            elif op.name.startswith("EXT"):
                return "an extension-registry object"
            if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                strings.append(arg)
            elif op.name not in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
                strings = []  # STACK_GLOBAL's strings must come straight before it
    except Exception:
        pass
    return None


def torch_load(path, trust):
    """torch.load of a checkpoint whose pickles name only SAFE_GLOBALS, checked
    before anything is unpickled (PyTorch 1.x's weights_only reader refuses plain
    floats, and its torch.load ignores a pickle_module when weights_only=False)."""
    import io
    import zipfile
    check_input_file(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"PK" and raw[:1] != b"\x80":
        raise Refused("%s: not a PyTorch checkpoint (neither torch.save's zip archive nor a pickle)" % path)
    if not trust:
        streams = []
        if raw[:2] == b"PK":  # torch.save's format: the object is .../data.pkl
            try:
                with zipfile.ZipFile(io.BytesIO(raw)) as z:
                    streams = [io.BytesIO(z.read(n)) for n in z.namelist() if n.endswith(".pkl")]
            except Exception as e:
                raise Refused("%s: not a PyTorch checkpoint (%s)" % (path, one_line(e)[:100]))
            scans = 1
        else:  # the legacy format: magic, protocol, sys_info, the object, storage keys, raw bytes
            streams, scans = [io.BytesIO(raw)], 5
        for stream in streams:
            for _ in range(scans):
                bad = unsafe_global(stream)
                if bad:
                    raise Refused("%s: its pickle names %s, which a safe load refuses (nanoGPT's checkpoints hold "
                                  "only tensors, numbers, strings and containers); if you trust the file, add "
                                  "--trust-pickle" % (path, bad))
    torch = import_torch()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=not trust)
            except pickle.UnpicklingError:
                if trust:
                    raise
                # PyTorch's own weights-only reader is stricter than needed (1.x refuses
                # floats, 2.x numpy scalars); the opcodes were checked above
                return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=False)
    except Refused:
        raise
    except Exception as e:  # torch raises many kinds for a file that is not its format
        raise Refused("%s: not a PyTorch checkpoint (%s: %s)" % (path, type(e).__name__, one_line(e)[:200]))


def check_output(path):
    """Refuses early (before PyTorch takes seconds to load) an output that cannot be written."""
    d = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise Refused("%s: is a directory" % path)
    if not os.path.isdir(d) or not os.access(d, os.W_OK):
        raise Refused("cannot write %s: %s is not a writable directory" % (path, d))


class PlainUnpickler(pickle.Unpickler):
    """meta.pkl holds dicts, strings and ints: refuse anything that names a class."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("it names %s.%s, not only plain dicts, strings and numbers" % (module, name))


def read_meta(path, trust):
    check_input_file(path)
    try:
        with open(path, "rb") as f:
            meta = (pickle.Unpickler(f) if trust else PlainUnpickler(f)).load()
    except Exception as e:
        raise Refused("%s: not a readable meta.pkl (%s)" % (path, one_line(e)[:200]))
    if not isinstance(meta, dict):
        raise Refused("%s: not a nanoGPT meta.pkl: a %s, not a dict" % (path, type(meta).__name__))
    for key in ("stoi", "itos"):
        if key not in meta:
            raise Refused("%s: missing key '%s'" % (path, key))
        if not isinstance(meta[key], dict):
            raise Refused("%s: meta['%s'] is a %s, not a dict" % (path, key, type(meta[key]).__name__))
    itos, stoi = meta["itos"], meta["stoi"]
    n = len(itos)
    if "vocab_size" in meta and meta["vocab_size"] != n:
        raise Refused("%s: vocab_size is %r but itos has %d entries" % (path, meta["vocab_size"], n))
    codepoints = []
    for i in range(n):
        if i not in itos:
            raise Refused("%s: itos has no id %d (its ids must be 0..%d)" % (path, i, n - 1))
        s = itos[i]
        if not isinstance(s, str) or len(s) != 1:
            raise Refused("%s: itos[%d] is %r: tinygpt's tokens are single Unicode code points" % (path, i, s))
        if 0xD800 <= ord(s) <= 0xDFFF:
            raise Refused("%s: itos[%d] is a lone surrogate U+%04X, not a character" % (path, i, ord(s)))
        if stoi.get(s) != i:
            raise Refused("%s: stoi[%r] is %r but itos[%d] is %r" % (path, s, stoi.get(s), i, s))
        codepoints.append(ord(s))
    if len(stoi) != n:
        raise Refused("%s: stoi has %d entries but itos has %d" % (path, len(stoi), n))
    if n == 0:
        raise Refused("%s: empty vocabulary" % path)
    return codepoints


def positive_int(d, key, where):
    if key not in d:
        raise Refused("%s: model_args has no '%s'" % (where, key))
    x = d[key]
    if isinstance(x, bool) or not isinstance(x, int) or x < 1 or x > 0x7FFFFFFF:
        raise Refused("%s: model_args['%s'] is %r, not a positive integer" % (where, key, x))
    return x


def number(cfg, key, where, default):
    if key not in cfg or cfg[key] is None:
        return default
    x = cfg[key]
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        try:
            x = float(x)  # a 0-d tensor or numpy scalar
        except (TypeError, ValueError):
            raise Refused("%s: config['%s'] is %r, not a number" % (where, key, x))
    return x


def integer(x, what, where, bits):
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < 1 << bits:
        raise Refused("%s: %s is %r, not an integer in [0, 2^%d)" % (where, what, x, bits))
    return x


# ---------------------------------------------------------------- to-tinygpt

def load_state_dict(torch, sd, where, V, T, L, C, bias):
    """The parameters in tinygpt's flat order. A `_orig_mod.` prefix (torch.compile)
    is dropped; missing biases (bias=False) become zeros; a missing or tied
    lm_head.weight becomes a copy of wte."""
    if not isinstance(sd, dict):
        raise Refused("%s: checkpoint['model'] is a %s, not a state dict" % (where, type(sd).__name__))
    clean = {}
    for k, t in sd.items():
        name = k[len("_orig_mod."):] if isinstance(k, str) and k.startswith("_orig_mod.") else k
        if name in clean:
            raise Refused("%s: state dict key %r appears with and without the _orig_mod. prefix" % (where, name))
        clean[name] = t
    table, P = tensor_table(V, T, L, C)
    known = {t.key: t for t in table}
    for k, t in clean.items():
        if k in known:
            continue
        parts = k.split(".") if isinstance(k, str) else []
        if len(parts) == 5 and parts[:2] == ["transformer", "h"] and parts[3:] == ["attn", "bias"]:
            check_mask(torch, t, k, where)  # the causal-mask buffer of nanoGPT without flash attention
            continue
        raise Refused("%s: unexpected state dict key %r (not in nanoGPT's GPT layout)" % (where, k))
    params = np.zeros(P, np.float32)
    rounded = set()
    for t in table:
        if t.key not in clean:
            if t.is_bias and not bias:
                continue
            if t.name == "lm_head.weight":
                params[t.offset:t.offset + t.count] = params[:t.count]
                continue
            raise Refused("%s: state dict has no %r" % (where, t.key))
        x = clean[t.key]
        if t.is_bias and not bias:
            raise Refused("%s: model_args says bias=False but the state dict has %r" % (where, t.key))
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise Refused("%s: %r is %s, not a floating-point tensor" % (where, t.key, type(x).__name__))
        if tuple(x.shape) != t.shape:
            raise Refused("%s: %r has shape %s, expected %s" % (where, t.key, list(x.shape), list(t.shape)))
        if x.dtype == torch.float64:
            rounded.add(t.key)
        a = x.detach().to(torch.float32).contiguous().numpy().reshape(-1)
        if not np.isfinite(a).all():
            raise Refused("%s: %r holds NaN or infinite values" % (where, t.key))
        params[t.offset:t.offset + t.count] = a
    if rounded:
        note("float64 tensors rounded to float32 (tinygpt stores binary32): %d, e.g. %s" % (len(rounded), min(rounded)))
    lm = table[-1]
    tied = same_bits(params[lm.offset:lm.offset + lm.count], params[:lm.count])
    return table, P, params, tied


def check_mask(torch, t, key, where):
    if not isinstance(t, torch.Tensor) or t.dim() != 4 or t.shape[0] != 1 or t.shape[1] != 1 or t.shape[2] != t.shape[3]:
        raise Refused("%s: %r is not nanoGPT's causal mask buffer" % (where, key))
    n = t.shape[2]
    if not torch.equal(t.to(torch.float32), torch.tril(torch.ones(n, n)).view(1, 1, n, n)):
        raise Refused("%s: %r is not a causal mask (lower-triangular ones): the model attends differently" % (where, key))


def optimizer_moments(torch, opt, table, P, bias, tied, step, where):
    """(m, v, betas, eps, weight_decay) when nanoGPT's AdamW state maps onto
    tinygpt's exactly, else a string saying why not."""
    if not isinstance(opt, dict) or not isinstance(opt.get("state"), dict) or not isinstance(opt.get("param_groups"), list):
        return "checkpoint['optimizer'] is not an optimizer state dict"
    groups = opt["param_groups"]
    named = nanogpt_params(table, bias, tied)
    want = [[t for t in named if t.decay], [t for t in named if not t.decay]]
    if len(groups) != 2 or not all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups):
        return "optimizer has %d param groups; nanoGPT's configure_optimizers makes 2 (decayed, not decayed)" % len(groups)
    if [len(g["params"]) for g in groups] != [len(w) for w in want]:
        return ("optimizer param groups hold %d and %d tensors; nanoGPT's AdamW for this model holds %d and %d"
                % (len(groups[0]["params"]), len(groups[1]["params"]), len(want[0]), len(want[1])))
    hyper = []
    for gi, g in enumerate(groups):
        for flag in ("amsgrad", "maximize"):
            if g.get(flag):
                return "optimizer param_groups[%d]['%s'] is set; tinygpt's AdamW has no such option" % (gi, flag)
        try:
            b1, b2 = (float(b) for b in g["betas"])
            hyper.append((b1, b2, float(g["eps"]), float(g["weight_decay"])))
        except (KeyError, TypeError, ValueError):
            return "optimizer param_groups[%d] lacks AdamW's betas, eps or weight_decay" % gi
    if hyper[0][:3] != hyper[1][:3]:
        return "optimizer param groups use different betas or eps; tinygpt has one of each"
    if hyper[1][3] != 0:
        return ("optimizer param_groups[1] (biases and LayerNorms) has weight_decay %r; tinygpt never decays them"
                % hyper[1][3])
    if not opt["state"]:
        return "the optimizer has no per-tensor state (a fresh AdamW)"
    m, v = np.zeros(P, np.float32), np.zeros(P, np.float32)
    for g, ts in zip(groups, want):
        for idx, t in zip(g["params"], ts):
            st = opt["state"].get(idx)
            if not isinstance(st, dict) or not all(k in st for k in ("step", "exp_avg", "exp_avg_sq")):
                return ("optimizer has no AdamW state for %s (PyTorch would start it fresh at its own step 0; "
                        "tinygpt has one step count for all tensors)" % t.key)
            s = float(st["step"])
            if s != step:
                return ("optimizer state for %s has step %r but iter_num is %d (steps skipped, e.g. by a "
                        "float16 GradScaler); tinygpt's bias correction uses one step for all" % (t.key, s, step))
            for arr, k in ((m, "exp_avg"), (v, "exp_avg_sq")):
                x = st[k]
                if not isinstance(x, torch.Tensor) or tuple(x.shape) != t.shape:
                    return "optimizer %s for %s is not a tensor of shape %s" % (k, t.key, list(t.shape))
                a = x.detach().to(torch.float32).contiguous().numpy().reshape(-1)
                if not np.isfinite(a).all() or (k == "exp_avg_sq" and (a < 0).any()):
                    return "optimizer %s for %s holds NaN, infinite or negative values" % (k, t.key)
                arr[t.offset:t.offset + t.count] = a
    if tied:  # the shared matrix's moments, for both of its copies
        lm = table[-1]
        m[lm.offset:lm.offset + lm.count] = m[:lm.count]
        v[lm.offset:lm.offset + lm.count] = v[:lm.count]
    b1, b2, eps, wd = hyper[0]
    return m, v, (b1, b2), eps, wd


def train_config(cfg, model_args, where, groups_hyper):
    """tinygpt's training fields from nanoGPT's config (and the optimizer's own
    betas, eps and weight decay, which nanoGPT restores on resume)."""
    if cfg is None:
        cfg = {}
    if not isinstance(cfg, dict):
        cfg = getattr(cfg, "__dict__", None)  # an argparse.Namespace, from some forks
        if not isinstance(cfg, dict):
            raise Refused("%s: checkpoint['config'] is not a dict" % where)
    tc = {}
    for key in ("learning_rate", "min_lr", "beta1", "beta2", "weight_decay", "grad_clip"):
        tc[key] = number(cfg, key, where, DEFAULTS[key])
    tc["dropout"] = number(cfg, "dropout", where, number(model_args, "dropout", where, DEFAULTS["dropout"]))
    tc["eps"] = number(cfg, "eps", where, DEFAULTS["eps"])
    if groups_hyper is not None:
        (b1, b2), eps, wd = groups_hyper
        for key, x in (("beta1", b1), ("beta2", b2), ("weight_decay", wd)):
            if key in cfg and f32(tc[key]) != f32(x):
                note("config['%s'] is %r but the optimizer's is %r; using the optimizer's (nanoGPT restores it on "
                     "resume)" % (key, tc[key], x))
            tc[key] = x
        tc["eps"] = eps
    decay_lr = cfg.get("decay_lr", True)
    if decay_lr:
        tc["warmup_steps"] = integer(number(cfg, "warmup_iters", where, DEFAULTS["warmup_steps"]),
                                     "config['warmup_iters']", where, 32)
        length = number(cfg, "lr_decay_iters", where, number(cfg, "max_iters", where, DEFAULTS["max_steps"]))
        tc["max_steps"] = integer(length, "config['lr_decay_iters']", where, 64)
        if 0 < tc["max_steps"] <= tc["warmup_steps"] and "tinygpt_max_steps" not in cfg:
            note("lr_decay_iters %d <= warmup_iters %d: nanoGPT would drop to min_lr after warmup, tinygpt keeps "
                 "learning_rate" % (tc["max_steps"], tc["warmup_steps"]))
    else:  # a constant learning rate: no warmup, no decay
        tc["warmup_steps"], tc["max_steps"] = 0, 0
    b = number(cfg, "batch_size", where, None)
    if not b:
        tc["batch_size"] = DEFAULTS["batch_size"]
    else:
        acc = number(cfg, "gradient_accumulation_steps", where, 1)
        tc["batch_size"] = integer(b * acc, "config batch_size x gradient_accumulation_steps", where, 32)
        if acc != 1:
            note("batch_size %d x gradient_accumulation_steps %d = %d sequences per step, written as batch_size %d"
                 % (b, acc, tc["batch_size"], tc["batch_size"]))
    tc["seed"] = integer(cfg.get("tinygpt_seed", DEFAULTS["seed"]), "config['tinygpt_seed']", where, 64)
    tc["rng_state"] = integer(cfg.get("tinygpt_rng_state", tc["seed"]), "config['tinygpt_rng_state']", where, 64)
    # fields nanoGPT's schedule cannot express, kept by to-nanogpt under tinygpt_ names
    if "tinygpt_max_steps" in cfg:
        tc["max_steps"] = integer(cfg["tinygpt_max_steps"], "config['tinygpt_max_steps']", where, 64)
    if "tinygpt_min_lr" in cfg:
        tc["min_lr"] = number(cfg, "tinygpt_min_lr", where, tc["min_lr"])
    for key in ("learning_rate", "min_lr", "beta1", "beta2", "eps", "weight_decay", "grad_clip", "dropout"):
        if not math.isfinite(tc[key]) or abs(tc[key]) > 3.4e38:
            raise Refused("%s: %s %r does not fit a binary32" % (where, key, tc[key]))
        tc[key] = f32(tc[key])
    check_train_fields(tc, where + " config")
    return tc


def to_tinygpt(args):
    where = args.ckpt
    check_input_file(args.ckpt)
    codepoints = read_meta(args.meta, args.trust_pickle)
    check_output(args.out)
    ck = torch_load(args.ckpt, args.trust_pickle)
    torch = import_torch()
    if not isinstance(ck, dict):
        raise Refused("%s: not a nanoGPT checkpoint: a %s, not a dict" % (where, type(ck).__name__))
    for key in ("model", "model_args", "iter_num"):
        if key not in ck:
            raise Refused("%s: not a nanoGPT checkpoint: missing key '%s'" % (where, key))
    ma = ck["model_args"]
    if not isinstance(ma, dict):
        raise Refused("%s: checkpoint['model_args'] is not a dict" % where)
    for key in ma:
        if key not in MODEL_ARGS:
            raise Refused("%s: model_args has %r, which nanoGPT's GPTConfig does not: a model variant this "
                          "converter cannot carry over faithfully" % (where, key))
    L, H, C, T, V = (positive_int(ma, k, where) for k in ("n_layer", "n_head", "n_embd", "block_size", "vocab_size"))
    if C % H:
        raise Refused("%s: model_args n_head %d does not divide n_embd %d" % (where, H, C))
    if "bias" in ma:
        bias = ma["bias"]
        if not isinstance(bias, bool):
            raise Refused("%s: model_args['bias'] is %r, not True or False" % (where, bias))
    else:  # old checkpoints: the state dict says
        bias = any(isinstance(k, str) and k.endswith("ln_f.bias") for k in ck["model"])
    step = integer(ck["iter_num"], "iter_num", where, 64)
    if len(codepoints) != V:
        raise Refused("%s: model_args vocab_size is %d but %s has %d characters (tinygpt needs one code point per "
                      "token id)" % (where, V, args.meta, len(codepoints)))
    table, P, params, tied = load_state_dict(torch, ck["model"], where, V, T, L, C, bias)

    m = v = hyper = None
    if args.no_optimizer:
        note("--no-optimizer: no AdamW moments written")
    elif ck.get("optimizer") is None:
        note("the checkpoint has no optimizer state: no AdamW moments written")
    else:
        r = optimizer_moments(torch, ck["optimizer"], table, P, bias, tied, step, where)
        if isinstance(r, str):
            note("AdamW moments not carried over: %s. None written; tinygpt would resume at step %d with zero "
                 "moments" % (r, step))
        else:
            m, v, betas, eps, wd = r
            hyper = (betas, eps, wd)
    tc = train_config(ck.get("config"), ma, where, hyper)
    tc["step"] = step
    write_tinygpt(args.out, dict(V=V, T=T, L=L, H=H, C=C, codepoints=codepoints, params=params, m=m, v=v, train=tc))

    print("wrote %s: vocab %d, block_size %d, n_layer %d, n_head %d, n_embd %d, step %d, %s" % (
        args.out, V, T, L, H, C, step, "with AdamW moments" if m is not None else "no AdamW moments"), file=sys.stderr)
    if tied:
        note("nanoGPT's tied wte/lm_head matrix is written twice (wte and lm_head%s); tinygpt trains them as two "
             "tensors from here on" % (", each with the shared moments" if m is not None else ""))
    else:
        note("lm_head.weight differs from wte in this checkpoint (not nanoGPT's tied GPT): both written as they are")
    if not bias:
        note("bias=False: tinygpt's Linear and LayerNorm biases are written as zeros (same outputs)%s"
             % ("; their moments are zero, so tinygpt's first updates of them are not a fresh AdamW start"
                if m is not None else ""))
    if tc["warmup_steps"] and step < tc["warmup_steps"]:
        note("step %d is inside the warmup: tinygpt ramps lr*(s+1)/%d, nanoGPT's get_lr differs slightly there"
             % (step, tc["warmup_steps"]))
    return 0


# ---------------------------------------------------------------- to-nanogpt

def to_nanogpt(args):
    ck = read_tinygpt(args.input)
    where = args.input
    V, T, L, H, C, table, P = (ck[k] for k in ("V", "T", "L", "H", "C", "table", "P"))
    params, m, v, tc = ck["params"], ck["m"], ck["v"], ck["train"]
    tens = {t.name: t for t in table}
    wte, lm = tens["wte"], tens["lm_head.weight"]

    def part(arr, t):
        return arr[t.offset:t.offset + t.count]

    moments_tied = m is not None and same_bits(part(m, wte), part(m, lm)) and same_bits(part(v, wte), part(v, lm))
    if not same_bits(part(params, wte), part(params, lm)):
        diff = float(np.max(np.abs(part(params, wte) - part(params, lm))))
        if not args.tie:
            raise Refused("%s: lm_head.weight differs from wte (max |difference| %.3g); nanoGPT's GPT ties them into "
                          "one matrix, so the model cannot go over unchanged: add --tie=lm_head or --tie=wte to keep "
                          "that one for both (a different model: evaluate it again)" % (where, diff))
        keep = lm if args.tie == "lm_head" else wte
        params = params.copy()
        for t in (wte, lm):
            params[t.offset:t.offset + t.count] = part(ck["params"], keep)
        moments_tied = False
        note("--tie=%s: the tied matrix is tinygpt's %s (max |difference| from the other was %.3g): the model "
             "changes" % (args.tie, keep.name, diff))
    if args.no_bias:
        for t in table:
            if t.is_bias and (part(params, t).any() or (m is not None and (part(m, t).any() or part(v, t).any()))):
                raise Refused("%s: --no-bias, but %s %s" % (where, t.name, "is not all zero (bias=False would change "
                              "the model)" if part(params, t).any() else "has nonzero AdamW moments"))
    bias = not args.no_bias
    named = nanogpt_params(table, bias, tied=True)
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise Refused("%s: exists and is not a directory" % args.outdir)
    try:
        os.makedirs(args.outdir, exist_ok=True)
    except OSError as e:
        raise Refused("cannot create %s: %s" % (args.outdir, e.strerror or e))
    torch = import_torch()

    # the state dict, in nanoGPT's state_dict() order; wte and lm_head are one tensor
    state = {}
    for t in table:
        if t.is_bias and not bias:
            continue
        if args.mask_buffers and t.name.endswith("attn.qkv.weight"):
            layer = t.name.split(".")[1]
            state["transformer.h.%s.attn.bias" % layer] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
        state[t.key] = state["transformer.wte.weight"] if t is lm else torch.from_numpy(part(params, t).copy()).view(*t.shape)
    from collections import OrderedDict
    state = OrderedDict(state)

    # nanoGPT's AdamW: two groups (2-D tensors decayed, the rest not), named_parameters order
    lr_now = tinygpt_lr(tc, tc["step"])
    plist = {t.name: torch.nn.Parameter(state[t.key].clone()) for t in named}
    hyper = dict(lr=short_float(lr_now), betas=(short_float(tc["beta1"]), short_float(tc["beta2"])),
                 eps=short_float(tc["eps"]))
    opt = torch.optim.AdamW([dict(params=[plist[t.name] for t in named if t.decay],
                                  weight_decay=short_float(tc["weight_decay"])),
                             dict(params=[plist[t.name] for t in named if not t.decay], weight_decay=0.0)], **hyper)
    fresh = []
    if m is not None:
        for t in named:
            if t is wte and not moments_tied:
                fresh.append(t.key)
                continue
            opt.state[plist[t.name]] = dict(step=torch.tensor(float(tc["step"])),
                                            exp_avg=torch.from_numpy(part(m, t).copy()).view(*t.shape),
                                            exp_avg_sq=torch.from_numpy(part(v, t).copy()).view(*t.shape))
    optimizer = opt.state_dict()

    config = nanogpt_config(tc, args.dataset, T, L, H, C, bias)
    checkpoint = dict(model=state, optimizer=optimizer, model_args=dict(
        n_layer=L, n_head=H, n_embd=C, block_size=T, bias=bias, vocab_size=V, dropout=config["dropout"]),
        iter_num=int(tc["step"]), best_val_loss=1e9, config=config)
    itos = {i: chr(cp) for i, cp in enumerate(ck["codepoints"])}
    meta = dict(vocab_size=V, itos=itos, stoi={s: i for i, s in itos.items()})

    ckpt_path, meta_path = os.path.join(args.outdir, "ckpt.pt"), os.path.join(args.outdir, "meta.pkl")
    write_atomically(ckpt_path, lambda f: torch.save(checkpoint, f))
    write_atomically(meta_path, lambda f: pickle.dump(meta, f, protocol=2))

    print("wrote %s and %s: vocab %d, block_size %d, n_layer %d, n_head %d, n_embd %d, bias=%s, iter_num %d, %s"
          % (ckpt_path, meta_path, V, T, L, H, C, bias, tc["step"],
             "AdamW state" if m is not None else "no AdamW state (fresh AdamW on resume)"), file=sys.stderr)
    if fresh:
        note("AdamW state for %s left out: tinygpt's wte and lm_head moments differ and nanoGPT's tied matrix has "
             "one pair; PyTorch starts that tensor's moments fresh (its own step 0, so its bias correction is right)"
             "; every other tensor carries its moments and step" % fresh[0])
    if tc["warmup_steps"] and tc["step"] < tc["warmup_steps"]:
        note("step %d is inside the warmup: nanoGPT's get_lr ramps slightly differently from tinygpt's "
             "lr*(s+1)/%d" % (tc["step"], tc["warmup_steps"]))
    print("nanoGPT: copy %s to data/%s/meta.pkl (sample.py and train.py read it there), then\n"
          "  python sample.py --out_dir=%s\n"
          "  python train.py --init_from=resume --out_dir=%s %s" % (
              meta_path, args.dataset, args.outdir, args.outdir, resume_flags(config)), file=sys.stderr)
    return 0


def tinygpt_lr(tc, s):
    """FORMAT.md's schedule: the rate of the update after s steps."""
    lr, W, M = tc["learning_rate"], tc["warmup_steps"], tc["max_steps"]
    if s < W:
        return lr * (s + 1) / W
    if M > W:
        p = min(1.0, (s - W) / (M - W))
        return tc["min_lr"] + 0.5 * (1 + math.cos(math.pi * p)) * (lr - tc["min_lr"])
    return lr


def nanogpt_config(tc, dataset, T, L, H, C, bias):
    """train.py's settings under nanoGPT's names. train.py takes them from its own
    command line on resume; they are here for the record and for the way back."""
    W, M = tc["warmup_steps"], tc["max_steps"]
    cfg = dict(init_from="resume", dataset=dataset, batch_size=tc["batch_size"], gradient_accumulation_steps=1,
               block_size=T, n_layer=L, n_head=H, n_embd=C, dropout=short_float(tc["dropout"]), bias=bias,
               learning_rate=short_float(tc["learning_rate"]), max_iters=max(M, tc["step"]),
               weight_decay=short_float(tc["weight_decay"]), beta1=short_float(tc["beta1"]),
               beta2=short_float(tc["beta2"]), grad_clip=short_float(tc["grad_clip"]),
               decay_lr=True, warmup_iters=W, lr_decay_iters=M, min_lr=short_float(tc["min_lr"]))
    if W == 0 and M == 0:
        cfg["decay_lr"] = False  # constant learning rate
    elif M <= W:
        # warmup, then constant: nanoGPT's cosine from learning_rate to itself
        cfg.update(lr_decay_iters=W + 1, min_lr=cfg["learning_rate"], tinygpt_max_steps=M,
                   tinygpt_min_lr=short_float(tc["min_lr"]))
    cfg.update(tinygpt_seed=tc["seed"], tinygpt_rng_state=tc["rng_state"])
    return cfg


def resume_flags(cfg):
    keys = ("dataset", "block_size", "batch_size", "gradient_accumulation_steps", "dropout", "learning_rate",
            "min_lr", "decay_lr", "warmup_iters", "lr_decay_iters", "max_iters", "weight_decay", "beta1", "beta2",
            "grad_clip")
    return " ".join("--%s=%s" % (k, cfg[k]) for k in keys if not (k == "batch_size" and cfg[k] == 0))


# ---------------------------------------------------------------- main

class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Refused("%s (see %s --help)" % (message, self.prog))


def parse(argv):
    p = Parser(prog="convert.py", description="Converts character-level GPT checkpoints between tinygpt and nanoGPT.")
    sub = p.add_subparsers(dest="command", metavar="{to-tinygpt,to-nanogpt}")
    a = sub.add_parser("to-tinygpt", help="nanoGPT ckpt.pt + meta.pkl -> tinygpt .bin")
    a.add_argument("ckpt", metavar="CKPT.pt")
    a.add_argument("meta", metavar="META.pkl")
    a.add_argument("out", metavar="OUT.bin")
    a.add_argument("--no-optimizer", action="store_true", help="write no AdamW moments")
    a.add_argument("--trust-pickle", action="store_true",
                   help="load with weights_only=False and plain pickle (runs code from the file: trusted files only)")
    b = sub.add_parser("to-nanogpt", help="tinygpt .bin -> OUTDIR/ckpt.pt + OUTDIR/meta.pkl")
    b.add_argument("input", metavar="IN.bin")
    b.add_argument("outdir", metavar="OUTDIR")
    b.add_argument("--tie", choices=("lm_head", "wte"),
                   help="when lm_head differs from wte: keep this one as nanoGPT's tied matrix (changes the model)")
    b.add_argument("--no-bias", action="store_true",
                   help="write a bias=False model (refused unless every bias, and its moments, is zero)")
    b.add_argument("--dataset", default="shakespeare_char", help="config['dataset'] (default shakespeare_char)")
    b.add_argument("--mask-buffers", action="store_true",
                   help="add the attn.bias causal-mask buffers that nanoGPT without flash attention (PyTorch < 2) expects")
    for q in (a, b):
        q.error = p.error
    args = p.parse_args(argv)
    if not args.command:
        raise Refused("give a command: to-tinygpt or to-nanogpt (see convert.py --help)")
    return args


def main(argv=None):
    try:
        args = parse(sys.argv[1:] if argv is None else argv)
        return to_tinygpt(args) if args.command == "to-tinygpt" else to_nanogpt(args)
    except Refused as e:
        print("error: " + one_line(e), file=sys.stderr)
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
    except Exception as e:  # a bug or an input no check foresaw: still one line
        print("error: unexpected %s: %s" % (type(e).__name__, one_line(e)[:300]), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
