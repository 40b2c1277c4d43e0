-- Issue 19's first study, one search: the Fashion-MNIST MLP (784-w-128-10,
-- dropout, SGD with Nesterov momentum) over lr, reg, dropout and width, one
-- method, one seed, a budget of about 48 epochs. Run by search_study.py as
--   METHOD=tpe SEED=3 NAME=tpe-3 optlab sweep scripts/bench/fashion_search.lua --workers 2
-- METHOD: random (12 trials of 4 epochs), c2f (16 of 1, then 8 of 4 in the
-- narrowed ranges), tpe (12 of 4), random24 and tpe24 (24 of 2: TPE's first
-- 10 are random search's, so 12 trials leave it 2 of its own), asha and
-- asha_tpe (40 trials over rungs of 0.5, 1.5 and 4 epochs, eta 3). The master writes <dir>/<name>/best.json.
local method, seed = os.getenv("METHOD") or "random", tonumber(os.getenv("SEED") or "0")
local tr, val
local function dataset()
  if not tr then
    tr, val = data.fashion_mnist():split(0.9, {seed = 1})
    tr = tr:flatten():normalize(); val = val:flatten():normalize(tr)
  end
  return tr, val
end

local function model(cfg)
  return nn.Sequential{
    nn.Linear(784, cfg.width, {init = "kaiming"}), nn.ReLU(), nn.Dropout(cfg.dropout),
    nn.Linear(cfg.width, 128, {init = "kaiming"}), nn.ReLU(), nn.Dropout(cfg.dropout),
    nn.Linear(128, 10, {init = "kaiming"})}
end

local o = {name = os.getenv("NAME") or (method .. "-" .. seed), dir = os.getenv("DIR") or "runs/study", seed = seed, quiet = true,
  space = {lr = hp.loguniform(1e-3, 1), reg = hp.loguniform(1e-6, 1e-2), dropout = hp.uniform(0, 0.6), width = hp.choice{64, 128, 256, 512}},
  trial = function(cfg, budget)
    local tr, val = dataset()
    tensor.seed(1000 * seed + cfg.trial)
    local m = model(cfg)
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9, nesterov = true}),
      train = tr, val = val, batch = 128, reg = cfg.reg, seed = cfg.trial, budget = budget}
    return {val_acc = h.best.val_acc}
  end}
-- (early stopping off, so that every method spends the same budget: ASHA is the pruner under study)
o.prune = false
if method == "random" or method == "tpe" then o.method, o.stages = method, {{trials = 12, epochs = 4}}
elseif method == "random24" or method == "tpe24" then o.method, o.stages = method:sub(1, -3), {{trials = 24, epochs = 2}}
elseif method == "c2f" then o.stages = {{trials = 16, epochs = 1}, {trials = 8, epochs = 4}}
elseif method == "asha" or method == "asha_tpe" then
  o.method, o.trials = method == "asha" and "random" or "tpe", 40
  o.scheduler = {kind = "asha", min_epochs = 0.5, max_epochs = 4, eta = 3}
else error("METHOD must be random, c2f, tpe, random24, tpe24, asha or asha_tpe, got " .. method) end

local r = hp.search(o)
-- the epochs every trial trained (each trial's history: its metrics' last iteration)
local f = assert(io.open(r.dir .. "/best.json", "w"))
local cfg = {}
for k, v in pairs(r.best.config) do cfg[#cfg + 1] = string.format("%q: %s", k, string.format(math.type(v) == "integer" and "%d" or "%.17g", v)) end
f:write(string.format('{"score": %.17g, "trial": %d, "config": {%s}}\n', r.best.score, r.best.trial, table.concat(cfg, ", ")))
f:close()
