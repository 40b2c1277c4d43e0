"""Writes PyTorch state_dicts (saved with safetensors, as users save them) and
the outputs PyTorch computes with them, for Tests/lua/torch_weights_test.lua:
optlab builds the same architectures, loads each file with
model:load_weights(path, {from = "torch"}) and must give these outputs.

    .build/torch-venv/bin/python Tests/references/torch_state_dicts.py
Writes Tests/lua/fixtures/torch_*.safetensors and torch_outputs.lua.
"""
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(20261206)
nn = torch.nn
here = os.path.join(os.path.dirname(__file__), "..", "lua", "fixtures")


class Tagger(nn.Module):
    """An embedding, LayerNorm, causal self-attention, an LSTM and a head: the
    names a Lua module with the same fields has in optlab."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)
        self.ln = nn.LayerNorm(8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.rnn = nn.LSTM(8, 6, num_layers=2, batch_first=True)
        self.head = nn.Linear(6, 5)

    def forward(self, ids):
        h = self.emb(ids)
        a = self.ln(h)
        t = ids.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), 1)
        h = h + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return self.head(self.rnn(h)[0])


def lua_list(t):
    return "{" + ", ".join(repr(float(v)) for v in t.flatten().tolist()) + "}"


out = ["-- written by Tests/references/torch_state_dicts.py: PyTorch " + torch.__version__, "return {"]

# a convnet in a Sequential: indices from 0, BatchNorm's num_batches_tracked, running statistics after a step
conv = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
conv.train()
conv(torch.randn(6, 2, 5, 5))   # moves the running statistics away from 0 and 1
conv.eval()
x = torch.randn(2, 2, 5, 5)
with torch.no_grad():
    y = conv(x)
save_file(conv.state_dict(), os.path.join(here, "torch_convnet.safetensors"))
out.append(f"  convnet = {{x = {lua_list(x)}, y = {lua_list(y)}}},")

tagger = Tagger().eval()
ids = torch.tensor([[1, 4, 9, 0], [3, 3, 2, 7]])
with torch.no_grad():
    y = tagger(ids)
save_file(tagger.state_dict(), os.path.join(here, "torch_tagger.safetensors"))
out.append(f"  tagger = {{ids = {lua_list(ids + 1)}, y = {lua_list(y)}}},")
out.append("}")
with open(os.path.join(here, "torch_outputs.lua"), "w") as f:
    f.write("\n".join(out) + "\n")
print("wrote the convnet and tagger state_dicts and their outputs to", os.path.normpath(here))
