-- The notes' "prefer random search to grid search", measured: the best Fashion-MNIST
-- validation accuracy each method reaches for the same budget of 27 one-epoch trials
-- of the MLP over lr, reg and dropout (of which lr matters most).
--   optlab scripts/random_vs_grid.lua            (about 2 minutes on 2 cores)
local train_set = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
local stats; tr, stats = tr:flatten():normalize(); val = val:flatten():normalize(stats)
local space = {lr = hp.loguniform(1e-3, 3e-1), reg = hp.loguniform(1e-6, 1e-2), dropout = hp.uniform(0, 0.7)}

local function trial(cfg, budget)
  tensor.seed(cfg.trial)
  local m = nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Dropout(cfg.dropout),
                          nn.Linear(256, 10)}
  local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
    train = tr, val = val, epochs = 1, batch = 128, reg = cfg.reg, budget = budget}
  return {val_acc = h.best.val_acc}
end

local dir = os.getenv("DIR") or "runs/random_vs_grid"
local runs = {
  {"grid 3x3x3", {method = "grid", trials = 27}},
  {"random, seed 1", {seed = 1, trials = 27}},
  {"random, seed 2", {seed = 2, trials = 27}},
  {"random, coarse to fine 18+9, seed 1", {seed = 1, stages = {{trials = 18, epochs = 1}, {trials = 9, epochs = 1}}}},
  {"random, coarse to fine 18+9, seed 2", {seed = 2, stages = {{trials = 18, epochs = 1}, {trials = 9, epochs = 1}}}},
}
local rows = {}
for i, run in ipairs(runs) do
  local o = {name = "run" .. i, dir = dir, space = space, trial = trial, quiet = true, prune = false}
  for k, v in pairs(run[2]) do o[k] = v end
  local t = os.time()
  local r = hp.search(o)
  local lrs = {}
  for _, tr in ipairs(r.trials) do lrs[string.format("%.3g", tr.config.lr)] = true end
  local distinct = 0 for _ in pairs(lrs) do distinct = distinct + 1 end
  rows[#rows + 1] = string.format("| %s | %d | %d | %.4f | %.3g | %.3g | %.2f |", run[1], #r.trials, distinct, r.best.score,
    r.best.config.lr, r.best.config.reg, r.best.config.dropout)
  print(rows[#rows], os.time() - t .. " s")
end
print("| search | trials | distinct lr | best val acc | its lr | its reg | its dropout |")
print("|---|---:|---:|---:|---:|---:|---:|")
for _, r in ipairs(rows) do print(r) end
