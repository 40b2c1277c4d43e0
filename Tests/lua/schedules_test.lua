local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- The schedules from Lua: options as written (lists, words), lr_at previews
-- against hand-worked values, and the refusals. Their sequences against
-- torch.optim.lr_scheduler are in the Swift suite (SchedulesAgainstPyTorchTests).

local function sgd(lr) return optim.SGD({tensor.zeros(1):requires_grad()}, {lr = lr}) end

test("multistep takes its milestones as a list", function()
  local opt = sgd(1)
  local s = optim.multistep(opt, {milestones = {2, 5}, factor = 0.1})
  H.all_close(tensor.from({s:lr_at(0), s:lr_at(1), s:lr_at(2), s:lr_at(4), s:lr_at(5), s:lr_at(9)}, "f64"),
              {1, 1, 0.1, 0.1, 0.01, 0.01}, 1e-15)
  s:step(); s:step()
  H.close(opt:lr(), 0.1, 1e-15, "stepped twice: past the first milestone")
  H.raises(function() optim.multistep(sgd(1), {milestones = {5, 2}}) end, "milestones must increase")
  H.raises(function() optim.multistep(sgd(1), {milestones = {1.5}}) end, "must be a list of non-negative integers")
end)

test("wsd warms up, holds and decays as written", function()
  local opt = sgd(0.1)
  local s = optim.wsd(opt, {warmup = 4, stable = 6, decay = 10, min = 0.01})
  local want = {0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 - 0.009, 0.1 - 0.018}
  for t = 0, 12 do H.close(s:lr_at(t), want[t + 1], 1e-15, "t = " .. t) end
  H.close(s:lr_at(20), 0.01, 1e-15, "at the end: min"); H.close(s:lr_at(100), 0.01, 1e-15, "and after")
  local sq = optim.wsd(sgd(0.1), {stable = 0, decay = 4, shape = "sqrt"})
  H.close(sq:lr_at(1), 0.1 * (1 - math.sqrt(0.25)), 1e-15, "1 − √p")
  H.raises(function() optim.wsd(sgd(0.1), {stable = 1, decay = 1, shape = "cube"}) end, "must be linear, cosine, sqrt")
end)

test("one_cycle and cyclic set the rate themselves and need their rates", function()
  local opt = sgd(123)
  optim.one_cycle(opt, {max = 0.1, total = 100})
  H.close(opt:lr(), 0.1 / 25, 1e-15, "starts at max/div whatever the optimizer had")
  H.raises(function() optim.one_cycle(sgd(1), {total = 10}) end, "max (the peak rate) is required")
  H.raises(function() optim.cyclic(sgd(1), {max = 1}) end, "base and max")
  H.raises(function() optim.cyclic(sgd(1), {base = 1, max = 2, mode = "sine"}) end, "must be triangular, triangular2, exp_range")
  local c = optim.cyclic(sgd(1), {base = 0.1, max = 0.5, up = 2})
  H.all_close(tensor.from({c:lr_at(0), c:lr_at(1), c:lr_at(2), c:lr_at(3), c:lr_at(4)}, "f64"), {0.1, 0.3, 0.5, 0.3, 0.1}, 1e-15)
end)

test("cosine_restarts restarts with growing periods", function()
  local s = optim.cosine_restarts(sgd(1), {T0 = 2, T_mult = 2})
  -- periods 2, 4, 8: restarts at t = 2 and 6
  H.close(s:lr_at(2), 1, 1e-15); H.close(s:lr_at(6), 1, 1e-15)
  H.close(s:lr_at(4), 0.5, 1e-15, "halfway through the 4-step period")
end)

test("sequence, chain and lambda compose schedules (their sequences against torch are in the Swift suite)", function()
  local opt = sgd(0.1)
  local warm = optim.linear(opt, {start = 0.1, stop = 1, total = 3, unit = "iteration"})
  local decay = optim.cosine(opt, {total = 4, unit = "iteration"})
  local s = optim.sequence(opt, {warm, decay}, {milestones = {3}})
  local want = {0.01, 0.04, 0.07, 0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05}
  for t = 0, 5 do H.close(s:lr_at(t), want[t + 1], 1e-15, "sequence at " .. t) end
  H.close(opt:lr(), 0.01, 1e-15, "made: the rate at step 0")
  local c = optim.chain(opt, {optim.constant(opt, {factor = 0.5, total = 2}), optim.step_decay(opt, {every = 1, factor = 0.9})})
  H.close(c:lr_at(1), 0.01 * 0.5 * 0.9, 1e-15, "factors multiply (from the rate when the first part was made)")
  local l = optim.lambda(opt, function(t) return 1 / (t + 1) end)
  l:step(); l:step()
  H.close(opt:lr(), c:lr_at(0) / 3, 1e-15, "lambda: lr0 · f(t)")
  H.raises(function() optim.sequence(opt, {warm, decay}, {milestones = {3, 5}}) end, "one milestone fewer than schedules")
  H.raises(function() optim.sequence(opt, {warm, decay}, {milestones = {0}}) end, "must be positive and increasing")
  H.raises(function() optim.chain(opt, {warm, optim.plateau(opt, {})}) end, "follows a watched metric")
  H.raises(function() optim.chain(opt, {warm, optim.cosine(opt, {total = 3})}) end, "compose like with like")
  H.raises(function() optim.chain(opt, {warm, 3}) end, "entry 2 is not a schedule")
  H.raises(function() optim.chain(opt, {optim.cosine(sgd(1), {total = 3})}) end, "schedules another optimizer")
  local bad = optim.lambda(opt, function(t) return t < 2 and 1 or -1 end)
  bad:step()
  H.raises(function() bad:step() end, "expected a finite factor ≥ 0")
  H.raises(function() optim.lambda(opt, function(t) return "x" end) end, "must return a number")
end)

test("a schedule drives any hyperparameter: weight decay, beta1, momentum", function()
  local p = tensor.zeros(4):requires_grad()
  local opt = optim.AdamW({p}, {lr = 1e-3, weight_decay = 0.02})
  local wd = optim.cosine(opt, {total = 4, hyperparameter = "weight_decay"})
  wd:step(); wd:step()
  H.close(opt:hyperparameters().weight_decay, 0.01, 1e-15, "halfway down the cosine")
  H.close(opt:lr(), 1e-3, 0, "the rate untouched")
  local b1 = optim.linear(opt, {start = 1, stop = 0.5, total = 2, hyperparameter = "beta1"})
  b1:step()
  H.close(opt:hyperparameters().beta1, 0.9 * 0.75, 1e-15, "beta1 moved")
  H.raises(function() optim.cosine(opt, {total = 4, hyperparameter = "momentum"}) end, "has no hyperparameter 'momentum'")
  H.raises(function() optim.plateau(opt, {hyperparameter = "beta1"}) end, "drives the learning rate only")
  -- saved and loaded with the state: resuming steps with the moved values
  local path = os.tmpname()
  opt:save(path)
  local again = optim.AdamW({tensor.zeros(4):requires_grad()}, {lr = 1e-3, weight_decay = 0.02})
  again:load(path)
  os.remove(path)
  H.close(again:hyperparameters().beta1, 0.9 * 0.75, 0, "beta1 restored")
  H.close(again:hyperparameters().weight_decay, 0.01, 0, "weight decay restored")
  -- one_cycle cycles momentum (SGD) or beta1 (Adam) the other way, as torch's
  local sgdm = optim.SGD({tensor.zeros(1):requires_grad()}, {lr = 0.1, momentum = 0.9})
  local oc = optim.one_cycle(sgdm, {max = 0.1, total = 10})
  H.close(sgdm:hyperparameters().momentum, 0.95, 1e-15, "starts at max_momentum while the rate is lowest")
  for _ = 1, 2 do oc:step() end
  H.close(sgdm:hyperparameters().momentum, 0.85, 1e-12, "base_momentum at the rate's peak (step 0.3·10 − 1)")
  local plain = sgd(0.1)
  optim.one_cycle(plain, {max = 0.1, total = 10})
  H.raises(function() optim.one_cycle(sgd(0.1), {max = 0.1, total = 10, cycle_momentum = true}) end, "needs an optimizer with momentum or beta1")
  opt:set_hyperparameter("beta2", 0.99)
  H.close(opt:hyperparameters().beta2, 0.99, 0, "set by hand")
  H.raises(function() opt:set_hyperparameter("beta2", 1.5) end, "beta1 and beta2 must be in [0, 1)")
  H.raises(function() sgd(0.1):set_hyperparameter("momentum", 0.9) end, "cannot be changed during training")
end)

test("train.fit takes a list of schedules, and skip_nonfinite skips and counts bad steps", function()
  tensor.seed(3)
  local xs = tensor.randn({32, 3}, "f64")
  local ys = xs:matmul(tensor.from({{1}, {-2}, {0.5}}, "f64"))
  local m = nn.Sequential{nn.Linear(3, 1)}:to("f64")
  local opt = optim.AdamW(m, {lr = 1e-2, weight_decay = 0.1})
  local lr = optim.cosine(opt, {total = 2})
  local wd = optim.linear(opt, {start = 1, stop = 0, total = 2, hyperparameter = "weight_decay"})
  train.fit{model = m, loss = nn.MSE(), optimizer = opt, schedule = {lr, wd}, train = data.dataset(xs, ys, {targets = "values"}),
    epochs = 2, batch = 8, quiet = true}
  H.close(opt:hyperparameters().weight_decay, 0, 0, "both stepped each epoch: weight decay at its end")
  H.close(opt:lr(), 0, 1e-18, "and the rate")
  H.raises(function() train.fit{model = m, loss = nn.MSE(), optimizer = opt, schedule = {lr, lr}, train = data.dataset(xs, ys, {targets = "values"}),
    epochs = 1, quiet = true} end, "two schedules drive lr")
  -- a loss that is NaN on the third batch it sees (data.dataset refuses NaN inputs up front)
  local calls = 0
  local flaky = function(scores, labels)
    calls = calls + 1
    local l = ((scores - labels) ^ 2):mean()
    return calls == 3 and l * (0 / 0) or l
  end
  local ds = data.dataset(xs, ys, {targets = "values"})
  local m2 = nn.Sequential{nn.Linear(3, 1)}:to("f64")
  local h = train.fit{model = m2, loss = flaky, optimizer = optim.SGD(m2, {lr = 0.05}), train = ds, epochs = 2, batch = 8,
    quiet = true, skip_nonfinite = true}
  H.eq(h.skipped, 1, "the one NaN loss was skipped")
  H.eq(#h.loss, 7, "the 8 steps less the skipped one have losses")
  local w = m2[1].weight:abs():sum():item()
  H.eq(w == w and w < math.huge, true, "the weights never saw the NaN")
  calls = 0
  H.raises(function() train.fit{model = m2, loss = flaky, optimizer = optim.SGD(m2, {lr = 0.05}), train = ds, epochs = 1, batch = 8, quiet = true} end,
    "the loss became nan at epoch 1, iteration 3")
  -- a finite loss with a NaN gradient (√ at 0): skipped up to the limit, then stopped with the cause
  local nan_grad = function(scores, labels) return ((scores - labels) * 0):abs():sqrt():sum() + 1 end
  H.raises(function() train.fit{model = m2, loss = nan_grad, optimizer = optim.SGD(m2, {lr = 0.05}), train = ds, epochs = 1, batch = 8,
    quiet = true, skip_nonfinite = 2} end, "a gradient became nan or inf at epoch 1, iteration 3 (after 2 skipped steps in a row)")
end)
