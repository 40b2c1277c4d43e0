-- CS231n's spiral: a softmax classifier cannot separate it, a small MLP can.
tensor.seed(1)
local d = data.spiral{classes = 3, per_class = 100}
print(d)

local function fit(model, name)
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), train = d, epochs = 200, batch = 300,
    optimizer = optim.SGD(model, {lr = 0.5, momentum = 0.9}), reg = 1e-3, quiet = true}
  print(string.format("%-28s training accuracy %.3f", name, train.accuracy(model, d)))
end

fit(nn.Sequential{nn.Linear(2, 3)}, "linear softmax classifier")
fit(nn.Sequential{nn.Linear(2, 100, {init = "kaiming"}), nn.ReLU(), nn.Linear(100, 3)}, "MLP with 100 ReLU units")
