local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("check.grad passes a correct model and fails a wrong gradient, naming the parameter", function()
  tensor.seed(2)
  local model = nn.Sequential{nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)}
  local x, y = tensor.randn{3, 4}, tensor.from({1, 3, 2}, "i32")
  local loss_fn = nn.SoftmaxCrossEntropy()
  local r = check.grad(function() return loss_fn(model(x), y) end, model)
  H.eq(r.ok, true, tostring(r)); H.eq(r.worst < 1e-5, true, "raw errors: a tiny bias gradient is under the rounding noise")
  H.eq(#r.rows, 4); H.eq(r.rows[1].name, "1.weight"); H.eq(r.rows[1].verdict, "good")
  H.eq(model:parameters()[1]:dtype(), "f32", "the model is left in f32")
  -- detach() hides half of d(W·W)/dW: the analytic gradient is W, the true one 2W.
  local W = tensor.randn{3, 3}:requires_grad(); W.name = "W"
  local b = tensor.randn{3}:requires_grad(); b.name = "b"
  local bad = check.grad(function() return (W:detach() * W):sum() + (b * b):sum() end, {W, b})
  H.eq(bad.ok, false)
  H.eq(bad.rows[1].name, "W"); H.eq(bad.rows[1].verdict, "WRONG")
  H.eq(bad.rows[2].verdict, "good", "the bias is right and says so")
  H.eq(tostring(bad):find("verdict: FAILED", 1, true) ~= nil, true)
end)

test("dropout checks when the seed is replayed; the h sweep reports each h", function()
  tensor.seed(5)
  local model = nn.Sequential{nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 3)}
  local x, y = tensor.randn{2, 4}, tensor.from({1, 2}, "i32")
  local r = check.grad(function() return nn.SoftmaxCrossEntropy()(model(x), y) end, model, {h = "sweep"})
  H.eq(r.ok, true, tostring(r))
  H.eq(#r.sweep, 9)
  H.raises(function() check.grad(function() return model(x) end, model) end, "one-element loss")
  H.raises(function() check.grad(function() return 3 end, model) end, "must return the loss as a tensor")
  H.raises(function() check.grad(function() end, model, {per_parm = 3}) end, "unknown option 'per_parm'")
end)

test("sanity checks: chance loss, regularization, overfitting, preflight", function()
  tensor.seed(3)
  local d = data.spiral{classes = 3, per_class = 30}
  local model = nn.Sequential{nn.Linear(2, 64, {init = "kaiming"}), nn.ReLU(), nn.Linear(64, 3)}
  local loss_fn = nn.SoftmaxCrossEntropy()
  local small = nn.Sequential{nn.Linear(2, 3)}
  local init = check.initial_loss(small, loss_fn, d:inputs(), d:labels())
  H.eq(init.ok, true, tostring(init))
  H.eq(tostring(init):find("chance is 1.0986", 1, true) ~= nil, true)
  local svm = check.initial_loss(small, nn.MulticlassSVM(), d:inputs(), d:labels())
  H.eq(svm.ok, true, tostring(svm)); H.eq(svm.detail:find("chance is 2.0000", 1, true) ~= nil, true)
  H.eq(check.regularization(model, loss_fn, d:inputs(), d:labels()).ok, true)
  local o = check.overfit(model, loss_fn, d:inputs(), d:labels(), {n = 20})
  H.eq(o.ok, true, tostring(o))
  local m = check.model(model, loss_fn, d:inputs():narrow(1, 1, 3), d:labels():narrow(1, 1, 3), {reg = 1e3})
  H.eq(m.data.ok and m.reg.ok, true, tostring(m))
  H.eq(m.notes[1]:find("would mask a wrong data gradient", 1, true) ~= nil, true)
  local p = check.preflight(model, loss_fn, d)
  H.eq(p.ok, true, tostring(p))
end)

-- The verdicts tell the truth (issue 16's gradient-check items).
test("relative errors are shown raw, not rounded to zero under the noise", function()
  local Nearly = autograd.Function{name = "Nearly",
    forward = function(ctx, x) ctx:save(x); return x * x end,
    backward = function(ctx, g) local x = ctx:saved(); return g * x * 2 * (1 + 2e-9) end}
  local w = tensor.from({1, 2, 3}, "f64"):requires_grad()
  local r = check.grad(function() return Nearly(w):sum() end, {w})
  H.eq(r.ok, true, tostring(r))
  H.eq(r.rows[1].worst > 1e-9 and r.rows[1].worst < 3e-9, true, "the raw error " .. r.rows[1].worst)
  H.eq(tostring(r):find("0.00e+00", 1, true), nil, tostring(r))
end)

test("every dimension across a kink is inconclusive, never FAILED", function()
  local w = tensor.zeros(4, "f64"):requires_grad()    -- relu exactly at its kink
  local r = check.grad(function() return w:relu():sum() end, {w})
  H.eq(r.ok, false); H.eq(r.inconclusive, true)
  H.eq(r.rows[1].verdict, "inconclusive")
  H.eq(tostring(r):find("FAILED", 1, true), nil, tostring(r))
  H.eq(tostring(r):find("verdict: inconclusive", 1, true) ~= nil, true)
end)

test("both gradients exactly zero is an exact match; kinks count only on the checked path", function()
  local w = tensor.from({0.5, -1}, "f64"):requires_grad()
  local unused = tensor.from({3}, "f64"):requires_grad()
  local x = tensor.from({-1, 2}, "f64")
  local r = check.grad(function() return (w * w):sum() + x:relu():sum() + unused:sum() * 0 end, {w, unused})
  H.eq(r.ok, true, tostring(r))
  H.eq(r.rows[2].verdict, "good", "an unused parameter: analytic and numerical both exactly 0")
  H.eq(r.kinks, false, "relu ran only on a constant: the objective is smooth")
  local k = check.grad(function() return w:relu():sum() end, {w})
  H.eq(k.kinks, true, "relu on the parameter: kinked")
end)

test("the sanity checks return their numbers as fields", function()
  tensor.seed(1)
  local m = nn.Sequential{nn.Linear(4, 3)}
  local x, y = tensor.randn{6, 4}, tensor.from({1, 2, 3, 1, 2, 3}, "i32")
  local loss = nn.SoftmaxCrossEntropy()
  local i = check.initial_loss(m, loss, x, y)
  H.close(i.expected, math.log(3), 1e-12); H.eq(i.classes, 3)
  H.close(i.loss, loss(m(x), y):item(), 1e-6, "the loss it measured")
  local r = check.regularization(m, loss, x, y)
  H.eq(r.regularized_loss > r.loss, true); H.eq(r.strength, 100)
  local o = check.overfit(nn.Sequential{nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3)}, loss, x, y, {n = 6})
  H.eq(o.accuracy, 1); H.eq(o.loss < 0.05, true); H.eq(o.steps >= 1, true)
end)

test("check.hvp and check.hessian on least squares: H = (2/N)·XᵀX, worked in closed form", function()
  tensor.seed(3)
  local x = tensor.randn({40, 4}, "f64")
  local y = tensor.randn({40, 1}, "f64")
  local model = nn.Sequential{nn.Linear(4, 1, {bias = false})}:to("f64")
  local w = model:parameters()[1]
  local before = w:clone()
  local hess = x:t():matmul(x) * (2 / 40)                       -- of mean((x·wᵀ − y)²) in w
  local v = tensor.randn({1, 4}, "f64")
  local hv = check.hvp(model, nn.MSE(), x, y, v)
  H.eq((hv - v:matmul(hess)):abs():max():item() < 1e-9, true, "H·v")
  H.eq((w - before):abs():max():item(), 0, "the weights are restored")
  local values = hess:eigh():totable()                         -- ascending
  local r = check.hessian(model, nn.MSE(), x, y, {top = 2, trace = true, samples = 400, seed = 1})
  H.close(r.eigenvalues[1], values[4], 1e-8); H.close(r.eigenvalues[2], values[3], 1e-8)
  H.eq(r.converged, true)
  local exact = values[1] + values[2] + values[3] + values[4]
  H.eq(math.abs(r.trace - exact) <= 3 * r.trace_se, true, "trace " .. r.trace .. " ± " .. r.trace_se .. " vs " .. exact)
  H.eq(tostring(r):find("top 2 eigenvalues", 1, true) ~= nil, true, "prints as a report")
  -- the closure form, a list of parameters
  local list = check.hvp(function() return nn.MSE()(model(x), y) end, {w}, {v})
  H.eq((list[1] - hv):abs():max():item() < 1e-12, true, "closure form")
  H.raises(function() check.hessian(model, nn.MSE(), x, y, {top = 5}) end, "top must be between 1 and the 4 parameters' count, got 5")
  H.raises(function() check.hvp(function() return model(x) end, model, v) end, "the loss must be one number, got shape [40,1]")
  H.raises(function() check.hvp(model, nn.MSE(), x, y, tensor.zeros{2, 2}) end, "v[1] has shape [2,2], parameter 1 [1,4]")
end)

test("check.hessian's model form measures λ1 on the odd and even examples and warns when they disagree", function()
  -- least squares: the Hessian is (2/N)·XᵀX. Odd rows (1, 0) and even rows (0, 3): λ1 of the odd ones 2,
  -- of the even ones 18, of the whole batch diag(1, 9)'s 9
  local rows, ys = {}, {}
  for i = 1, 8 do rows[i] = i % 2 == 1 and {1, 0} or {0, 3}; ys[i] = {i / 8} end
  local x, y = tensor.from(rows, "f64"), tensor.from(ys, "f64")
  local model = nn.Sequential{nn.Linear(2, 1, {bias = false})}:to("f64")
  local r = check.hessian(model, nn.MSE(), x, y, {top = 1})
  H.close(r.eigenvalues[1], 9, 1e-6)
  H.close(r.halves[1], 2, 1e-6); H.close(r.halves[2], 18, 1e-6); H.close(r.halves_spread, 16 / 9, 1e-6)
  H.eq(r.examples, 8)
  H.eq(tostring(r):find("warning: the top eigenvalue depends on which examples are taken", 1, true) ~= nil, true)
  -- every row alike: the halves agree, no warning
  local same = tensor.from({{1, 2}, {1, 2}, {1, 2}, {1, 2}}, "f64")
  local s = check.hessian(model, nn.MSE(), same, y:narrow(1, 1, 4), {top = 1})
  H.close(s.halves[1], s.halves[2], 1e-9); H.eq(tostring(s):find("warning", 1, true), nil)
  H.eq(check.hessian(model, nn.MSE(), x, y, {top = 1, stability = false}).halves, nil)
  H.raises(function() check.hessian(model, nn.MSE(), x, y, {stability = "yes"}) end, "option 'stability' must be true or false")
end)

test("check.hessian's spectral density against the eigenvalues of the whole Hessian", function()
  -- the exact Hessian from one product per parameter, then eigh: the fraction of
  -- eigenvalues below −0.05 (a tanh MLP at initialisation has many) against SLQ's mass there
  tensor.seed(0)
  local ds = data.spiral{classes = 3, per_class = 50}
  local model = nn.Sequential{nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 3)}
  local params, rows, n = model:parameters(), {}, 0
  for pi, p in ipairs(params) do
    for j = 1, p:numel() do
      local v = {}
      for qi, q in ipairs(params) do v[qi] = tensor.zeros(q:size(), "f64") end
      local flat = v[pi]:reshape{p:numel()}
      flat[j] = 1
      v[pi] = flat:reshape(p:size())
      local parts = {}
      for qi, t in ipairs(check.hvp(model, nn.SoftmaxCrossEntropy(), ds:inputs(), ds:labels(), v)) do parts[qi] = t:to("f64"):reshape{t:numel()} end
      n = n + 1
      rows[n] = tensor.cat(parts)
    end
  end
  local H = tensor.stack(rows)
  local values = ((H + H:t()) * 0.5):eigh()
  local below = 0
  for i = 1, n do if values[i] < -0.05 then below = below + 1 end end
  local r = check.hessian(model, nn.SoftmaxCrossEntropy(), ds:inputs(), ds:labels(), {top = 1, density = {runs = 8, steps = 40}})
  local mass, total = 0, 0
  for i, t in ipairs(r.density.nodes) do
    total = total + r.density.weights[i]
    if t < -0.05 then mass = mass + r.density.weights[i] end
  end

  if math.abs(total - 1) > 1e-9 then error("the weights sum to " .. total) end
  if math.abs(mass - below / n) > 0.05 then error(string.format("SLQ's mass below −0.05 is %.3f, the Hessian's fraction %.3f", mass, below / n)) end
  if not r.report:find("spectral density", 1, true) then error("the report lacks the density") end
end)

test("check.hvp{difference = \"forward\"}: one gradient a product, close to the central difference", function()
  tensor.seed(3)
  local ds = data.spiral{classes = 3, per_class = 30}
  local model = nn.Sequential{nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3)}
  local v = {}
  for i, p in ipairs(model:parameters()) do v[i] = tensor.randn(p:size(), "f64") end
  local x, y = ds:inputs(), ds:labels()
  local central = check.hvp(model, nn.SoftmaxCrossEntropy(), x, y, v)
  local forward = check.hvp(model, nn.SoftmaxCrossEntropy(), x, y, v, {difference = "forward"})
  local num, den = 0, 0
  for i = 1, #v do num = num + ((central[i] - forward[i]):to("f64") ^ 2):sum():item(); den = den + (central[i]:to("f64") ^ 2):sum():item() end
  H.eq(math.sqrt(num / den) < 1e-6, true, "relative difference " .. math.sqrt(num / den))
  local f = function() return nn.SoftmaxCrossEntropy()(model(x), y) end
  local closure = check.hvp(f, model:parameters(), v, {difference = "forward"})
  H.eq((closure[1] - forward[1]):abs():max():item() < 1e-12, true, "the closure form takes it too")
  local r = check.hessian(model, nn.SoftmaxCrossEntropy(), x, y, {top = 1, difference = "forward"})
  local c = check.hessian(model, nn.SoftmaxCrossEntropy(), x, y, {top = 1})
  H.close(r.eigenvalues[1], c.eigenvalues[1], 1e-5)
  H.raises(function() check.hvp(model, nn.SoftmaxCrossEntropy(), x, y, v, {difference = "backward"}) end, "must be \"central\" or \"forward\"")
end)
