-- The demo convnet (scripts/fashion_mnist_conv.lua) with one thing changed
-- at a time, for BENCHMARKS.md's recipe trials. Settings come from the
-- environment: EPOCHS (12), FLIP=1, SHIFT (pixels), SMOOTH (label smoothing).
-- Usage: FLIP=1 EPOCHS=11 optlab scripts/bench/fashion_conv_variants.lua
local epochs = tonumber(os.getenv("EPOCHS") or "12")
local shift = tonumber(os.getenv("SHIFT") or "0")
local smoothing = tonumber(os.getenv("SMOOTH") or "0")
local flip = os.getenv("FLIP") == "1"
tensor.seed(1)

local train_set, test = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
local stats
tr, stats = tr:normalize()
val, test = val:normalize(stats), test:normalize(stats)

local model = nn.Sequential{
  nn.Conv2d(1, 32, 3, {pad = 1}), nn.BatchNorm(32), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(32, 64, 3, {pad = 1}), nn.BatchNorm(64), nn.ReLU(), nn.MaxPool2d(2),
  nn.Flatten(),
  nn.Linear(64 * 7 * 7, 256, {init = "kaiming"}), nn.ReLU(), nn.Dropout(0.3),
  nn.Linear(256, 10, {init = "kaiming"}),
}
local opt = optim.SGD(model, {lr = 0.05, momentum = 0.9, nesterov = true})
local h = train.fit{
  model = model, loss = nn.SoftmaxCrossEntropy{label_smoothing = smoothing}, optimizer = opt,
  schedule = optim.warmup_cosine(opt, {warmup = 200, total = epochs * math.ceil(tr:size() / 128)}),
  train = tr, val = val, epochs = epochs, batch = 128, reg = 5e-4, seed = 1,
  augment = (flip or shift > 0) and {flip = flip, shift = shift} or nil,
  log = "runs/fashion_conv_variant", overwrite = true,
}
print(string.format("best validation accuracy %.4f (epoch %d) in %.1f s; test accuracy %.4f",
  h.best.val_acc, h.best.epoch, h.seconds, train.accuracy(model, test)))
