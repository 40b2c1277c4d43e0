local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("gradients of a hand-worked expression", function()
  local w = tensor.from({1, 2, 3}, "f64"):requires_grad()
  local loss = (w * w):sum() + (w * 3):sum()   -- d/dw = 2w + 3
  loss:backward()
  H.all_close(w.grad, {5, 7, 9}, 0)
  w:zero_grad()
  H.eq(w.grad, nil)
  H.eq(w.is_leaf, true); H.eq(loss.is_leaf, false)
end)

test("requires_grad returns the same tensor; .grad is the same object each time", function()
  local w = tensor.zeros(2)
  H.eq(w:requires_grad(), w)
  w:sum():backward()
  H.eq(w.grad, w.grad)
  w.name = "w"
  H.eq(w.name, "w")
end)

test("an MLP's gradients match centered finite differences in f64", function()
  tensor.seed(11)
  local x = tensor.randn({6, 4}, "f64")
  local y = tensor.from({1, 3, 2, 2, 1, 3}, "i32")
  local W1 = (tensor.randn({4, 5}, "f64") * 0.5):requires_grad()
  local b1 = tensor.randn({5}, "f64"):requires_grad()
  local W2 = (tensor.randn({5, 3}, "f64") * 0.5):requires_grad()
  local function loss() return x:matmul(W1):add(b1):tanh():matmul(W2):cross_entropy(y) end
  loss():backward()
  for _, p in ipairs{W1, b1, W2} do
    local flat, g = p:reshape{-1}, p.grad:reshape{-1}:totable()
    for i = 1, p:numel() do
      local v = flat[i]
      flat[i] = v + 1e-6; local plus = loss():item()
      flat[i] = v - 1e-6; local minus = loss():item()
      flat[i] = v
      H.close(g[i], (plus - minus) / 2e-6, 1e-6, "d loss / d p[" .. i .. "]")
    end
  end
end)

test("no_grad records nothing and returns the function's results", function()
  local w = tensor.ones(2):requires_grad()
  local y, n = tensor.no_grad(function(a) return w * a, 42 end, 3)
  H.eq(y.is_leaf, true); H.eq(n, 42)
  H.raises(function() y:backward() end, "does not require grad")
  H.raises(function() tensor.no_grad(function() error("inner boom") end) end, "inner boom")
end)

test("backward errors say what is wrong", function()
  local w = tensor.ones(2, 2):requires_grad()
  H.raises(function() (w * 2):backward() end, "output has shape [2,2]")
  local loss = (w * w):sum()
  loss:backward()
  H.raises(function() loss:backward() end, "already freed")
  local kept = (w * w):sum()
  kept:backward(nil, {retain_graph = true}); kept:backward()
  H.raises(function() kept:backward(nil, {retain = true}) end, "unknown option 'retain'")
end)
