-- Fashion-MNIST with a 784-256-128-10 ReLU MLP: the README's demo.
-- Usage: optlab scripts/fashion_mnist.lua [epochs]
local epochs = tonumber(arg and arg[1]) or 20
tensor.seed(1)

local train_set, test = data.fashion_mnist()          -- Debian's dataset-fashion-mnist
local tr, val = train_set:split(0.9, {seed = 1})      -- one validation fold
tr = tr:flatten():normalize()                   -- statistics from the training part only
val = val:flatten():normalize(tr)
test = test:flatten():normalize(tr)
print(string.format("train %d, validation %d, test %d examples", tr:size(), val:size(), test:size()))

local model = nn.Sequential{
  nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Dropout(0.2),
  nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(), nn.Dropout(0.2),
  nn.Linear(128, 10, {init = "kaiming"}),
}
print(model)

local total = epochs * math.ceil(tr:size() / 128)   -- iterations
local opt = optim.SGD(model, {lr = 0.05, momentum = 0.9, nesterov = true})
local ema = optim.EMA(model, {decay = 0.999})          -- a running average of the parameters
local h = train.fit{
  average = ema,
  model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt,
  schedule = optim.warmup_cosine(opt, {warmup = math.min(200, total // 10), total = total}),
  train = tr, val = val, epochs = epochs, batch = 128, reg = 1e-4, seed = 1,
  test = test,                                         -- measured once, at the end (in the report's header)
  log = "runs/fashion_mnist_mlp", overwrite = true,     -- each run of the demo replaces the last one's logs
}

print(string.format("best validation accuracy %.4f (epoch %d) in %.1f s", h.best.val_acc, h.best.epoch, h.seconds))
print(string.format("test accuracy %.4f (best epoch's parameters)", h.test_acc))
print(string.format("test accuracy %.4f (EMA of the parameters, decay 0.999)", train.accuracy(ema:model(), test)))
