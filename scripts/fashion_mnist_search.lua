-- A coarse random search over lr and reg for the Fashion-MNIST MLP: 16 trials of one epoch.
-- In process: optlab scripts/fashion_mnist_search.lua; with workers: optlab sweep scripts/fashion_mnist_search.lua --workers 2
local train_set = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
local stats; tr, stats = tr:flatten():normalize(); val = val:flatten():normalize(stats)
hp.search{name = "fm", dir = "runs", seed = 1, quiet = true, trials = 16,
  space = {lr = hp.loguniform(1e-3, 1e-1), reg = hp.loguniform(1e-6, 1e-2)},
  trial = function(cfg)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(), nn.Linear(128, 10)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = tr, val = val, epochs = 1, batch = 128, reg = cfg.reg, quiet = true}
    return {val_acc = h.best.val_acc}
  end}
