local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- The in-place ops against their out-of-place twins, their autograd rules,
-- and the version counters that catch a value changed under a graph.

local function f64(...) return tensor.randn({...}, "f64") end
local function same(a, b, what) H.all_close(a:reshape{-1}, b:reshape{-1}:totable(), 1e-15, what) end

test("each op gives its out-of-place value, broadcasting its argument, and returns x", function()
  tensor.seed(1)
  local x, y, row = f64(3, 4), f64(3, 4), f64(4)
  same(x:clone():add_(y), x + y, "add_"); same(x:clone():add_(y, 0.5), x + y * 0.5, "add_ alpha")
  same(x:clone():sub_(row), x - row, "sub_ row"); same(x:clone():mul_(3), x * 3, "mul_ number")
  same(x:clone():div_(y), x / y, "div_"); same(x:clone():sub_(2, 3), x - 6, "sub_ number alpha")
  same(x:clone():addcmul_(y, row, 0.25), x + y * row * 0.25, "addcmul_")
  same(x:clone():addcdiv_(y, row, -2), x + y / row * -2, "addcdiv_")
  same(x:abs():sqrt_(), x:abs():sqrt(), "sqrt_")
  same(x:clone():clamp_(-0.5, 0.5), x:clamp(-0.5, 0.5), "clamp_"); same(x:clone():clamp_(nil, 0), x:clamp(nil, 0), "clamp_ max only")
  H.all_close(x:clone():fill_(7), {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}); H.eq(x:clone():zero_():abs():sum():item(), 0)
  same(x:clone():copy_(row), row:reshape{1, 4}:expand{3, 4}, "copy_ broadcasts")
  local z = x:clone()
  H.eq(z:add_(1) == z, true, "returns x itself")
  local a = tensor.from({1, 2, 3}, "i32"); a:add_(2); a:mul_(tensor.from({2, 2, 2}, "i32"))
  H.all_close(a, {6, 8, 10}, 0, "i32 stays i32"); H.eq(a:dtype(), "i32")
  local f = tensor.from{1, 2}; f:add_(tensor.from({1, 1}, "f64")); H.eq(f:dtype(), "f32", "x keeps its dtype")
end)

test("an operand that reads x's own elements sees them unchanged", function()
  local x = f64(3, 4)
  local want = x + x[1]
  x:add_(x[1])               -- x[1] is a view of x's first row
  same(x, want, "x += its own first row")
  local v = f64(5); local w = v * 2; v:add_(v); same(v, w, "x += x")
end)

test("views share the elements and the version", function()
  local x = tensor.zeros(2, 3)
  local r = x[2]
  local before = x:version()
  r:fill_(5)
  H.all_close(x, {0, 0, 0, 5, 5, 5}); H.eq(x:version() > before, true, "x's version moved with its view's change")
  x:reshape{6}:add_(1); H.all_close(x, {1, 1, 1, 6, 6, 6})
end)

test("errors: a parameter outside no_grad, a result that does not fit, dtypes", function()
  local w = tensor.randn{3}:requires_grad()
  H.raises(function() w:add_(1) end, "Tensor:add_: cannot change a leaf that requires grad in place")
  tensor.no_grad(function() w:add_(1) end)    -- what optimizers do
  H.raises(function() tensor.zeros(2, 3):add_(tensor.zeros(4, 2, 3)) end, "does not fit this tensor of shape [2,3]")
  H.raises(function() tensor.from({1, 2}, "i32"):div_(2) end, "an i32 tensor cannot hold a true division's result")
  H.raises(function() tensor.from({1, 2}, "i32"):add_(0.5) end, "an i32 tensor cannot hold the f32 result")
  H.raises(function() tensor.zeros(2):clamp_(1, 0) end, "min 1.0 is greater than max 0.0")
  H.raises(function() tensor.zeros(2):add_(1, 2, 3) end, "Tensor:add_: takes 2 arguments, got 3")
end)

test("on a result in the graph, the change is recorded like its out-of-place twin", function()
  local w = tensor.from({1, 2, 3}, "f64"):requires_grad()
  local y = w * 2
  y:add_(1); y:mul_(w)        -- y = (2w + 1)·w, dy/dw = 4w + 1
  y:sum():backward()
  H.all_close(w.grad, {5, 9, 13}, 1e-15)
  local b = tensor.zeros(3, "f64")     -- a constant that takes a parameter in: now in the graph
  b:add_(w)
  H.eq(b.is_leaf, false)
  w.grad = nil
  (b * b):sum():backward()
  H.all_close(w.grad, {2, 4, 6}, 1e-15)
end)

test("a value an op saved, changed before backward, is an error naming the op", function()
  local W = tensor.randn({3, 2}, "f64"):requires_grad()
  local x = tensor.randn({4, 3}, "f64")
  local h = x:matmul(W)
  x:mul_(2)                   -- matmul needs x for W's gradient
  H.raises(function() h:sum():backward() end, "that 'matmul' saved for its gradient was modified by an in-place operation")
  local w = tensor.randn({3}, "f64"):requires_grad()
  local e = w:exp()
  e:mul_(2)                   -- exp's gradient is its output
  H.raises(function() e:sum():backward() end, "'exp' saved for its gradient")
  -- add saves nothing: changing its input afterwards is fine, as in PyTorch
  local a = tensor.ones(3, "f64")
  local s = a + w
  a:add_(5)
  s:sum():backward()
  H.all_close(w.grad, {1, 1, 1}, 0)
end)

test("Adam written in Lua with in-place ops follows optim.Adam to 1e-12 (f64, 100 steps)", function()
  tensor.seed(4)
  local target = tensor.randn({5, 3}, "f64")
  local p1 = tensor.randn({5, 3}, "f64"):requires_grad()
  local p2 = p1:detach():clone():requires_grad()
  local builtin = optim.Adam({p1}, {lr = 0.01})
  local m, v = tensor.zeros({5, 3}, "f64"), tensor.zeros({5, 3}, "f64")
  local b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
  for t = 1, 100 do
    for _, p in ipairs{p1, p2} do p.grad = nil; ((p - target) ^ 2):sum():backward() end
    builtin:step()
    tensor.no_grad(function()
      local g = p2.grad
      m:mul_(b1):add_(g, 1 - b1)
      v:mul_(b2):addcmul_(g, g, 1 - b2)
      local mhat = m / (1 - b1 ^ t)
      local denom = (v / (1 - b2 ^ t)):sqrt_():add_(eps)
      p2:addcdiv_(mhat, denom, -lr)
    end)
  end
  local diff = (p1 - p2):abs():max():item()
  H.eq(diff <= 1e-12, true, "largest difference " .. diff)
end)
