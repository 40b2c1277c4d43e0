-- The short Fashion-MNIST objective of issue 19's second study: validation
-- accuracy of the 784-w-128-10 MLP after half an epoch, a deterministic
-- function of (lr, reg, dropout, width) (fixed initial weights and batch order).
--   optlab scripts/bench/fashion_objective.lua serve          reads "lr reg dropout width" lines, prints scores
--   optlab scripts/bench/fashion_objective.lua tpe N S1 S2..  optlab's TPE, N trials per seed: "seed best" lines
local full = data.fashion_mnist()
local tr, val = full:split(0.9, {seed = 1})
tr = tr:flatten():normalize(); val = val:flatten():normalize(tr)
local function objective(lr, reg, dropout, width)
  tensor.seed(1)
  local m = nn.Sequential{
    nn.Linear(784, width, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(width, 128, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(128, 10, {init = "kaiming"})}
  local ok, h = pcall(train.fit, {model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = lr, momentum = 0.9, nesterov = true}),
    train = tr, val = val, batch = 128, reg = reg, seed = 1, epochs = 0.5, quiet = true, stop_above = 3})
  return ok and h.best.val_acc or 0.1   -- an exploded run scores as chance
end
if arg[1] == "serve" then
  for line in io.lines() do
    local lr, reg, dropout, width = line:match("^(%S+) (%S+) (%S+) (%S+)$")
    print(string.format("%.17g", objective(tonumber(lr), tonumber(reg), tonumber(dropout), math.tointeger(tonumber(width)))))
    io.stdout:flush()
  end
elseif arg[1] == "tpe" then
  local n = math.tointeger(tonumber(arg[2]))
  for i = 3, #arg do
    local seed = math.tointeger(tonumber(arg[i]))
    local dir = os.tmpname(); os.remove(dir)
    local r = hp.search{name = "o", dir = dir, seed = seed, quiet = true, method = "tpe", trials = n, prune = false,
      space = {lr = hp.loguniform(1e-3, 1), reg = hp.loguniform(1e-6, 1e-2), dropout = hp.uniform(0, 0.6), width = hp.choice{64, 128, 256, 512}},
      trial = function(cfg) return objective(cfg.lr, cfg.reg, cfg.dropout, cfg.width) end}
    print(string.format("%d %.17g", seed, r.best.score))
    io.stdout:flush()
    os.execute('rm -rf "' .. dir .. '"')
  end
else
  error("usage: optlab scripts/bench/fashion_objective.lua serve | tpe N SEED...")
end
