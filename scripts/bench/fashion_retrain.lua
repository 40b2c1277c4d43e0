-- The setting a search chose, trained again with fresh seeds: its test
-- accuracy, which the search never saw. Usage (search_study.py runs it):
--   optlab scripts/bench/fashion_retrain.lua lr reg dropout width epochs seed...
local lr, reg, dropout, width, epochs = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3]), math.tointeger(tonumber(arg[4])), tonumber(arg[5])
local full, test = data.fashion_mnist()
local tr, val = full:split(0.9, {seed = 1})
tr = tr:flatten():normalize(); val = val:flatten():normalize(tr); test = test:flatten():normalize(tr)
for i = 6, #arg do
  local seed = math.tointeger(tonumber(arg[i]))
  tensor.seed(seed)
  local m = nn.Sequential{
    nn.Linear(784, width, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(width, 128, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(128, 10, {init = "kaiming"})}
  local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = lr, momentum = 0.9, nesterov = true}),
    train = tr, val = val, test = test, batch = 128, reg = reg, seed = seed, epochs = epochs, quiet = true}
  print(string.format("%d %.6f %.6f", seed, h.best.val_acc, h.test_acc))
end
