local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("check.grad passes a correct model and fails a wrong gradient, naming the parameter", function()
  tensor.seed(2)
  local model = nn.Sequential{nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)}
  local x, y = tensor.randn{3, 4}, tensor.from({1, 3, 2}, "i32")
  local loss_fn = nn.SoftmaxCrossEntropy()
  local r = check.grad(function() return loss_fn(model(x), y) end, model)
  H.eq(r.ok, true, tostring(r)); H.eq(r.worst < 1e-6, true)
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
