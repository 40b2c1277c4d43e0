local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Every optlab function works on the Lua thread that called it: inside a
-- coroutine as on the main thread, callbacks included.

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end

-- Runs fn inside a coroutine and returns what pcall(fn) returned there.
local function in_coroutine(fn, ...)
  local co = coroutine.create(function(...) return pcall(fn, ...) end)
  local r = table.pack(coroutine.resume(co, ...))
  assert(r[1], "the coroutine itself failed: " .. tostring(r[2]))
  return table.unpack(r, 2, r.n)
end

local function without_position(msg) return (tostring(msg):gsub("^[^:]*:%d+: ", "")) end

test("the no_grad-in-a-coroutine crash: ten pcalls and the state lives", function()
  local co = coroutine.wrap(function() for _ = 1, 10 do pcall(tensor.no_grad, function() return 1 end) end return "done" end)
  H.eq(co(), "done")
  H.eq(tensor.ones(3):sum():item(), 3, "the main thread still works")
end)

test("methods, metamethods and properties inside a coroutine", function()
  local x = tensor.from{1, 2, 3}
  local ok, s, n, first, str, sum2 = in_coroutine(function()
    local y = x + x * 2
    return y:sum():item(), #y, y[1], tostring(tensor.zeros(1)), (x ^ 2):sum():item()
  end)
  H.eq(ok, true, tostring(s))
  H.eq(s, 18); H.eq(n, 3); H.eq(first, 3); H.eq(type(str), "string"); H.eq(sum2, 14)
  local w = tensor.randn{3, 2}:requires_grad()
  local ok2, err = in_coroutine(function() (x:reshape{1, 3}:matmul(w)):sum():backward() end)
  H.eq(ok2, true, tostring(err))
  H.all_close(w.grad:reshape{-1}, {1, 1, 2, 2, 3, 3}, 1e-6, "gradient computed in a coroutine")
end)

test("errors raised in a coroutine are the same errors, at the coroutine's line", function()
  local ok, err = in_coroutine(function() return tensor.zeros(2):matmul(nil) end)
  H.eq(ok, false)
  H.eq(without_position(err), "bad argument #1 to 'Tensor:matmul' (tensor expected, got nil)")
  H.eq(err:match("coroutine_test%.lua:%d+:") ~= nil, true, "position in " .. err)
end)

test("callbacks run inside coroutines: no_grad, check.grad, train.fit, L-BFGS, hp.search", function()
  local ok, v, n = in_coroutine(function() return tensor.no_grad(function(k) return (tensor.ones(2):requires_grad() * 2).is_leaf, k end, 42) end)
  H.eq(ok, true, tostring(v)); H.eq(v, true, "no graph under no_grad"); H.eq(n, 42, "arguments passed through")

  local model = nn.Sequential{nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)}
  local x, y = tensor.randn{4, 2}, tensor.from({1, 2, 2, 1}, "i32")
  local loss = nn.SoftmaxCrossEntropy()
  local ok2, r = in_coroutine(function() return check.grad(function() return loss(model(x), y) end, model) end)
  H.eq(ok2, true, tostring(r)); H.eq(r.ok, true, "gradient check passes in a coroutine")

  local ds = data.spiral{classes = 2, per_class = 20}
  local calls = 0
  local ok3, h = in_coroutine(function()
    return train.fit{model = model, loss = function(s, t) calls = calls + 1; return loss(s, t) end,
      optimizer = optim.SGD(model, {lr = 0.1}), train = ds, epochs = 2, batch = 10, quiet = true}
  end)
  H.eq(ok3, true, tostring(h)); H.eq(calls >= 8, true, "the loss callback ran (" .. calls .. ")"); H.eq(#h.loss, 8)

  local p = tensor.from({3, -2}, "f64"):requires_grad()
  local ok4, final = in_coroutine(function()
    local opt = optim.LBFGS({p}, {max_iter = 50})
    return opt:step(function() return ((p - 1) ^ 2):sum() end)
  end)
  H.eq(ok4, true, tostring(final))
  H.all_close(p, {1, 1}, 1e-6, "L-BFGS minimum found in a coroutine")

  local ok5, res = in_coroutine(function()
    return hp.search{name = "co", dir = tmpdir(), quiet = true, trials = 4, space = {a = hp.uniform(0, 1)},
      trial = function(cfg) return -(cfg.a - 0.5) ^ 2 end}
  end)
  H.eq(ok5, true, tostring(res)); H.eq(#res.trials, 4)
end)

test("yielding: across optlab's pure-Lua iterators works; across a Swift call it is a clear error", function()
  local ds = data.spiral{classes = 2, per_class = 5}
  local co = coroutine.wrap(function()
    for xb in ds:batches(4) do coroutine.yield(xb:shape()[1]) end
    return "end"
  end)
  H.eq(co(), 4); H.eq(co(), 4); H.eq(co(), 2); H.eq(co(), "end")

  local c2 = coroutine.create(function() return tensor.no_grad(function() coroutine.yield(1) end) end)
  local resumed, err = coroutine.resume(c2)
  H.eq(resumed, false, "yield inside a Swift callback cannot suspend")
  H.eq(tostring(err):find("attempt to yield across a C-call boundary", 1, true) ~= nil, true, tostring(err))
  H.eq(tensor.ones(2):sum():item(), 2, "still alive")
end)

-- Every public function and method, with a few fixed argument lists, gives
-- the same outcome (success, or the same message) in a coroutine as outside.
test("every library function behaves the same inside a coroutine", function()
  local model = nn.Sequential{nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)}
  local ds = data.spiral{classes = 2, per_class = 5}
  local opt = optim.SGD(model, {lr = 0.1})
  local argsets = {{}, {tensor.randn{2, 3}}, {2, 3}, {{2, 3}}, {model}, {ds}, {opt}, {"x"}, {tensor.randn{2, 3}, 1}}
  local skip = {save = true, load = true, fashion_mnist = true, weights = true, search = true, cifar10 = true, idx = true, csv = true, fit = true}
  local targets = {}
  for _, lib in ipairs{"tensor", "nn", "data", "optim", "train", "check", "monitor", "hp"} do
    for name, f in pairs(_G[lib]) do
      if type(f) == "function" and not skip[name] then targets[#targets + 1] = {lib .. "." .. name, f} end
    end
  end
  for _, class in ipairs{tensor.Tensor, nn.Module, data.Dataset, optim.Optimizer} do
    for name, f in pairs(class) do if not skip[name] then targets[#targets + 1] = {"method " .. name, f} end end
  end
  table.sort(targets, function(a, b) return a[1] < b[1] end)
  local compared = 0
  for _, t in ipairs(targets) do
    for _, args in ipairs(argsets) do
      tensor.seed(1)
      local ok1, e1 = pcall(t[2], table.unpack(args))
      tensor.seed(1)
      local ok2, e2 = in_coroutine(t[2], table.unpack(args))
      H.eq(ok2, ok1, t[1] .. " succeeds in a coroutine as outside (" .. tostring(e1) .. " / " .. tostring(e2) .. ")")
      if not ok1 then H.eq(without_position(e2), without_position(e1), t[1] .. "'s message") end
      compared = compared + 1
    end
  end
  H.eq(compared > 800, true, "calls compared: " .. compared)
end)
