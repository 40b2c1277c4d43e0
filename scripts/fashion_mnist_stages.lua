-- The notes' search, staged coarse to fine, on the Fashion-MNIST MLP: 24 trials of half an
-- epoch over wide log ranges, 8 of 2 epochs in the narrowed ranges, 3 of 6 epochs; then the
-- three best trials' checkpoints as one ensemble, on the test set.
--   optlab scripts/fashion_mnist_stages.lua                      (in process)
--   optlab sweep scripts/fashion_mnist_stages.lua --workers 2    (two worker processes)
--   optlab sweep scripts/fashion_mnist_stages.lua --backend slurm --parallel 8
local train_set, test = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
tr = tr:flatten():normalize(); val = val:flatten():normalize(tr)

local r = hp.search{
  name = "fmnist-mlp", dir = "runs", seed = 1,
  space = {lr = hp.loguniform(1e-4, 1), reg = hp.loguniform(1e-6, 1e-1), dropout = hp.uniform(0, 0.7)},
  stages = {{trials = 24, epochs = 0.5}, {trials = 8, epochs = 2}, {trials = 3, epochs = 6}},
  trial = function(cfg, budget)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Dropout(cfg.dropout),
                            nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(), nn.Linear(128, 10)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = tr, val = val, batch = 128, reg = cfg.reg, log = cfg.dir, budget = budget}
    return {val_acc = h.best.val_acc}
  end,
}
local e = nn.Ensemble.top(3, r.dir)
print(string.format("best trial %d: val %.4f; ensemble of the 3 best: test %.4f", r.best.trial, r.best.score,
  train.accuracy(e, test:flatten():normalize(tr))))
