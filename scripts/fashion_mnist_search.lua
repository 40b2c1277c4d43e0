-- A coarse random search over lr and reg for the Fashion-MNIST MLP: one stage of one-epoch trials
-- (TRIALS, default 16). In process: optlab scripts/fashion_mnist_search.lua;
-- with worker processes: optlab sweep scripts/fashion_mnist_search.lua --workers 2
-- The data is loaded on first use: a sweep's master, which runs no trial, never loads it.
local tr, val
local function dataset()
  if not tr then
    tr, val = data.fashion_mnist():split(0.9, {seed = 1})
    tr = tr:flatten():normalize(); val = val:flatten():normalize(tr)
  end
  return tr, val
end
hp.search{name = os.getenv("NAME") or "fm", dir = "runs", seed = 1, quiet = os.getenv("QUIET") ~= nil,
  trials = tonumber(os.getenv("TRIALS") or "16"),
  space = {lr = hp.loguniform(1e-3, 1e-1), reg = hp.loguniform(1e-6, 1e-2)},
  trial = function(cfg, budget)
    local tr, val = dataset()
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(), nn.Linear(128, 10)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = tr, val = val, epochs = 1, batch = 128, reg = cfg.reg, budget = budget}
    return {val_acc = h.best.val_acc}
  end}
