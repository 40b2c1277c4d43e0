"""Writes what PyTorch's layers give in f64 (outputs, and the gradients of
sum(output * w) for the input and every parameter, by PyTorch's parameter
names) for the layers LayersTorchParityTests builds with the same weights.

    .build/torch-venv/bin/python Tests/references/layers_torch.py
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)
gen = torch.Generator().manual_seed(7)
cases = []


def case(name, layer, x, **extra):
    # (weights randomised away from their initial ones, so a weight that is never used would show)
    with torch.no_grad():
        for _, p in layer.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5 + (1 if p.dim() == 1 else 0))
        if isinstance(layer, torch.nn.Embedding) and layer.padding_idx is not None:
            layer.weight[layer.padding_idx].zero_()
    floating = x.is_floating_point()
    leaf = x.clone().requires_grad_(floating)
    out = layer(leaf)
    w = torch.randn(out.shape, generator=gen)
    (out * w).sum().backward()
    entry = {"name": name, "input": {"shape": list(x.shape), "values": (x + (0 if floating else 1)).flatten().tolist(),
                                     "ids": not floating},
             "params": {n: {"shape": list(p.shape), "values": p.detach().flatten().tolist(), "grad": p.grad.flatten().tolist()}
                        for n, p in layer.named_parameters()},
             "shape": list(out.shape), "output": out.detach().flatten().tolist(), "w": w.flatten().tolist()}
    if floating:
        entry["grad_input"] = leaf.grad.flatten().tolist()
    entry.update(extra)
    cases.append(entry)


x3 = torch.randn((2, 3, 5), generator=gen) * 2
ids = torch.tensor([[0, 3, 9], [2, 0, 5]])
case("Embedding_10_4", torch.nn.Embedding(10, 4), ids)
case("Embedding_10_4_pad1", torch.nn.Embedding(10, 4, padding_idx=0), ids, padding_idx=1)
case("LayerNorm_5", torch.nn.LayerNorm(5), x3)
case("LayerNorm_5_noaffine", torch.nn.LayerNorm(5, elementwise_affine=False), x3)
case("LayerNorm_5_nobias_eps1e-3", torch.nn.LayerNorm(5, eps=1e-3, bias=False), x3)
case("RMSNorm_5", torch.nn.RMSNorm(5), x3)
case("RMSNorm_5_eps1e-6", torch.nn.RMSNorm(5, eps=1e-6), x3)
case("Linear_5_3_seq", torch.nn.Linear(5, 3), x3)
case("SiLU", torch.nn.SiLU(), x3)
case("Softplus_2_1", torch.nn.Softplus(beta=2, threshold=1), x3)
case("Identity", torch.nn.Identity(), x3)

class SelfAttention(torch.nn.Module):
    """nn.MultiheadAttention called on x, x, x (what optlab's layer computes), its parameters unprefixed."""

    def __init__(self, d, heads, causal):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        self.causal = causal

    def named_parameters(self, *args, **kwargs):
        return self.attn.named_parameters(*args, **kwargs)

    def forward(self, x):
        mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if self.causal else None
        return self.attn(x, x, x, need_weights=False, attn_mask=mask, is_causal=self.causal)[0]


x4 = torch.randn((2, 4, 6), generator=gen)
case("MultiheadAttention_6_2", SelfAttention(6, 2, False), x4)
case("MultiheadAttention_6_2_causal", SelfAttention(6, 2, True), x4)
case("MultiheadAttention_6_3_causal", SelfAttention(6, 3, True), x4)

class Recurrent(torch.nn.Module):
    """nn.LSTM / nn.GRU (batch first), its outputs and final states flattened into one vector, parameters unprefixed."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def named_parameters(self, *args, **kwargs):
        return self.rnn.named_parameters(*args, **kwargs)

    def forward(self, x):
        out, state = self.rnn(x)
        states = state if isinstance(state, tuple) else (state,)
        return torch.cat([out.reshape(-1)] + [s.reshape(-1) for s in states])


xs = torch.randn((2, 4, 3), generator=gen)
case("LSTM_3_5", Recurrent(torch.nn.LSTM(3, 5, batch_first=True)), xs)
case("LSTM_3_4_2layers_nobias", Recurrent(torch.nn.LSTM(3, 4, num_layers=2, bias=False, batch_first=True)), xs)
case("LSTM_3_20", Recurrent(torch.nn.LSTM(3, 20, batch_first=True)), xs)
case("GRU_3_5", Recurrent(torch.nn.GRU(3, 5, batch_first=True)), xs)
case("GRU_3_4_2layers", Recurrent(torch.nn.GRU(3, 4, num_layers=2, batch_first=True)), xs)

ximg = torch.randn((2, 4, 7, 6), generator=gen)
case("Conv2d_4_6_k3x1_s2x1_p1x0", torch.nn.Conv2d(4, 6, (3, 1), stride=(2, 1), padding=(1, 0)), ximg)
case("Conv2d_4_6_k3_dil2_pad2", torch.nn.Conv2d(4, 6, 3, dilation=2, padding=2), ximg)
case("Conv2d_4_6_k2x3_groups2_nobias", torch.nn.Conv2d(4, 6, (2, 3), groups=2, bias=False), ximg)
case("Conv2d_4_4_k3_depthwise_s2", torch.nn.Conv2d(4, 4, 3, groups=4, stride=2, padding=1), ximg)
xseq = torch.randn((2, 4, 9), generator=gen)
case("Conv1d_4_6_k3_p1", torch.nn.Conv1d(4, 6, 3, padding=1), xseq)
case("Conv1d_4_6_k2_s2_dil2_groups2", torch.nn.Conv1d(4, 6, 2, stride=2, dilation=2, groups=2), xseq)

path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "layers_torch.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
print(f"wrote {len(cases)} cases from torch {torch.__version__} to {os.path.normpath(path)}")
