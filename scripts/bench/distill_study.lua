-- Issue 19's third study: for one Fashion-MNIST search folder, the best
-- single trial, the ensemble of its 5 best, one MLP of the best trial's
-- setting distilled from that ensemble, and the same MLP trained on the
-- labels alone: test accuracy, and inference time per 10,000 test images
-- (CPU time with OPTLAB_NUM_THREADS=1, so it is the wall time of one core);
-- the student distilled at T = 4, alpha = 0.9 (Hinton's) and at T = 2, alpha = 0.5.
-- Usage: optlab scripts/bench/distill_study.lua DIR lr reg dropout width epochs
local dir = arg[1]
local lr, reg, dropout, width, epochs = tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), math.tointeger(tonumber(arg[5])), tonumber(arg[6])
local full, test = data.fashion_mnist()
local tr, val = full:split(0.9, {seed = 1})
tr = tr:flatten():normalize(); val = val:flatten():normalize(tr); test = test:flatten():normalize(tr)
local function mlp()
  return nn.Sequential{
    nn.Linear(784, width, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(width, 128, {init = "kaiming"}), nn.ReLU(), nn.Dropout(dropout),
    nn.Linear(128, 10, {init = "kaiming"})}
end
local function timed(m)
  local runs = {}
  for i = 1, 7 do
    local t = os.clock()
    train.accuracy(m, test)
    runs[i] = os.clock() - t
  end
  table.sort(runs)
  return runs[4] * 1e3 * 10000 / test:size()
end
local function row(name, m) print(string.format("%-40s %.4f %8.2f", name, train.accuracy(m, test), timed(m))) end

local single, five = nn.Ensemble.top(1, dir), nn.Ensemble.top(5, dir)
row("best single trial", single)
row("ensemble of the 5 best trials", five)
tensor.seed(7)
local plain = mlp()
train.fit{model = plain, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(plain, {lr = lr, momentum = 0.9, nesterov = true}),
  train = tr, val = val, batch = 128, reg = reg, seed = 7, epochs = epochs, quiet = true}
row("best setting, labels only (seed 7)", plain)
for _, ta in ipairs{{4, 0.9}, {2, 0.5}} do
  tensor.seed(7)
  local student = mlp()
  train.distill{teacher = five, student = student, optimizer = optim.SGD(student, {lr = lr, momentum = 0.9, nesterov = true}),
    train = tr, val = val, batch = 128, reg = reg, seed = 7, epochs = epochs, quiet = true, temperature = ta[1], alpha = ta[2]}
  row(string.format("distilled from the 5, T = %g, alpha = %g (seed 7)", ta[1], ta[2]), student)
end
