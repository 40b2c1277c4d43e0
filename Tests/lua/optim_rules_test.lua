local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- The rules beyond the notes' from Lua: hand-worked steps, Muon beside AdamW,
-- resuming from saved state, and the refusals. Their trajectories against
-- torch.optim are in the Swift suite (RulesAgainstPyTorchTests).

test("Muon's step on a row is the Newton-Schulz factor times the unit gradient", function()
  -- a row stays a multiple s of the unit gradient: X·Xᵀ = s², so a step maps s to a·s + b·s³ + c·s⁵
  local x = tensor.from({{1, 2, 3}}, "f64"):requires_grad()
  local opt = optim.Muon({x}, {lr = 0.1, weight_decay = 0})
  x.grad = tensor.from({{3, 0, -4}}, "f64")
  opt:step()
  local s = 1
  for _ = 1, 5 do s = 3.4445 * s - 4.7750 * s ^ 3 + 2.0315 * s ^ 5 end
  local k = 0.1 * s
  H.all_close(x:reshape{-1}, {1 - k * 0.6, 2, 3 + k * 0.8}, 1e-12, "x − lr·s₅·g/‖g‖")
end)

test("Lion's first step is lr times the gradient's sign, after the decoupled decay", function()
  local x = tensor.from({1, -2, 0.5}, "f64"):requires_grad()
  local opt = optim.Lion({x}, {lr = 0.01, weight_decay = 2})
  x.grad = tensor.from({0.3, -5, 0}, "f64")
  opt:step()
  H.all_close(x, {1 * 0.98 - 0.01, -2 * 0.98 + 0.01, 0.5 * 0.98}, 1e-15)
end)

test("Rprop's steps grow while the sign holds and shrink when it flips", function()
  local x = tensor.from({0}, "f64"):requires_grad()
  local opt = optim.Rprop({x}, {lr = 0.1, etas = {0.5, 2}, step_sizes = {0.01, 0.3}})
  local seen = {}
  for _, g in ipairs{1, 1, 1, -1, -1} do x.grad = tensor.from({g}, "f64"); opt:step(); seen[#seen + 1] = x:item() end
  -- steps 0.1, 0.2, 0.3 (capped); the flip halves to 0.15 and skips; then −1 again moves by 0.15 the other way… up
  H.all_close(tensor.from(seen, "f64"), {-0.1, -0.3, -0.6, -0.6, -0.45}, 1e-15)
end)

test("Muon for the matrices and AdamW for the rest train a small network together", function()
  tensor.seed(3)
  local m = nn.Sequential{nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)}
  local x = tensor.randn{64, 4}
  local y = (x:narrow(2, 1, 1) * 2 - x:narrow(2, 3, 1)):tanh()
  local muon = optim.Muon({m[1].weight, m[3].weight}, {lr = 0.05})
  local adamw = optim.AdamW({m[1].bias, m[3].bias}, {lr = 1e-2})
  local loss = nn.MSE()
  local first
  for step = 1, 150 do
    muon:zero_grad(); adamw:zero_grad()
    local l = loss(m(x), y)
    first = first or l:item()
    l:backward(); muon:step(); adamw:step()
  end
  local last = loss(m(x), y):item()
  assert(last < 0.2 * first, ("loss %.4g after 150 steps from %.4g"):format(last, first))
end)

test("resuming from saved state continues bit for bit (state of other shapes too)", function()
  local path = os.tmpname()
  for _, make in ipairs{
    function(p) return optim.Adafactor(p, {lr = 0.05}) end,
    function(p) return optim.NAdam(p, {lr = 0.01}) end,
    function(p) return optim.Muon({p[1], p[3]}, {lr = 0.02}) end,
  } do
    local function run(split)
      tensor.seed(11)
      local m = nn.Sequential{nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)}
      local x, y = tensor.randn{8, 3}, tensor.randn{8, 2}
      local params = m:parameters()
      local opt = make(params)
      for step = 1, 12 do
        if split and step == 7 then opt:save(path); opt = make(params); opt:load(path) end
        opt:zero_grad(); nn.MSE()(m(x), y):backward(); opt:step()
      end
      return m[3].weight:reshape{-1}:totable()
    end
    H.all_close(tensor.from(run(true), "f64"), run(false), 0)
  end
  os.remove(path)
end)

test("a conv weight needs flatten = true, a vector is refused with what to do", function()
  local conv = nn.Conv2d(2, 4, 3)
  H.raises(function() optim.Muon({conv.weight}, {}) end, "flatten = true takes it as a [4, 18] matrix")
  H.raises(function() optim.Muon({conv.bias}, {}) end, "give Muon the 2-d weights")
  local opt = optim.Muon({conv.weight}, {flatten = true, lr = 0.01})
  conv(tensor.randn{1, 2, 5, 5}):sum():backward()
  local before = conv.weight:clone()
  opt:step()
  assert((conv.weight - before):abs():max():item() > 0, "the flattened conv weight moved")
end)

test("hyperparameters out of range are refused, naming the range", function()
  local p = {tensor.zeros(3):requires_grad()}
  H.raises(function() optim.Rprop(p, {etas = {1.5, 1.2}}) end, "0 < eta− < 1 < eta+")
  H.raises(function() optim.Rprop(p, {step_sizes = {1, 0.5}}) end, "0 ≤ min ≤ max")
  H.raises(function() optim.Rprop(p, {etas = 0.5}) end, "must be a pair of numbers {a, b}")
  H.raises(function() optim.Adafactor(p, {d = 0.5}) end, "d must be in [1, ∞]")
  H.raises(function() optim.Adafactor(p, {beta2_decay = 0.5}) end, "beta2_decay must be in")
  H.raises(function() optim.NAdam(p, {beta1 = 1}) end, "beta1 must be in [0, 1)")
  H.raises(function() optim.Muon({tensor.zeros(2, 2):requires_grad()}, {adjust_lr = "rms"}) end, "option 'adjust_lr' must be original, match_rms_adamw, spectral_unclamped")
  H.raises(function() optim.Muon({tensor.zeros(2, 2):requires_grad()}, {momentum = 1}) end, "momentum must be in [0, 1)")
end)

test("optim.select splits a model's parameters by shape, owner and name", function()
  local m = nn.Sequential{nn.Embedding(10, 4), nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 3)}
  local mats, rest = optim.select(m, {ndim = 2})
  H.eq(#mats, 3); H.eq(#rest, 4)           -- the embedding and two Linear weights; the biases and LayerNorm's
  local lin, others = optim.select(m, {ndim = 2, kind = "Linear"})
  H.eq(#lin, 2); H.eq(#others, 5)
  assert(lin[1] == m[2].weight and lin[2] == m[4].weight, "in the model's order")
  local biases = optim.select(m, {name = "*.bias"})
  H.eq(#biases, 3)
  local hidden = optim.select(m, {min_ndim = 2, not_kind = {"Embedding"}})
  H.eq(#hidden, 2)
  H.raises(function() optim.select(m, {kind = 3}) end, "must be a layer type or a list of them")
  H.raises(function() optim.select(m, {dims = 2}) end, "unknown option 'dims'")
end)

test("optim.Multi is one optimizer: Muon and AdamW parts, one schedule, saved and resumed whole", function()
  local path = os.tmpname()
  local function run(split)
    tensor.seed(5)
    local m = nn.Sequential{nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 2)}
    local x, y = tensor.randn{10, 3}, tensor.randn{10, 2}
    local mats, rest = optim.select(m, {ndim = 2})
    local function make()
      return optim.Multi{{params = mats, opt = optim.Muon, lr = 0.02}, {params = rest, opt = "AdamW", lr = 1e-2, weight_decay = 0}}
    end
    local opt = make()
    for step = 1, 10 do
      if split and step == 6 then opt:save(path); opt = make(); opt:load(path) end
      opt:zero_grad(); nn.MSE()(m(x), y):backward(); opt:step()
    end
    return m[3].bias:totable(), m[1].weight:reshape{-1}:totable(), opt
  end
  local b1, w1 = run(true)
  local b2, w2, opt = run(false)
  H.all_close(tensor.from(b1, "f64"), b2, 0); H.all_close(tensor.from(w1, "f64"), w2, 0)
  H.eq(tostring(opt), "optim.Multi(Muon 2, AdamW 2 parameters; lr 0.02, 10 steps)")
  local sched = optim.cosine(opt, {total = 20})
  for _ = 1, 10 do sched:step() end
  H.close(opt:lr(), 0.01, 1e-15, "the schedule moves the first part's rate (and the others' in proportion)")
  os.remove(path)
end)

test("optim.Multi's parts are checked as their rules' constructors check them", function()
  local p = {tensor.zeros(2, 2):requires_grad()}
  H.raises(function() optim.Multi{{params = p, opt = "Adamm", lr = 1}} end, "no update rule 'Adamm'")
  H.raises(function() optim.Multi{{params = p, opt = optim.AdamW, momentum = 0.9}} end, "unknown option 'momentum' in part 1 (AdamW)")
  H.raises(function() optim.Multi{{params = p}} end, "part 1 needs opt = an update rule")
  H.raises(function() optim.Multi{{params = p, opt = "SGD"}} end, "part 1 (SGD) needs lr")
  H.raises(function() optim.Multi{{params = {tensor.zeros(3):requires_grad()}, opt = optim.Muon}} end, "Muon orthogonalises matrices")
  H.raises(function() optim.Multi{{params = p, opt = "Adam"}, {params = p, opt = "Lion"}} end, "is in two groups")
end)

test("Schedule-Free moves between its training and evaluation weights, by hand and in train.fit", function()
  local x = tensor.from({1, -2}, "f64"):requires_grad()
  local opt = optim.ScheduleFreeSGD({x}, {lr = 0.1, momentum = 0.9})
  opt:eval_params()
  H.all_close(x, {1, -2}, 0, "before any step y = x = z: nothing moves")
  opt:train_params()
  x.grad = tensor.from({1, 1}, "f64"); opt:step()
  -- step 1: c = 1, so y = z − 0.1·0.9·0·… : y = lerp(y, z, 1) + 0.1·(0.9·0 − 1)·g = x0 − 0.1·g, z = x0 − 0.1·g
  H.all_close(x, {0.9, -2.1}, 1e-15)
  x.grad = tensor.from({1, -1}, "f64"); opt:step()
  -- step 2: c = 1/2; z = {0.8, -2.0}; y = lerp(y, z_old, 1/2) + 0.1·(0.9·0.5 − 1)·g
  H.all_close(x, {0.9 - 0.055, -2.1 + 0.055}, 1e-15)
  local y = x:clone()
  opt:eval_params()
  -- x = lerp(y, z, 1 − 1/0.9): y + (1 − 1/0.9)·(z − y)
  local w = 1 - 1 / 0.9
  H.all_close(x, {0.845 + w * (0.8 - 0.845), -2.045 + w * (-2.0 + 2.045)}, 1e-14)
  H.raises(function() opt:step() end, "call opt:train_params() before the next step")
  opt:train_params()
  H.all_close(x, y:totable(), 1e-14, "back to y")

  -- train.fit evaluates at x and leaves the model there
  tensor.seed(2)
  local xs = tensor.randn{64, 3}
  local ys = (xs:narrow(2, 1, 1) - xs:narrow(2, 2, 1) * 0.5):gt(0):reshape{64}:to("i32") + 1
  local ds = data.dataset(xs, ys)
  local tr, val = ds:split(0.75)
  local m = nn.Sequential{nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)}
  local sf = optim.ScheduleFreeAdamW(m, {lr = 2e-2, warmup = 4})
  local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = sf, train = tr, val = val, epochs = 3, batch = 8, quiet = true}
  H.close(train.accuracy(m, val), h.val_acc[#h.val_acc], 1e-12, "the last epoch was evaluated at the weights fit leaves")
  H.raises(function() sf:step() end, "call opt:train_params()")
end)

test("train.fit{accumulate = k} steps as one batch k times larger would", function()
  local function run(batch, accumulate)
    tensor.seed(7)
    local xs = tensor.randn({32, 3}, "f64")
    local ys = xs:matmul(tensor.from({{1}, {-2}, {0.5}}, "f64")):reshape{32}
    local ds = data.dataset(xs, ys:reshape{32, 1}, {targets = "values"})
    local m = nn.Sequential{nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)}:to("f64")
    local opt = optim.SGD(m, {lr = 0.1, momentum = 0.9})
    local h = train.fit{model = m, loss = nn.MSE(), optimizer = opt, train = ds, epochs = 2, batch = batch,
      accumulate = accumulate, quiet = true, keep_best = false}
    return m[3].weight:reshape{-1}:totable(), h
  end
  local big = run(16, 1)
  local small, h = run(4, 4)
  H.all_close(tensor.from(small, "f64"), big, 1e-12, "four batches of 4 accumulated = one batch of 16")
  H.eq(#h.loss, 16, "every micro-batch's loss is logged")
  H.raises(function() run(4, 0) end, "option 'accumulate' must be a positive number")
end)

test("optim.SAM: two passes a step, by hand with a closure and inside train.fit alike", function()
  local function problem()
    tensor.seed(4)
    local xs = tensor.randn({16, 3}, "f64")
    local ys = xs:matmul(tensor.from({{1}, {-1}, {2}}, "f64")):tanh()
    local m = nn.Sequential{nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)}:to("f64")
    return m, xs, ys
  end
  local m1, xs, ys = problem()
  local opt1 = optim.SAM(optim.SGD(m1, {lr = 0.1}), {rho = 0.05})
  H.eq(tostring(opt1), "optim.SAM(optim.SGD(lr 0.1, 4 parameters, 0 steps), rho 0.05)")
  local mse = nn.MSE()
  for _ = 1, 5 do
    opt1:zero_grad(); mse(m1(xs), ys):backward()
    opt1:step(function() local l = mse(m1(xs), ys); l:backward(); return l end)
  end
  local m2 = problem()
  local opt2 = optim.SAM(optim.SGD(m2, {lr = 0.1}), {rho = 0.05})
  train.fit{model = m2, loss = mse, optimizer = opt2, train = data.dataset(xs, ys, {targets = "values"}), epochs = 5, batch = 16,
    quiet = true, keep_best = false}
  H.all_close(m2[3].weight:reshape{-1}, m1[3].weight:reshape{-1}:totable(), 1e-12)
  -- and SAM moved differently from plain SGD
  local m3 = problem()
  local plain = optim.SGD(m3, {lr = 0.1})
  for _ = 1, 5 do plain:zero_grad(); mse(m3(xs), ys):backward(); plain:step() end
  assert((m3[3].weight - m1[3].weight):abs():max():item() > 1e-6, "SAM's steps differ from SGD's")
  H.raises(function() opt1:step() end, "a SAM optimizer needs the loss at the perturbed weights")
  H.raises(function() optim.SAM(plain, {rho = -1}) end, "rho must be positive")
  H.raises(function()
    train.fit{model = m2, loss = mse, optimizer = opt2, train = data.dataset(xs, ys, {targets = "values"}), epochs = 1, batch = 4,
      accumulate = 2, quiet = true}
  end, "accumulate = 2 with a SAM optimizer")
  -- another optimizer's step(closure) runs the closure once, then steps: the same as backward, then step
  local m4 = problem()
  local o4 = optim.SGD(m4, {lr = 0.1})
  o4:zero_grad(); o4:step(function() local l = mse(m4(xs), ys); l:backward(); return l end)
  local m5 = problem()
  local o5 = optim.SGD(m5, {lr = 0.1})
  o5:zero_grad(); mse(m5(xs), ys):backward(); o5:step()
  H.all_close(m4[3].weight:reshape{-1}, m5[3].weight:reshape{-1}:totable(), 0)
end)

test("optim.update_bn recomputes BatchNorm's statistics as the plain average over the batches (torch's update_bn)", function()
  tensor.seed(11)
  local m = nn.Sequential{nn.Linear(3, 4), nn.BatchNorm(4), nn.ReLU(), nn.Linear(4, 2)}:to("f64")
  local xs = tensor.randn({10, 3}, "f64")
  m:evaluate()
  local n = optim.update_bn(m, xs, {batch = 4})
  H.eq(n, 1, "one BatchNorm layer")
  -- by hand: the Linear's outputs per batch (4, 4, 2 rows), their means and unbiased variances averaged
  local z = m[1](xs)
  local means, vars = tensor.zeros({4}, "f64"), tensor.zeros({4}, "f64")
  for _, r in ipairs{{1, 4}, {5, 4}, {9, 2}} do
    local b = z:narrow(1, r[1], r[2])
    means = means + b:mean(1) / 3
    vars = vars + b:var(1) / 3
  end
  H.all_close(m[2].running_mean, means:totable(), 1e-14, "the running mean")
  H.all_close(m[2].running_var, vars:totable(), 1e-14, "the running variance: unbiased, averaged")
  H.eq(m.training, false, "the mode it had is restored")
  -- its momentum is back: one training step moves the statistics by 0.1 of the way
  m:train()
  local before = m[2].running_mean:clone()
  m(xs)
  local batch_mean = z:mean(1)
  H.all_close(m[2].running_mean, (before * 0.9 + batch_mean * 0.1):totable(), 1e-14, "momentum 0.1 again")
  H.eq(optim.update_bn(nn.Sequential{nn.Linear(3, 2)}, xs), 0, "no BatchNorm: nothing to do")
  H.raises(function() optim.update_bn(m, "x") end, "data set or tensor of inputs expected")
  H.raises(function() optim.update_bn(m, xs, {batch = 0}) end, "must be a positive size")
end)

test("opt:probes() reads the optimizer's insides, each against its value worked by hand", function()
  tensor.seed(5)
  local w = tensor.randn({3, 4}, "f64"):requires_grad()
  local g = tensor.randn({3, 4}, "f64")
  w.name = "w"
  local function step(opt) w.grad = g:clone(); opt:step(); return opt:probes().parameters.w end
  local before = w:clone()
  local adam = optim.Adam({w}, {lr = 1e-2})
  local p = step(adam)
  -- the first Adam step: v̂ = g², so the effective rate is lr/(|g| + eps) per element
  local rates = (g:abs() + 1e-8):reciprocal() * 1e-2
  H.close(p.effective_lr, rates:mean():item(), 1e-12, "effective_lr: the mean of lr/(√v̂+ε)")
  H.close(p.effective_lr_min, rates:min():item(), 1e-12)
  H.close(p.effective_lr_max, rates:max():item(), 1e-12)
  H.close(p.grad_norm, g:norm():item(), 1e-12, "‖g‖")
  -- the same in f32 (a vector kernel there)
  local w32, g32 = w:detach():to("f32"):requires_grad(), g:to("f32")
  w32.name = "w"; w32.grad = g32:clone()
  local adam32 = optim.Adam({w32}, {lr = 1e-2}); adam32:step()
  local p32 = adam32:probes().parameters.w
  local v32 = g32 * g32 * 0.001 / (1 - 0.999)
  local rates32 = (v32:sqrt() + 1e-8):reciprocal() * 1e-2
  H.close(p32.effective_lr, rates32:mean():item(), 1e-5, "f32: the mean rate")
  H.close(p32.effective_lr_max, rates32:max():item(), 1e-5, "f32: the largest")
  -- (1 − β2 is 0.00100005 in f32: the stored v is 5e-5 above the f64 formula)
  H.close(p32.v_norm, (g32:to("f64") ^ 2 * 0.001):norm():item(), 1e-4, "f32: ‖v‖ from the rate's pass")
  H.eq(p32.v_norm ~= nil and p32.m_norm ~= nil, true, "both state norms")
  H.close(p.m_norm, (g * 0.1):norm():item(), 1e-12, "‖m‖ = (1−b1)‖g‖")
  H.close(p.v_norm, (g * g * 0.001):norm():item(), 1e-12, "‖v‖ = (1−b2)‖g²‖")
  H.close(p.update_norm, (w - before):norm():item(), 1e-12, "‖Δw‖")
  H.close(p.update_rms, (w - before):norm():item() / math.sqrt(12), 1e-12, "‖Δw‖/√n")
  H.close(p.weight_norm, w:norm():item(), 1e-12, "‖w‖ after the step")
  H.close(p.effective_lr_scale_invariant, 1e-2 / w:norm():item() ^ 2, 1e-12, "lr/‖w‖²")
  -- momentum SGD: its velocity is −lr·g after one step; its rate is lr
  local q = step(optim.SGD({w}, {lr = 0.1, momentum = 0.9}))
  H.close(q.velocity_norm, 0.1 * g:norm():item(), 1e-12); H.eq(q.effective_lr, 0.1)
  -- Muon: the residual of the Newton–Schulz output, here by hand (5 quintic iterations on the short side)
  local muon = optim.Muon({w}, {lr = 0.02})
  local r = step(muon)
  local d = g + (g * 0.05 - g) * 0.95          -- Nesterov: lerp(g, B, 0.95) with B = 0.05·g
  local x = d / d:norm():item()
  for _ = 1, 5 do
    local a = x:matmul(x:t())
    x = x * 3.4445 + (a * -4.7750 + a:matmul(a) * 2.0315):matmul(x)
  end
  local residual = (x:matmul(x:t()) - tensor.eye(3, "f64")):norm():item() / math.sqrt(3)
  H.close(r.orthogonality_residual, residual, 1e-10, "‖O·Oᵀ − I‖/√k")
  H.raises(function() muon:probes({"gradient"}) end, "no probe family 'gradient'")
  local only = muon:probes({"grad"}).parameters.w
  H.eq(only.update_norm, nil, "only the families asked for")
end)

test("train.fit{probes = true} sums the gradient's and the first moment's norms during the update: the values opt:probes() computes apart", function()
  tensor.seed(9)
  local xs = tensor.randn({48, 5}, "f64")
  local ys = xs:matmul(tensor.randn({5, 2}, "f64"))
  local ds = data.dataset(xs, ys, {targets = "values"})
  local function run(probes)
    tensor.seed(3)
    local m = nn.Sequential{nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)}:to("f64")
    local opt = optim.Adam(m, {lr = 0.01})
    local dir = os.tmpname(); os.remove(dir)
    train.fit{model = m, loss = nn.MSE(), optimizer = opt, train = ds, epochs = 1, batch = 16, probes = probes, log = dir, quiet = true}
    local last
    for line in io.lines(dir .. "/metrics.jsonl") do if line:find('"probe/grad_norm/', 1, true) then last = line end end
    os.execute("rm -rf " .. dir)
    return opt, last
  end
  local _, logged = run(true)
  local apart = run(false):probes().parameters   -- never recorded: read from the gradients and the state
  for _, name in ipairs{"1.weight", "1.bias", "3.weight"} do
    for _, key in ipairs{"grad_norm", "m_norm", "v_norm"} do
      local v = tonumber(logged:match('"probe/' .. key .. '/' .. name:gsub("%.", "%%.") .. '":([%d%.e%-]+)'))
      H.close(v, apart[name][key], 1e-12, key .. " of " .. name)
    end
  end
end)

test("train.fit{probes = ...} logs them with every step record, and clipping is seen", function()
  tensor.seed(6)
  local xs = tensor.randn({64, 5}, "f64")
  local ys = xs:matmul(tensor.randn({5, 1}, "f64"))
  local m = nn.Sequential{nn.Linear(5, 1)}:to("f64")
  local dir = os.tmpname(); os.remove(dir)
  train.fit{model = m, loss = nn.MSE(), optimizer = optim.SGD(m, {lr = 0.01}), train = data.dataset(xs, ys, {targets = "values"}),
    epochs = 1, batch = 16, clip = 1e-3, probes = {"grad", "effective_lr"}, log = dir, quiet = true}
  local f = io.open(dir .. "/metrics.jsonl"); local first = f:read("l"); f:close()
  H.eq(first:find('"probe/grad_norm/1.weight"', 1, true) ~= nil, true, "the gradient's norm per parameter")
  H.eq(first:find('"probe/clipped":1', 1, true) ~= nil, true, "clip = 1e-3 fired")
  H.eq(first:find('"probe/weight_norm', 1, true), nil, "families not asked for are not logged")
  local unclipped = tonumber(first:match('"probe/grad_norm_unclipped/1.weight":([%d%.e%-]+)'))
  local clipped = tonumber(first:match('"probe/grad_norm/1.weight":([%d%.e%-]+)'))
  H.eq(unclipped > clipped, true, "the norm before clipping is the larger")
  os.execute("rm -rf " .. dir)
  H.raises(function() train.fit{model = m, loss = nn.MSE(), optimizer = optim.SGD(m, {lr = 0.01}),
    train = data.dataset(xs, ys, {targets = "values"}), probes = {"moments"}, quiet = true} end, "option 'probes' lists families")
end)
