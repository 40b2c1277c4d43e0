local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- PyTorch state_dicts, saved by PyTorch with safetensors
-- (Tests/references/torch_state_dicts.py), loaded into the same architectures
-- built in optlab: the outputs must be PyTorch's.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") .. "fixtures/"
local expected = dofile(dir .. "torch_outputs.lua")

test("a Sequential convnet with BatchNorm: indices from 0, running statistics, num_batches_tracked", function()
  local model = nn.Sequential{nn.Conv2d(2, 4, 3, {padding = 1}), nn.BatchNorm(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3)}
  H.raises(function() model:load_weights(dir .. "torch_convnet.safetensors") end, "(a PyTorch state_dict? load it with {from = \"torch\"})")
  model:load_weights(dir .. "torch_convnet.safetensors", {from = "torch"})
  model:evaluate()
  local x = tensor.from(expected.convnet.x):reshape{2, 2, 5, 5}
  H.all_close(model(x), expected.convnet.y, 1e-5)
end)

test("embedding, LayerNorm, causal attention, a two-layer LSTM and a head, in a Lua module", function()
  local Tagger = nn.Module:extend("Tagger")
  function Tagger:init()
    self.emb, self.ln = nn.Embedding(10, 8), nn.LayerNorm(8)
    self.attn = nn.MultiheadAttention(8, 2, {causal = true})
    self.rnn, self.head = nn.LSTM(8, 6, {layers = 2}), nn.Linear(6, 5)
  end
  function Tagger:forward(ids)
    local h = self.emb(ids)
    h = h + self.attn(self.ln(h))
    return self.head((self.rnn(h)))
  end
  local model = Tagger()
  model:load_weights(dir .. "torch_tagger.safetensors", {from = "torch"})
  model:evaluate()
  local ids = tensor.from(expected.tagger.ids, "i32"):reshape{2, 4}
  H.all_close(model(ids), expected.tagger.y, 1e-5)
  H.raises(function() model:load_weights(dir .. "torch_tagger.safetensors", {from = "jax"}) end, "option 'from' must be \"optlab\" or \"torch\"")
  -- a model that is not the same architecture is refused, every mismatch named
  local other = nn.Sequential{nn.Linear(8, 8)}
  H.raises(function() other:load_weights(dir .. "torch_tagger.safetensors", {from = "torch"}) end, "missing 1.weight")
end)
