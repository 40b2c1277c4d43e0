-- optlab's side of `optlab-bench torch`: each workload returns a function
-- that runs one iteration; the bench times blocks of calls from Swift,
-- interleaved with the same workload in PyTorch (scripts/bench/torch_reference.py,
-- which defines the same models and data shapes).
tensor.seed(1)

local function convnet()
  return nn.Sequential{
    nn.Conv2d(1, 32, 3, {pad = 1}), nn.BatchNorm(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, {pad = 1}), nn.BatchNorm(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(64 * 7 * 7, 256, {init = "kaiming"}), nn.ReLU(), nn.Dropout(0.3),
    nn.Linear(256, 10, {init = "kaiming"}),
  }
end

local function labels(n, classes)
  local t = {}
  for i = 1, n do t[i] = (i * 7) % classes + 1 end
  return tensor.from(t, "i32")
end

local loss = nn.SoftmaxCrossEntropy()
local workloads = {}

function workloads.conv_train()
  local m, x, y = convnet(), tensor.randn{128, 1, 28, 28}, labels(128, 10)
  local opt = optim.SGD(m, {lr = 0.01, momentum = 0.9, nesterov = true})
  return function() opt:zero_grad(); loss(m(x), y):backward(); opt:step() end
end

function workloads.conv_eval()
  local m, x = convnet(), tensor.randn{128, 1, 28, 28}
  m:evaluate()
  return function() tensor.no_grad(function() return m(x) end) end
end

function workloads.mlp_train()
  local m = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)}
  local x, y = tensor.randn{256, 784}, labels(256, 10)
  local opt = optim.Adam(m, {lr = 1e-3})
  return function() opt:zero_grad(); loss(m(x), y):backward(); opt:step() end
end

function workloads.batchnorm()
  local bn, x = nn.BatchNorm(32), tensor.randn{128, 32, 28, 28}:requires_grad()
  return function() x.grad = nil; bn(x):sum():backward() end
end

function workloads.conv()
  local c, x = nn.Conv2d(32, 64, 3, {pad = 1}), tensor.randn{128, 32, 14, 14}:requires_grad()
  return function() x.grad = nil; c:zero_grad(); c(x):sum():backward() end
end

local big_x, big_y
local function big() big_x, big_y = tensor.randn{1048576}, tensor.randn{1048576} end
function workloads.add() big(); return function() return big_x + big_y end end
function workloads.mul() big(); return function() return big_x * big_y end end
function workloads.relu() big(); return function() return big_x:relu() end end
function workloads.exp() big(); return function() return big_x:exp() end end
function workloads.tanh() big(); return function() return big_x:tanh() end end
function workloads.where() big(); local m = big_x:gt(0); return function() return tensor.where(m, big_x, big_y) end end
function workloads.sigmoid() big(); return function() return big_x:sigmoid() end end
function workloads.log() big(); local p = big_x:abs() + 1e-3; return function() return p:log() end end
function workloads.small_add()
  local a, b = tensor.randn{4}, tensor.randn{4}
  return function() return a + b end
end
function workloads.small_sum()
  local a = tensor.randn{4}
  return function() return a:sum() end
end
function workloads.small_linear()
  local lin, x = nn.Linear(10, 10), tensor.randn{1, 10}
  return function() return lin(x) end
end
-- The character transformer of scripts/shakespeare_char.lua: one training step
-- (batch 12, context 64, AdamW, clipped), and its parts.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local function tokens(n, t, vocab)
  local ids = {}
  for i = 1, n do ids[i] = {} for j = 1, t do ids[i][j] = (i * 31 + j * 7) % vocab + 1 end end
  return tensor.from(ids, "i32")
end
function workloads.char_gpt_train()
  local GPT = dofile(dir .. "../char_gpt.lua")
  local m = GPT{vocab = 84, block = 64, width = 128, heads = 4, layers = 4}
  local opt, x, y = GPT.optimizer(m, 1e-3), tokens(12, 64, 84), tokens(12, 64, 84)
  return function() opt:zero_grad(); loss(m(x), y):backward(); optim.clip_grad_norm(m, 1); opt:step() end
end
function workloads.attention()
  local qkv = tensor.randn{12, 64, 3 * 128}:requires_grad()
  return function() qkv.grad = nil; qkv:self_attention(4, {causal = true}):sum():backward() end
end
function workloads.layernorm()
  local ln, x = nn.LayerNorm(128), tensor.randn{12, 64, 128}:requires_grad()
  return function() x.grad = nil; ln:zero_grad(); ln(x):sum():backward() end
end
function workloads.lstm()
  local lstm, x = nn.LSTM(256, 256), tensor.randn{12, 32, 256}:requires_grad()
  return function() x.grad = nil; lstm:zero_grad(); lstm(x):sum():backward() end
end
function workloads.embedding()
  local emb, ids, w = nn.Embedding(84, 128), tokens(12, 64, 84), tensor.randn{12, 64, 128}
  return function() emb:zero_grad(); (emb(ids) * w):sum():backward() end
end

-- one optimizer step on 1M f32 parameters (two 1000×500 matrices) with fixed gradients;
-- Muon on the MLP's hidden matrices (256×784 and 128×256)
local rules = {
  SGD = function(p) return optim.SGD(p, {lr = 1e-3, momentum = 0.9}) end,
  Adam = function(p) return optim.Adam(p, {lr = 1e-3}) end,
  AdamW = function(p) return optim.AdamW(p, {lr = 1e-3}) end,
  Adagrad = function(p) return optim.Adagrad(p, {lr = 1e-2}) end,
  RMSprop = function(p) return optim.RMSprop(p, {lr = 1e-2}) end,
  NAdam = function(p) return optim.NAdam(p, {}) end,
  RAdam = function(p) return optim.RAdam(p, {}) end,
  Adamax = function(p) return optim.Adamax(p, {}) end,
  Adadelta = function(p) return optim.Adadelta(p, {}) end,
  Rprop = function(p) return optim.Rprop(p, {}) end,
  ASGD = function(p) return optim.ASGD(p, {}) end,
  Adafactor = function(p) return optim.Adafactor(p, {}) end,
}
local function optimizer_step(make, shapes)
  return function()
    local params = {}
    for i, shape in ipairs(shapes) do
      params[i] = tensor.randn(shape):requires_grad()
      params[i].grad = tensor.randn(shape) * 0.01
    end
    local opt = make(params)
    return function() opt:step() end
  end
end
for name, make in pairs(rules) do workloads["optim_" .. name] = optimizer_step(make, {{1000, 500}, {1000, 500}}) end
workloads.optim_Muon = optimizer_step(function(p) return optim.Muon(p, {lr = 0.02}) end, {{256, 784}, {128, 256}})

-- the same ops, measured against numpy
for _, op in ipairs{"add", "mul", "where", "exp", "tanh", "log", "small_add", "small_sum", "small_linear"} do
  workloads["numpy_" .. op] = workloads[op]
end


-- A function that runs the workload's step `n` times.
return function(name)
  local make = workloads[name] or error("unknown workload " .. tostring(name))
  local step = make()
  return function(n) for _ = 1, n do step() end end
end
