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
