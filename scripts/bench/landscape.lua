-- Issue 37's landscape bound: a 21×21 loss surface of the Fashion-MNIST MLP
-- over 2,000 examples, in process and on 2 worker processes (one BLAS
-- thread each), in interleaved pairs; the grids must be equal bit for bit.
-- Usage: optlab scripts/bench/landscape.lua [pairs] [grid]
local pairs_, grid = tonumber(arg and arg[1]) or 3, tonumber(arg and arg[2]) or 21
tensor.seed(1)
local train_set = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
tr = tr:flatten():normalize()
val = val:flatten():normalize(tr):take(2000)
local model = nn.Sequential{
  nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(),
  nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(),
  nn.Linear(128, 10, {init = "kaiming"}),
}
-- one epoch first, so the surface has a minimum to look at
train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.05, momentum = 0.9}),
          train = tr, epochs = 1, batch = 128, seed = 1, quiet = true}

local spec = {model = model, loss = nn.SoftmaxCrossEntropy(), data = val, grid = grid, span = 1, seed = 2}
local function timed(workers)
  spec.workers = workers
  local r = monitor.landscape(spec)
  return r.seconds, r
end
local function median(xs)
  local s = {table.unpack(xs)}
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end
local here, there, ratios = {}, {}, {}
local first
for i = 1, pairs_ do
  local a, ra = timed(1)
  local b, rb = timed(2)
  for r = 1, grid do for c = 1, grid do
    assert(ra.values[r][c] == rb.values[r][c], "the grids differ at " .. r .. "," .. c)
  end end
  here[i], there[i], ratios[i] = a, b, a / b
  first = first or ra
end
table.sort(ratios)
print(first)
print(string.format("%d×%d landscape over %d examples: in process %.2f s (median of %d), 2 workers %.2f s; speed-up %.2f (%.2f–%.2f); grids equal",
  grid, grid, val:size(), median(here), pairs_, median(there), median(ratios), ratios[1], ratios[#ratios]))
