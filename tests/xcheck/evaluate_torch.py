#!/usr/bin/python3
"""evaluate_torch.py CKPT TEXTFILE - FORMAT.md's model in PyTorch, written from
FORMAT.md alone, printing the loss that ./evaluate defines: the mean next-
character cross-entropy over the consecutive windows k*T .. k*T+T of the text
(every k with k*T+T+1 <= length). A cross-check of our checkpoints and of
./evaluate by a second implementation (needs Debian's python3-torch)."""
import math
import struct
import sys
import zlib

import torch
import torch.nn.functional as F


def read_checkpoint(path):
    data = open(path, "rb").read()
    if data[:8] != b"tinygpt\0" or zlib.crc32(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
        sys.exit("%s: not a checkpoint, or its CRC is wrong" % path)
    V, T, L, H, C = struct.unpack_from("<5I", data, 16)
    at = 128
    vocab = struct.unpack_from("<%dI" % V, data, at)
    at += 4 * V
    shapes = [("wte", (V, C)), ("wpe", (T, C))]
    for l in range(L):
        shapes += [("%d.%s" % (l, n), s) for n, s in (
            ("ln1.w", (C,)), ("ln1.b", (C,)), ("qkv.w", (3 * C, C)), ("qkv.b", (3 * C,)),
            ("proj.w", (C, C)), ("proj.b", (C,)), ("ln2.w", (C,)), ("ln2.b", (C,)),
            ("fc.w", (4 * C, C)), ("fc.b", (4 * C,)), ("mproj.w", (C, 4 * C)), ("mproj.b", (C,)))]
    shapes += [("lnf.w", (C,)), ("lnf.b", (C,)), ("lm_head", (V, C))]
    p = {}
    for name, shape in shapes:
        n = math.prod(shape)
        p[name] = torch.tensor(struct.unpack_from("<%df" % n, data, at), dtype=torch.float64).view(shape)
        at += 4 * n
    return (V, T, L, H, C), vocab, p


def forward(cfg, p, idx):
    V, T, L, H, C = cfg
    b, t = idx.shape
    x = p["wte"][idx] + p["wpe"][:t]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for l in range(L):
        g = lambda n: p["%d.%s" % (l, n)]
        h = F.layer_norm(x, (C,), g("ln1.w"), g("ln1.b"), 1e-5)
        q, k, v = (h @ g("qkv.w").T + g("qkv.b")).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, C)
        x = x + y @ g("proj.w").T + g("proj.b")
        h = F.layer_norm(x, (C,), g("ln2.w"), g("ln2.b"), 1e-5)
        x = x + F.gelu(h @ g("fc.w").T + g("fc.b")) @ g("mproj.w").T + g("mproj.b")
    x = F.layer_norm(x, (C,), p["lnf.w"], p["lnf.b"], 1e-5)
    return x @ p["lm_head"].T


def main():
    cfg, vocab, p = read_checkpoint(sys.argv[1])
    T = cfg[1]
    ids = {cp: i for i, cp in enumerate(vocab)}
    text = open(sys.argv[2], "rb").read().decode("utf-8")
    tokens = torch.tensor([ids[ord(ch)] for ch in text])
    windows = [tokens[k * T:k * T + T + 1] for k in range((len(tokens) - 1) // T)]
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), 16):
            w = torch.stack(windows[i:i + 16])
            logits = forward(cfg, p, w[:, :-1])
            total += F.cross_entropy(logits.reshape(-1, cfg[0]), w[:, 1:].reshape(-1), reduction="sum").item()
            count += w[:, 1:].numel()
    print("loss %.6f" % (total / count))


main()
