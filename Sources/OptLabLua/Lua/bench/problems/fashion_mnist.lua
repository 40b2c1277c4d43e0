-- Fashion-MNIST's two problems (Debian's dataset-fashion-mnist): the
-- 60,000 training images split 54,000 / 6,000 (seed 1) for training and
-- validation, normalised by the training part; the quick budgets train on
-- the first examples of the training part.
local P, B, L = ...
local nn, data = L.nn, L.data

local sets
local function fashion(examples, images)
  if not sets then
    local full = data.fashion_mnist()
    local tr, val = full:split(0.9, {seed = 1})
    sets = {tr = tr, val = val}
  end
  local tr = examples and sets.tr:take(examples) or sets.tr
  if images then
    tr = tr:normalize()
    return tr, sets.val:normalize(tr)
  end
  tr = tr:flatten():normalize()
  return tr, sets.val:flatten():normalize(tr)
end

B.register{
  name = "fmnist_mlp",
  description = "Fashion-MNIST, a 784-256-128-10 ReLU MLP (Kaiming initialisation), softmax cross-entropy",
  metric = "val_acc",
  target = 0.89,
  batch = 128,
  budgets = {quick = {epochs = 5, examples = 24000, target = 0.87}, full = {epochs = 20}},
  setup = function(budget)
    local tr, val = fashion(budget.examples, false)
    return {train = tr, val = val, loss = nn.SoftmaxCrossEntropy(), model = function()
      return nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(),
                          nn.Linear(128, 10, {init = "kaiming"})}
    end}
  end,
}

B.register{
  name = "fmnist_2c2d",
  description = "DeepOBS's fmnist_2c2d: conv 32 5×5, max-pool 2, conv 64 5×5, max-pool 2, fc 1024, fc 10 (ReLU)",
  metric = "val_acc",
  target = 0.9198,
  reference = "DeepOBS fmnist_2c2d: Adam's baseline reaches 0.9087 test accuracy at epoch 10; target 0.9198 (100 epochs, batch 128)",
  batch = 128,
  budgets = {quick = {epochs = 3, examples = 12000, target = 0.88}, full = {epochs = 100}},
  setup = function(budget)
    local tr, val = fashion(budget.examples, true)
    return {train = tr, val = val, loss = nn.SoftmaxCrossEntropy(), model = function()
      return nn.Sequential{nn.Conv2d(1, 32, 5, {padding = 2}), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 5, {padding = 2}), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10)}
    end}
  end,
}
