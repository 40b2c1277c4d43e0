-- nanoGPT's model (Karpathy's model.py), written as optlab modules: token and
-- position embeddings, pre-LayerNorm blocks of causal self-attention and a
-- GELU MLP, no biases, the output layer tied to the token embedding, weights
-- drawn N(0, 0.02) and the residual projections N(0, 0.02/sqrt(2·layers)).
-- scripts/shakespeare_char.lua trains it; the benchmark times its step.
-- Returns the constructor: local GPT = dofile("scripts/char_gpt.lua")
--                          local model = GPT{vocab = 84, block = 64, width = 128, heads = 4, layers = 4}

local Block = nn.Module:extend("Block")
function Block:init(d, heads)
  self.ln_1 = nn.LayerNorm(d, {bias = false})
  self.attn = nn.MultiheadAttention(d, heads, {causal = true, bias = false})
  self.ln_2 = nn.LayerNorm(d, {bias = false})
  self.c_fc = nn.Linear(d, 4 * d, {bias = false})
  self.c_proj = nn.Linear(4 * d, d, {bias = false})
end
function Block:forward(x)
  x = x + self.attn(self.ln_1(x))
  return x + self.c_proj(self.c_fc(self.ln_2(x)):gelu())
end

local GPT = nn.Module:extend("GPT")
function GPT:init(c)
  self.wte = nn.Embedding(c.vocab, c.width)
  self.wpe = nn.Embedding(c.block, c.width)
  local blocks = {}
  for i = 1, c.layers do blocks[i] = Block(c.width, c.heads) end
  self.h = nn.Sequential(blocks)
  self.ln_f = nn.LayerNorm(c.width, {bias = false})
  self.positions = tensor.arange(1, c.block + 1):to("i32")
  local named, names = self:named_parameters(), {}
  for name in pairs(named) do names[#names + 1] = name end
  table.sort(names)   -- (a table's order varies from run to run; the draws must not)
  tensor.no_grad(function()
    for _, name in ipairs(names) do
      local p = named[name]
      if p:dim() == 2 then
        local std = (name:match("c_proj%.weight$") or name:match("out_proj%.weight$")) and 0.02 / math.sqrt(2 * c.layers) or 0.02
        p:copy_(tensor.randn(p:size()) * std)
      end
    end
  end)
end
function GPT:forward(ids)
  local x = self.wte(ids) + self.wpe(self.positions:narrow(1, 1, ids:size(2)))
  return self.ln_f(self.h(x)):matmul(self.wte.weight:t())
end

-- nanoGPT's optimizer: AdamW, weight decay on the matrices only.
local function optimizer(model, lr)
  local decay, rest = {}, {}
  for _, p in ipairs(model:parameters()) do table.insert(p:dim() >= 2 and decay or rest, p) end
  return optim.AdamW({{params = decay, weight_decay = 0.1}, {params = rest, weight_decay = 0}}, {lr = lr, beta1 = 0.9, beta2 = 0.99})
end

return setmetatable({optimizer = optimizer}, {__call = function(_, c) return GPT(c) end})
