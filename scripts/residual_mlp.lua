-- A residual MLP on Fashion-MNIST, its block written in Lua as a module.
-- Usage: optlab scripts/residual_mlp.lua [epochs]
local epochs = tonumber(arg and arg[1]) or 15
tensor.seed(1)

-- x + W2·relu(W1·x), scaled by a learned gain that starts small, so each
-- block begins close to the identity (the residual networks' trick).
local Residual = nn.Module:extend("Residual")
function Residual:init(d, p)
  self.fc1 = nn.Linear(d, d, {init = "kaiming"})
  self.drop = nn.Dropout(p or 0.1)
  self.fc2 = nn.Linear(d, d, {init = "kaiming"})
  self.gain = nn.Parameter(tensor.full({1}, 0.1))
end
function Residual:forward(x)
  return x + self.fc2(self.drop(self.fc1(x):relu())) * self.gain
end

local train_set, test = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
tr = tr:flatten():normalize()
val, test = val:flatten():normalize(tr), test:flatten():normalize(tr)

local model = nn.Sequential{
  nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(),
  Residual(256), nn.ReLU(), Residual(256), nn.ReLU(),
  nn.Linear(256, 10),
}
print(model)

local total = epochs * math.ceil(tr:size() / 128)   -- iterations
local opt = optim.SGD(model, {lr = 0.05, momentum = 0.9, nesterov = true})
local ema = optim.EMA(model, {decay = 0.999})
local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, average = ema,
  schedule = optim.warmup_cosine(opt, {warmup = math.min(200, total // 10), total = total}),
  train = tr, val = val, epochs = epochs, batch = 128, reg = 1e-4, seed = 1, log = "runs/residual_mlp", overwrite = true}
print(string.format("best validation accuracy %.4f (epoch %d) in %.1f s", h.best.val_acc, h.best.epoch, h.seconds))
print(string.format("test accuracy %.4f (best epoch's parameters)", train.accuracy(model, test)))
print(string.format("test accuracy %.4f (EMA of the parameters)", train.accuracy(ema:model(), test)))
