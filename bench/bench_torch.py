#!/usr/bin/python3
"""bench_torch.py - the training step of bench/bench.c, in PyTorch.

    OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=N /usr/bin/python3 bench/bench_torch.py \
        --threads N [--batch 32] [--warmup 2] [--steps 5]

The same model as tinygpt.h (FORMAT.md: token + position embeddings, pre-LN
blocks, causal attention, exact-erf GELU MLP, final LayerNorm, untied LM head,
dropout on the embedding sum, the attention probabilities and each residual
branch) and the same step: zero_grad, forward, cross-entropy, backward, clip
the global gradient norm to 1, AdamW (betas 0.9/0.95, eps 1e-8, weight decay
0.1 on 2-D tensors only). Seed configuration: V=65, T=128, C=256, L=4, H=4.

Prints one line that bench.c reads:
    RESULT threads=N torch_threads=N ms_per_step=M min_ms=... steps=S loss=L peak_rss_mib=R info=...
bench.c runs it once per thread count, each in a fresh process, since the
thread pools of PyTorch and OpenBLAS are fixed when they start.
"""
import argparse
import math
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V, T, C, L, H = 65, 128, 256, 4, 4


class Block(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.drop = nn.Dropout(p)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T))

    def attention(self, x):
        b, t, c = x.shape
        hs = c // H
        q, k, v = self.qkv(x).split(c, dim=2)
        q = q.view(b, t, H, hs).transpose(1, 2)
        k = k.view(b, t, H, hs).transpose(1, 2)
        v = v.view(b, t, H, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
        att = self.drop(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return y

    def forward(self, x):
        x = x + self.drop(self.proj(self.attention(self.ln1(x))))
        x = x + self.drop(self.mlp_proj(F.gelu(self.fc(self.ln2(x)))))  # exact erf GELU
        return x


class GPT(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.drop = nn.Dropout(p)
        self.blocks = nn.ModuleList([Block(p) for _ in range(L)])
        self.lnf = nn.LayerNorm(C, eps=1e-5)
        self.lm_head = nn.Linear(C, V, bias=False)
        for name, w in self.named_parameters():  # GPT-2 initialisation, as tinygpt.h
            if w.dim() == 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(w, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(w)

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.lnf(x))


def blas_library():
    """The BLAS shared library this process loaded (PyTorch's Debian build calls one)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1].split("/")[-1]}
        return ",".join(sorted(os.path.realpath(x) for x in libs)) or "none found"
    except OSError:
        return "unknown"


def blas_warning(blas):
    """A warning when PyTorch calls the reference BLAS (Debian's libblas3, in a blas/ directory):
    its products are plain loops, so the step is many times slower than with an optimised BLAS."""
    if "/blas/libblas.so" not in blas:
        return ""
    return " (the reference BLAS: unoptimised, not a fair comparison; Debian: apt-get install libopenblas0-pthread)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    model = GPT(0.1)
    model.train()
    decay = [w for w in model.parameters() if w.dim() >= 2]
    no_decay = [w for w in model.parameters() if w.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    times = []
    for i in range(args.warmup + args.steps):
        x = torch.randint(0, V, (args.batch, T))
        y = torch.randint(0, V, (args.batch, T))
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if i >= args.warmup:
            times.append(dt)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    blas = blas_library()
    info = "torch %s, BLAS %s%s" % (torch.__version__, blas, blas_warning(blas))
    print("RESULT threads=%d torch_threads=%d ms_per_step=%.2f min_ms=%.2f steps=%d loss=%.4f peak_rss_mib=%.1f info=%s"
          % (args.threads, torch.get_num_threads(), 1e3 * statistics.median(times), 1e3 * min(times), len(times),
             loss.item(), rss, info), flush=True)


if __name__ == "__main__":
    main()
