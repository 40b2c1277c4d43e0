-- The names help()'s examples use, for Tests/docs/docs_test.py: a batch x, y
-- of Fashion-MNIST-shaped inputs and labels, a model and its loss, an
-- optimizer, data sets, a history... Each is made the first time an example
-- reads it (a name not listed here is still an error), and the files the
-- examples open are written first. Globals, not locals: the example is
-- another chunk.
tensor.seed(1)

local sets
local function datasets()
  if not sets then
    local full, test = data.fashion_mnist()
    local tr, val = full:split(0.9, {seed = 1})
    tr = tr:flatten():normalize()
    sets = {full = full, tr = tr, val = val:flatten():normalize(tr), test = test:flatten():normalize(tr)}
  end
  return sets
end

local function labels(n)
  local t = {}
  for i = 1, n do t[i] = (i * 7) % 10 + 1 end
  return tensor.from(t, "i32")
end

local made = {
  text = function() return data.text(("To be, or not to be, that is the question.\n"):rep(40), {block = 16}) end,
  x = function() return tensor.randn{128, 784} end,
  y = function() return labels(128) end,
  a = function() return tensor.randn{4, 3} end,
  b = function() return tensor.randn{4, 3} end,
  W = function() return tensor.randn{784, 10} * 0.01 end,
  w = function() return (tensor.randn{784, 10} * 0.01):requires_grad() end,
  scores = function() return x:matmul(W) end,
  images = function() return tensor.randn{2, 1, 28, 28} end,
  p = function() return tensor.randn{10} end,
  m = function() return tensor.randn{10} * 0.1 end,
  v = function() return tensor.rand{10} * 0.01 end,
  eps = function() return 1e-8 end,
  lr = function() return 1e-3 end,
  model = function() return nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)} end,
  small = function() return nn.Sequential{nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10)} end,
  loss_fn = function() return nn.SoftmaxCrossEntropy() end,
  -- a loss through the model and through w, so backward reaches both
  loss = function() return loss_fn(model(x), y) + x:matmul(w):cross_entropy(y) end,
  opt = function() return optim.SGD(model, {lr = 0.01, momentum = 0.9}) end,
  X = function() return x end,
  Y = function() return y end,
  prices = function() return tensor.randn{128} end,
  evaluate = function() return function(mod) return train.accuracy(mod, data.dataset(x, y)) end end,
  full = function() return datasets().full end,
  tr = function() return datasets().tr end,
  val = function() return datasets().val end,
  test = function() return datasets().test end,
  h = function()
    return train.fit{model = model, loss = loss_fn, optimizer = optim.SGD(model, {lr = 0.01}), train = tr, val = val, batch = 128, quiet = true}
  end,
  lrs = function() local t = {} for i = 1, 20 do t[i] = 10 ^ (-5 + i * 0.25) end return t end,
  losses = function() local t = {} for i = 1, 20 do t[i] = 2.3 - i * 0.05 end return t end,
}
setmetatable(_G, {__index = function(_, name)
  local make = made[name]
  if make then
    local value = make()
    rawset(_G, name, value)
    return value
  end
end})

-- the files the examples open
tensor.save("w.npy", W)
model:save("model.safetensors")
os.execute("mkdir -p runs/exp1")
model:save("runs/exp1/ep005_val0.8812.safetensors")
if os.getenv("HELP_FIXTURE_SEARCH") then
  hp.search{name = "search", dir = "runs", quiet = true, space = {lr = hp.loguniform(1e-3, 1e-1)}, trials = 2,
    trial = function(cfg, budget)
      local mod = nn.Sequential{nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10)}
      local hist = train.fit{model = mod, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(mod, {lr = cfg.lr}),
        train = tr, val = val, batch = 128, log = cfg.dir, budget = budget}
      return {val_acc = hist.best.val_acc}
    end}
end
