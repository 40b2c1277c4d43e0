local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Parameter groups, frozen parameters and gradient clipping, against
-- hand computations.

test("each group takes its own rate and weight decay; schedules move them together", function()
  local a = tensor.from({1, 1}, "f64"):requires_grad()
  local b = tensor.from({1, 1}, "f64"):requires_grad()
  local opt = optim.SGD({{params = {a}, lr = 0.1}, {params = {b}, weight_decay = 0.5}}, {lr = 0.01})
  a.grad = tensor.from({1, 2}, "f64"); b.grad = tensor.from({1, 2}, "f64")
  opt:step()
  H.all_close(a, {1 - 0.1, 1 - 0.2}, 1e-15, "group 1: lr 0.1")
  H.all_close(b, {1 - 0.01 * 1.5, 1 - 0.01 * 2.5}, 1e-15, "group 2: lr 0.01 on g + 0.5·x")
  local sched = optim.step_decay(opt, {every = 1, factor = 0.5})
  sched:step()
  H.close(opt:lr(), 0.005, 1e-15)
  local a0 = a:totable()
  opt:step()
  H.all_close(a, {a0[1] - 0.05, a0[2] - 0.1}, 1e-15, "group 1's rate halved with the schedule")
  H.raises(function() optim.SGD({{params = {a}, momentun = 0.9}}, {lr = 0.1}) end, "unknown option 'momentun' in group 1 (did you mean 'momentum'?)")
  H.raises(function() optim.SGD({{params = {a}}, {params = {a}}}, {lr = 0.1}) end, "is in two groups")
  H.raises(function() optim.SGD({{params = {3}}}, {lr = 0.1}) end, "params entry 1 is number")
end)

test("a group may have its own momentum; Adam groups keep their own moments", function()
  local a = tensor.from({0}, "f64"):requires_grad()
  local b = tensor.from({0}, "f64"):requires_grad()
  local opt = optim.SGD({{params = {a}, momentum = 0.9}, {params = {b}}}, {lr = 1})
  for _ = 1, 2 do a.grad = tensor.from({1}, "f64"); b.grad = tensor.from({1}, "f64"); opt:step() end
  H.all_close(a, {-(1 + 1.9)}, 1e-15, "momentum 0.9: v = -1, then -1.9")
  H.all_close(b, {-2}, 1e-15, "no momentum")
  local p = tensor.randn({4}, "f64"):requires_grad()
  local q = p:detach():clone():requires_grad()
  local grouped = optim.Adam({{params = {p}, lr = 0.01}}, {})
  local plain = optim.Adam({q}, {lr = 0.01})
  for _ = 1, 5 do p.grad = p * 2; q.grad = q * 2; grouped:step(); plain:step() end
  H.all_close(p, q:totable(), 0, "one group is the plain optimizer")
end)

test("a frozen parameter is skipped, and the flag reads back", function()
  local m = nn.Sequential{nn.Linear(2, 2), nn.Linear(2, 1)}
  local frozen = m[1].weight
  frozen:requires_grad(false)
  H.eq(frozen.needs_grad, false); H.eq(m[2].weight.needs_grad, true)
  local before = frozen:clone()
  local opt = optim.SGD(m, {lr = 0.1})
  m(tensor.ones(3, 2)):sum():backward()
  frozen.grad = tensor.ones(2, 2)     -- even with a gradient, frozen stays
  opt:step()
  H.all_close(frozen:reshape{-1}, before:reshape{-1}:totable(), 0)
end)

test("clip_grad_norm: the global norm, scaled as PyTorch does; train.fit{clip=}", function()
  local a = tensor.from({3, 0}, "f64"):requires_grad()
  local b = tensor.from({0, 4}, "f64"):requires_grad()
  a.grad = tensor.from({3, 0}, "f64"); b.grad = tensor.from({0, 4}, "f64")
  H.close(optim.clip_grad_norm({a, b}, 1), 5, 1e-15, "the norm before clipping")
  H.all_close(a.grad, {3 / (5 + 1e-6), 0}, 1e-12); H.all_close(b.grad, {0, 4 / (5 + 1e-6)}, 1e-12)
  H.close(optim.clip_grad_norm({a, b}, 10), 5 / (5 + 1e-6), 1e-12, "under the limit: unchanged")
  H.raises(function() optim.clip_grad_norm({a}, 0) end, "max_norm must be positive")
  local m = nn.Sequential{nn.Linear(2, 3)}
  local ds = data.spiral{classes = 3, per_class = 5}
  local w0 = m[1].weight:clone()
  local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = ds, epochs = 1,
                      batch = 15, clip = 1e-4, quiet = true, keep_best = false}
  H.eq(#h.loss, 1)
  local moved = (m[1].weight - w0):norm():item()
  H.eq(moved <= 0.1 * 1e-4 * 1.01 and moved > 0.1 * 1e-4 * 0.5, true, "one clipped step moves the weights by at most lr·clip: " .. moved)
  H.raises(function() train.fit{model = m, loss = nn.MSE(), optimizer = optim.SGD(m, {lr = 1}), train = ds, clip = -1} end, "option 'clip' must be a positive")
end)
