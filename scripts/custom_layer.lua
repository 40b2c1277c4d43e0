-- The notes' workflow with your own gradients: a layer and a loss whose
-- backward passes are written by hand, checked by finite differences, one
-- planted bug that the check catches and names, then training on Fashion-MNIST.
-- Usage: optlab scripts/custom_layer.lua [epochs]
local epochs = tonumber(arg and arg[1]) or 3
tensor.seed(1)

-- An affine layer: y = x·Wᵀ + b, with its gradients by hand.
local Affine = autograd.Function{name = "Affine",
  forward = function(ctx, x, w, b)
    ctx:save(x, w)
    return x:matmul(w:t()) + b
  end,
  backward = function(ctx, g)
    local x, w = ctx:saved()
    return g:matmul(w), g:t():matmul(x), g:sum(1)
  end}

-- The multiclass SVM loss (labels 1..C): mean over the batch of
-- Σ_{j≠y} max(0, s_j − s_y + 1); its subgradient by hand, its kinks recorded.
local SVM = autograd.Function{name = "SVM",
  forward = function(ctx, s, y)
    local n, c = s:shape()[1], s:shape()[2]
    local onehot = y:reshape{n, 1}:one_hot(c):reshape{n, c}
    local margins = s - s:gather(2, y:reshape{n, 1}) + 1
    local active = margins:gt(0) * (1 - onehot)
    ctx:kink(margins:gt(0))
    ctx:save(active, onehot, n)
    return (margins * active):sum() / n
  end,
  backward = function(ctx, g)
    local active, onehot, n = ctx:saved()
    return (active - onehot * active:sum(2):reshape{-1, 1}) * g / n, nil
  end}

-- A layer module around Affine, so the model is built the usual way.
local Dense = nn.Module:extend("Dense")
function Dense:init(nin, nout, fn)
  self.weight = nn.Parameter(tensor.randn{nout, nin} * math.sqrt(2 / nin))
  self.bias = nn.Parameter(tensor.zeros(nout))
  self.fn = fn or Affine
end
function Dense:forward(x) return self.fn(x, self.weight, self.bias) end

local function mlp(fn)
  return nn.Sequential{Dense(784, 200, fn), nn.ReLU(), Dense(200, 10, fn)}
end

local train_set, test = data.fashion_mnist()
local tr, val = train_set:split(0.9, {seed = 1})
tr = tr:flatten():normalize()
val, test = val:flatten():normalize(tr), test:flatten():normalize(tr)
local xb, yb = tr:inputs():narrow(1, 1, 8), tr:labels():narrow(1, 1, 8)
local svm = function(s, y) return SVM(s, y) end

-- 1. The gradient check: each Function alone, then the model (f64, kinks apart).
print("== the gradient check of the correct layer and loss")
local r = check.model(mlp(), svm, xb, yb)
print(r)
assert(r.ok, "the hand-written gradients should check out")

-- 2. A planted bug: the weight gradient transposed the wrong way round and scaled.
local Buggy = autograd.Function{name = "AffineWithBug", forward = Affine.forward,
  backward = function(ctx, g)
    local x, w = ctx:saved()
    return g:matmul(w), g:t():matmul(x) * 1.01, g:sum(1)   -- the bug: a 1% error in dW
  end}
print("\n== the same check with a planted bug in the weight gradient")
local bad = check.model(mlp(Buggy), svm, xb, yb)
print(bad)
assert(not bad.ok, "the check must catch the planted bug")
for _, f in ipairs(bad.functions) do
  if not f.ok then print(string.format("the check names %s (worst relative error %.2e)", f.name, f.worst)) end
end

-- 3. Training with the checked layer and loss.
print("\n== training with the hand-written layer and loss")
local model = mlp()
local opt = optim.SGD(model, {lr = 0.02, momentum = 0.9})
local h = train.fit{model = model, loss = svm, optimizer = opt, train = tr, val = val, epochs = epochs, batch = 128, reg = 1e-4, seed = 1}
print(string.format("best validation accuracy %.4f; test accuracy %.4f", h.best.val_acc, train.accuracy(model, test)))
