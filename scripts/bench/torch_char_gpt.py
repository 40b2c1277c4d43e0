"""PyTorch's side of scripts/shakespeare_char.lua: nanoGPT's character model
(4 layers, 4 heads, width 128, context 64, no biases, GELU MLP, pre-LayerNorm,
output tied to the token embedding, N(0, 0.02) init with the residual
projections at 0.02/sqrt(2·layers)) trained by nanoGPT's recipe (AdamW
lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices only, 100 warm-up
iterations, cosine to 1e-4 at 2000, gradient norm clipped at 1, batch 12) on
the same corpus, split and evaluation blocks as optlab's data.shakespeare.

    python3 torch_char_gpt.py [--iters 2000] [--threads 2] [--seed 1] [--compile]
prints the validation loss, the seconds the training took (with the same
evaluations train.fit makes: every 250 iterations, 2,400 validation blocks and
240 training ones) and the peak RSS;
torch_reference.py imports the model for the per-step benchmark rows.
"""
import argparse
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.c_attn = nn.Linear(d, 3 * d, bias=False)
        self.c_proj = nn.Linear(d, d, bias=False)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, bias=False)
        self.attn = SelfAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d, bias=False)
        self.c_fc = nn.Linear(d, 4 * d, bias=False)
        self.c_proj = nn.Linear(4 * d, d, bias=False)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, block=64, d=128, heads=4, layers=4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(block, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()


def optimizer(model, lr=1e-3):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.99))


def rate(it, lr=1e-3, warmup=100, total=2000, floor=1e-4):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    ratio = min(1.0, (it - warmup) / (total - warmup))
    return floor + 0.5 * (1 + math.cos(math.pi * ratio)) * (lr - floor)


def corpus(path=None):
    path = path or os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "optlab", "shakespeare.txt")
    text = open(path, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    cut = int(len(data) * 0.9)
    return vocab, data[:cut], data[cut:]


def fixed_blocks(data, block, count):
    """optlab's evaluation blocks: starts i·positions/count."""
    positions = len(data) - block
    starts = torch.tensor([i * positions // count for i in range(count)])
    return starts


def batch(data, starts, block):
    x = torch.stack([data[s:s + block] for s in starts.tolist()])
    y = torch.stack([data[s + 1:s + 1 + block] for s in starts.tolist()])
    return x, y


@torch.no_grad()
def evaluate(model, data, block, count=2400, size=256):
    model.eval()
    starts, total = fixed_blocks(data, block, count), 0.0
    for i in range(0, count, size):
        x, y = batch(data, starts[i:i + size], block)
        logits = model(x)
        total += F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1)).item() * len(x)
    model.train()
    return total / count


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--iters", type=int, default=2000)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--compile", action="store_true")
    a.add_argument("--eval-every", type=int, default=250,
                   help="evaluate as optlab's train.fit does at each epoch's end: 2,400 validation blocks and 240 training ones")
    o = a.parse_args()
    torch.set_num_threads(o.threads)
    torch.manual_seed(o.seed)
    vocab, train, val = corpus()
    model = GPT(len(vocab))
    step_model = torch.compile(model) if o.compile else model
    opt = optimizer(model)
    t0 = time.perf_counter()
    warm = None   # after 50 iterations (torch.compile has compiled by then): the steady step time
    for it in range(o.iters):
        if it == 50:
            warm = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = rate(it, total=o.iters)
        x, y = batch(train, torch.randint(len(train) - 64, (12,)), 64)
        logits = step_model(x)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if it == o.iters - 1 and warm is not None:
            step_ms = (time.perf_counter() - warm) / (o.iters - 50) * 1000
        if o.eval_every and (it + 1) % o.eval_every == 0 and it + 1 < o.iters:
            evaluate(model, val, 64)
            evaluate(model, train, 64, count=240)
    v = evaluate(model, val, 64)
    evaluate(model, train, 64, count=240)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steady = f" step_ms {step_ms:.1f}" if warm is not None and not o.eval_every else ""
    print(f"val_loss {v:.4f} seconds {seconds:.1f} peak_mib {peak:.0f} torch {torch.__version__} threads {o.threads} seed {o.seed}{steady}")


if __name__ == "__main__":
    main()
